"""Fuzz every import: the contact CSV (API and the report page's form), the forecast CSV (API, as an
upload or a text/csv body, and the forecast page's form) and the schedule CSV (API), with generated rows and malformed files:
other encodings, byte-order marks, missing and unknown columns, huge fields, NUL, broken quoting and
line ends. Nothing may answer 5xx; the API's 400 says what is wrong."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from dashboard.core.models import Channel
from dashboard.ingest.public import IMPORT_COLUMNS
from tests.fuzz import strategies as gen
from tests.fuzz.client import assert_says_what_is_wrong, call
from tests.fuzz.conftest import fuzz_settings

pytestmark = pytest.mark.django_db

FORECAST_COLUMNS = ("queue", "interval_start", "offered", "aht_s")
SCHEDULE_COLUMNS = ("agent", "start", "end", "activity")
ROLE = st.sampled_from(["admin", "admin", "admin", "manager", "wfm", "supervisor", "anonymous"])


def _times(now: datetime) -> st.SearchStrategy[str]:
    near = st.integers(-40 * 86400, 3600).map(lambda s: (now + timedelta(seconds=s)).isoformat())
    quarter = st.integers(-400, 400).map(
        lambda n: (now.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=15 * n)).isoformat()
    )
    edges = st.sampled_from([
        "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:00:00-01:00", "2026-11-24T10:00:00+23:59", "2026-11-24T10:00:00", "2026-02-30T10:00:00+01:00",
        "2026-11-24T10:00:00+01:00\x00", "1970-01-01T00:00:00Z", "2026-03-29T02:30:00", "2026-10-25T02:15:00",
    ])  # fmt: skip
    return st.one_of(near, near, quarter, edges, gen.junk())


def _cell(column: str, centre, now: datetime) -> st.SearchStrategy[str]:
    good = {
        "contact_id": st.text("abcdef0123456789-:", min_size=1, max_size=12),
        "channel": st.sampled_from(list(Channel.values)),
        "queue": st.sampled_from(centre.queues),
        "agent": st.sampled_from(["", "sanne.devries", "agent1", "nobody"]),
        "transferred_to": st.sampled_from(["", "Algemeen", "agent1"]),
        "reason": gen.TEXT,
        "customer_ref": gen.TEXT,
        "interval_start": _times(now),
        "offered": gen.numbers(),
        "aht_s": gen.numbers(),
        "start": _times(now),
        "end": _times(now),
        "activity": st.sampled_from(["shift", "break", "Lunch", "off", "nap", ""]),
    }.get(column)
    if column.endswith("_at"):
        good = st.one_of(st.just(""), _times(now))
    elif column.endswith("_s") and column != "aht_s":
        good = st.one_of(st.just(""), gen.numbers())
    huge = st.sampled_from(["x" * 100_000, "9" * 5000, "\x00" * 10])
    return st.one_of(good, good, good, gen.junk(), huge) if good is not None else gen.junk()


def _plausible_row(columns, centre, now: datetime) -> st.SearchStrategy[dict]:
    """A row a real export would hold (the import's deeper code runs), one cell then generated freely."""

    @st.composite
    def build(draw):
        if "activity" in columns:
            start = now.replace(second=0, microsecond=0) + timedelta(minutes=5 * draw(st.integers(-600, 600)))
            row = {"agent": draw(st.sampled_from(centre.agents)), "start": start.isoformat(),
                   "end": (start + timedelta(minutes=draw(st.integers(-30, 600)))).isoformat(),
                   "activity": draw(st.sampled_from(["shift", "break", "lunch", "meeting"]))}  # fmt: skip
        elif "interval_start" in columns:
            start = now.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=15 * draw(st.integers(-96, 96)))
            row = {"queue": draw(st.sampled_from(centre.queues)), "interval_start": start.isoformat(),
                   "offered": str(draw(st.integers(0, 200))), "aht_s": f"{draw(st.floats(1, 900)):.1f}"}  # fmt: skip
        else:
            offered = now - timedelta(seconds=draw(st.integers(600, 20 * 86400)))
            answered = offered + timedelta(seconds=draw(st.integers(0, 300)))
            ended = answered + timedelta(seconds=draw(st.integers(1, 900)))
            row = dict.fromkeys(columns, "")
            row.update(contact_id=draw(st.uuids()).hex[:16], channel="voice", queue="Algemeen",
                       offered_at=offered.isoformat(), answered_at=answered.isoformat(), ended_at=ended.isoformat(),
                       agent=draw(st.sampled_from(centre.agents)), talk_s="60")  # fmt: skip
        column = draw(st.sampled_from(list(columns)))
        if draw(st.booleans()):
            row[column] = draw(_cell(column, centre, now))
        return row

    return build()


def _csv_file(columns, centre, now) -> st.SearchStrategy[bytes]:
    """A CSV file of generated rows, then mangled the way real files are."""

    @st.composite
    def build(draw):
        header = list(columns)
        shape = draw(st.sampled_from(["full"] * 6 + ["drop", "extra", "shuffle", "none"]))
        if shape == "drop":
            header = [c for c in header if not draw(st.booleans())]
        elif shape == "extra":
            header = [*header, draw(gen.TEXT)]
        elif shape == "shuffle":
            header = draw(st.permutations(header))
        generated = st.fixed_dictionaries({c: _cell(c, centre, now) for c in columns})
        rows = draw(st.lists(st.one_of(generated, _plausible_row(columns, centre, now)), min_size=0, max_size=6))
        delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
        if shape != "none":
            writer.writerow(header)
        for row in rows:
            cells = [row.get(c, "") for c in header]
            if draw(st.integers(0, 9)) == 0:  # a ragged row
                cells = cells[: draw(st.integers(0, len(cells)))]
            writer.writerow(cells)
        text = out.getvalue()
        if draw(st.integers(0, 9)) == 0:
            text = text.replace('"', "", 1) + '"unterminated'
        encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "utf-16", "latin-1", "cp1252", "utf-32"]))
        data = text.encode(encoding, errors="replace")
        mangle = draw(st.sampled_from([""] * 8 + ["bom-twice", "nul", "truncate", "binary", "empty"]))
        if mangle == "bom-twice":
            data = b"\xef\xbb\xbf\xef\xbb\xbf" + data
        elif mangle == "nul":
            data = data.replace(b",", b"\x00,", 1)
        elif mangle == "truncate":
            data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
        elif mangle == "binary":
            data = draw(st.binary(max_size=300))
        elif mangle == "empty":
            data = b""
        return data

    return build()


def _upload(data: bytes, name: str = "upload.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def now():
    return datetime.now(UTC).replace(microsecond=0)


def test_contact_import_api(centre, now):
    @fuzz_settings(320)
    @given(role=ROLE, data=_csv_file(IMPORT_COLUMNS, centre, now), field=st.sampled_from(["file"] * 9 + ["upload"]))
    def fuzz(role, data, field):
        response = call(
            centre.clients[role],
            "post",
            "/api/v1/reports/imports/contacts/",
            {field: _upload(data)},
            area="imports: contacts CSV (API)",
        )
        assert_says_what_is_wrong(response, "contact import")

    fuzz()


def test_contact_import_page(centre, now):
    @fuzz_settings(160)
    @given(role=ROLE, data=_csv_file(IMPORT_COLUMNS, centre, now))
    def fuzz(role, data):
        call(
            centre.clients[role],
            "post",
            "/reports/import/",
            {"file": _upload(data)},
            area="imports: contacts CSV (page)",
        )

    fuzz()


def test_forecast_import_api(centre, now):
    @fuzz_settings(320)
    @given(
        role=ROLE,
        data=_csv_file(FORECAST_COLUMNS, centre, now),
        how=st.sampled_from(["multipart", "multipart", "text/csv", "json"]),
    )
    def fuzz(role, data, how):
        path, client, area = "/api/v1/wfm/forecast/import/", centre.clients[role], "imports: forecast CSV (API)"
        if how == "multipart":
            response = call(client, "post", path, {"file": _upload(data)}, area=area)
        elif how == "text/csv":
            response = call(client, "post", path, data, content_type="text/csv; charset=utf-8", area=area)
        else:
            response = call(client, "post", path, data, content_type="application/json", area=area)
        assert_says_what_is_wrong(response, "forecast import")

    fuzz()


def test_schedule_import_api(centre, now):
    @fuzz_settings(240)
    @given(
        role=ROLE,
        data=_csv_file(SCHEDULE_COLUMNS, centre, now),
        how=st.sampled_from(["multipart", "multipart", "text/csv", "json"]),
    )
    def fuzz(role, data, how):
        path, client, area = "/api/v1/wfm/schedule/import/", centre.clients[role], "imports: schedule CSV (API)"
        if how == "multipart":
            response = call(client, "post", path, {"file": _upload(data)}, area=area)
        elif how == "text/csv":
            response = call(client, "post", path, data, content_type="text/csv; charset=utf-8", area=area)
        else:
            response = call(client, "post", path, data, content_type="application/json", area=area)
        assert_says_what_is_wrong(response, "schedule import")

    fuzz()


def test_forecast_import_page(centre, now):
    @fuzz_settings(160)
    @given(role=ROLE, data=_csv_file(FORECAST_COLUMNS, centre, now))
    def fuzz(role, data):
        form = {"action": "import", "file": _upload(data)}
        call(centre.clients[role], "post", "/wfm/forecast/", form, area="imports: forecast CSV (page)")

    fuzz()
