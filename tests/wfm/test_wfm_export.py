"""GET /api/v1/intervals/: rows and fields across DST days, formats, filters, errors, roles, streaming
with flat memory, and the background export the page starts (a real Celery task run eagerly)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tracemalloc
from datetime import UTC, date, datetime, time, timedelta
from itertools import zip_longest
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import override_settings
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dashboard.core.models import Contact
from dashboard.core.periods import day_bounds, interval_starts
from dashboard.intervals.models import QueueInterval
from dashboard.intervals.services import intervals_aggregate
from dashboard.wfm import tasks as wfm_tasks  # noqa: F401  (registers the export task in this process)
from dashboard.wfm.api import _async_chunks
from dashboard.wfm.models import IntervalExport
from dashboard.wfm.selectors import EXPORT_COLUMNS, ExportQuery, interval_export_batches
from dashboard.wfm.services.export import csv_chunks, interval_export_run
from kcc.celery import app
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
URL = "/api/v1/intervals/"


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.WFM_EXPORT_DIR = str(tmp_path / "exports")


def client_for(role="wfm", **kw):
    client = APIClient()
    client.force_login(UserFactory(role=role, **kw))
    return client


@pytest.fixture
def queues():
    first, second = TeamFactory(name="1e lijn"), TeamFactory(name="Webcare")
    return (
        QueueFactory(name="Algemeen", team=first, channel="voice", sl_threshold_s=20),
        QueueFactory(name="Chat", team=second, channel="chat", sl_threshold_s=45),
    )


def _contact(queue, n, offered, **kw):
    return Contact.objects.create(contact_id=f"c{n}", channel=queue.channel, queue=queue, offered_at=offered, **kw)


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("day", "quarters"), [(date(2026, 3, 29), 92), (date(2026, 10, 25), 100), (date(2026, 11, 24), 96)]
)
def test_export_rows_and_fields_across_dst_days(queues, day, quarters):
    algemeen, chat = queues
    start, end = day_bounds(day)
    # 02:30 local on the fall-back day happens twice: one contact in each, 1 h apart in UTC.
    o = datetime.combine(day, time(9, 5), TZ)
    _contact(
        algemeen, 1, o, answered_at=o + timedelta(seconds=12), ended_at=o + timedelta(seconds=300), talk_s=240, acw_s=48
    )
    _contact(algemeen, 2, o + timedelta(minutes=1), abandoned_at=o + timedelta(minutes=1, seconds=30))
    intervals_aggregate(start=start - timedelta(days=1), end=end + timedelta(days=1))
    response = client_for().get(URL, {"start": day.isoformat(), "end": day.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="intervals_{day}_{day}_15min.csv"' in response["Content-Disposition"]
    rows = _rows(response)
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert len(rows) == 2 * quarters  # end is inclusive of the whole day, nothing of the day after
    for name in ("Algemeen", "Chat"):
        mine = [r for r in rows if r["queue"] == name]
        assert len(mine) == quarters
        utc = [datetime.fromisoformat(r["interval_start_utc"].replace("Z", "+00:00")) for r in mine]
        assert utc == interval_starts(start, end)
        for r, at in zip(mine, utc, strict=True):
            local = datetime.fromisoformat(r["interval_start"])
            assert local == at and local.utcoffset() == at.astimezone(TZ).utcoffset()
    nine = next(r for r in rows if r["queue"] == "Algemeen" and r["interval_start"][11:16] == "09:00")
    assert (nine["offered"], nine["answered"], nine["answered_within_threshold"], nine["abandoned"]) == (
        "2",
        "1",
        "1",
        "1",
    )
    assert nine["handled"] == "1" and nine["talk_ms"] == "240000" and nine["acw_ms"] == "48000"
    # KPIs from the metrics module: SL 1 ÷ (1 + 1 − 0) = 50 %, ASA 12 s, AHT 288 s, abandon rate 50 %.
    assert (float(nine["service_level"]), float(nine["asa_s"]), float(nine["aht_s"]), float(nine["abandon_rate"])) == (
        50.0,
        12.0,
        288.0,
        50.0,
    )
    empty = next(r for r in rows if r["queue"] == "Chat" and r["interval_start"][11:16] == "09:00")
    assert empty["offered"] == "0" and empty["service_level"] == "" and empty["team"] == "Webcare"
    if quarters == 100:
        twice = [r["interval_start"] for r in rows if r["queue"] == "Chat" and r["interval_start"][11:13] == "02"]
        assert len(twice) == 8 and len(set(twice)) == 8  # 02:00–03:00 twice, told apart by the offset


def test_rollups_filters_and_formats(queues):
    day = date(2026, 10, 25)
    start, end = day_bounds(day)
    intervals_aggregate(start=start, end=end)
    client = client_for("manager")
    for length, per_queue in ((30, 50), (60, 25)):
        rows = _rows(client.get(URL, {"start": day, "end": day, "length": length, "queue": "Chat"}))
        assert len(rows) == per_queue and {r["queue"] for r in rows} == {"Chat"}
        assert {r["length_min"] for r in rows} == {str(length)}
    assert {r["queue"] for r in _rows(client.get(URL, {"start": day, "end": day, "team": "1e lijn"}))} == {"Algemeen"}
    assert {r["queue"] for r in _rows(client.get(URL, {"start": day, "end": day, "channel": "chat"}))} == {"Chat"}

    body = json.loads(b"".join(client.get(URL, {"start": day, "end": day, "format": "json"}).streaming_content))
    assert len(body) == 200 and list(body[0]) == list(EXPORT_COLUMNS)
    assert isinstance(body[0]["offered"], int) and body[0]["service_level"] is None

    response = client.get(URL, {"start": day, "end": day, "format": "xlsx", "queue": "Algemeen"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0] == EXPORT_COLUMNS and len(rows) == 1 + 100
    first = dict(zip_longest(rows[0], rows[1]))  # read-only mode drops trailing empty cells
    assert first["interval_start"] == datetime(2026, 10, 25, 0, 0)  # a date-time cell, local wall clock
    assert first["interval_start_utc"] == datetime(2026, 10, 24, 22, 0)
    assert first["offered"] == 0 and isinstance(first["offered"], int) and first["length_min"] == 15


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"end": "2026-11-01"}, "start"),
        ({"start": "2026-11-02", "end": "2026-11-01"}, "end: is before start"),
        ({"start": "2026-11-01", "end": "2026-11-01", "length": 20}, "length"),
        ({"start": "2026-11-01", "end": "2026-11-01", "format": "pdf"}, "format"),
        ({"start": "2026-11-01", "end": "2026-11-01", "queue": "Nope"}, "queue: unknown queue 'Nope'"),
        ({"start": "2026-11-01", "end": "2026-11-01", "team": "Nope"}, "team: unknown team"),
        ({"start": "2026-11-01", "end": "2026-11-01", "channel": "fax"}, "channel: unknown channel"),
        ({"start": "2025-01-01", "end": "2026-11-01"}, "end: at most 400 days"),
        ({"start": "1 nov", "end": "2026-11-01"}, "start"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(queues, params, message):
    response = client_for().get(URL, params)
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    ("role", "code"), [("supervisor", 403), (None, 403), ("manager", 200), ("admin", 200), ("wfm", 200)]
)
def test_roles(queues, role, code):
    client = APIClient()
    client.force_login(UserFactory(role=role) if role else UserFactory())
    response = client.get(URL, {"start": "2026-11-01", "end": "2026-11-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == code
    if code == 403:
        assert "wfm, manager and admin" in response.json()["error"]
    assert APIClient().get(URL).status_code in (401, 403)


def _fill(queues, days: int, first: date) -> None:
    start, _ = day_bounds(first)
    _, end = day_bounds(first + timedelta(days=days - 1))
    now = datetime.now(UTC)
    QueueInterval.objects.bulk_create(
        [
            QueueInterval(
                queue=q,
                start=at,
                end=at + timedelta(minutes=15),
                offered=7,
                answered=6,
                answered_within_threshold=5,
                handled=6,
                talk_ms=6 * 200_000,
                wait_answered_ms=6 * 9_000,
                computed_at=now,
            )  # fmt: skip
            for at in interval_starts(start, end)
            for q in queues
        ],
        batch_size=2000,
    )


def _stream_peak(query: ExportQuery) -> tuple[int, int]:
    """Peak traced memory while streaming the CSV through the ASGI path, and the bytes it produced."""

    async def consume():
        size = 0
        async for chunk in _async_chunks(csv_chunks(EXPORT_COLUMNS, interval_export_batches(query))):
            size += len(chunk)
        await sync_to_async(connections.close_all)()  # the chunks' thread opened a connection of its own
        return size

    tracemalloc.start()
    try:
        size = asyncio.run(consume())
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, size


@pytest.mark.django_db(transaction=True)
def test_streaming_memory_stays_flat():
    qs = [QueueFactory(name=f"Q{i:02d}") for i in range(10)]
    _fill(qs, 16, date(2026, 11, 1))
    short = ExportQuery(first_day=date(2026, 11, 1), last_day=date(2026, 11, 4))
    long = ExportQuery(first_day=date(2026, 11, 1), last_day=date(2026, 11, 16))
    peak_short, size_short = _stream_peak(short)
    peak_long, size_long = _stream_peak(long)
    assert size_long > 3.9 * size_short  # four times the rows…
    assert peak_long < 1.5 * peak_short  # …but not four times the memory: one day at a time


@pytest.mark.django_db(transaction=True)
def test_background_export_from_the_page_runs_the_task_and_downloads(queues, settings):
    day = date(2026, 11, 24)
    start, end = day_bounds(day)
    intervals_aggregate(start=start, end=end)
    user = UserFactory(role="wfm")
    client = APIClient()
    client.force_login(user)
    app.conf.task_always_eager = True
    try:
        response = client.post(
            "/wfm/intervals/",
            {"start": "2026-11-24", "end": "2026-11-24", "format": "xlsx", "mode": "background"},
        )
    finally:
        app.conf.task_always_eager = False
    export = IntervalExport.objects.get(user=user)
    assert response.status_code == 302 and response["Location"] == f"/wfm/intervals/exports/{export.id}/"
    assert export.status == "done" and export.rows_done == 192 and export.rows_total == 192
    status = client.get(f"/api/v1/intervals/exports/{export.id}/").json()
    assert status["progress"] == 1.0 and status["download_url"].endswith("/file/")
    file = client.get(status["download_url"])
    assert 'filename="intervals_2026-11-24_2026-11-24_15min.xlsx"' in file["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(file.streaming_content)), read_only=True)
    assert len(list(wb.active.iter_rows(values_only=True))) == 193
    assert client.get(f"/wfm/intervals/exports/{export.id}/").status_code == 200
    # Another user cannot see it; running it again changes nothing.
    assert client_for("wfm").get(f"/api/v1/intervals/exports/{export.id}/").status_code == 404
    assert interval_export_run(export_id=str(export.id)).status == "done"


def test_small_export_from_the_page_redirects_to_the_streamed_download(queues):
    client = client_for("manager")
    response = client.post(
        "/wfm/intervals/", {"start": "2026-11-24", "end": "2026-11-24", "format": "csv", "team": "Webcare"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(URL) and "team=Webcare" in response["Location"]
    assert client.get("/wfm/intervals/").status_code == 200
    bad = client.post("/wfm/intervals/", {"start": "2026-11-24", "end": "2026-11-20"})
    assert bad.status_code == 400 and b"end: is before start" in bad.content
    assert client_for("supervisor").get("/wfm/intervals/").status_code == 403


# A stored value of its own for every figure of a queue interval, so a column left out, swapped or
# rolled up wrongly shows. Written by hand: not taken from the tuples the export is built from.
STORED = {
    "offered": 101,
    "answered": 83,
    "answered_within_threshold": 71,
    "abandoned": 17,
    "short_abandoned": 5,
    "abandoned_within_threshold": 3,
    "transferred_out": 7,
    "overflowed_out": 6,
    "handled": 82,
    "callbacks_requested": 11,
    "callbacks_completed": 9,
    "callbacks_kept_on_time": 8,
    "offered_outside_hours": 2,
    "repeat_contacts": 13,
    "wait_answered_ms": 1_660_000,
    "max_wait_answered_ms": 95_000,
    "wait_abandoned_ms": 452_000,
    "talk_ms": 15_800_000,
    "hold_ms": 1_230_000,
    "acw_ms": 2_460_000,
}


def test_every_interval_store_field_is_exported(queues):
    # The figures of the model itself: every field but the row's identity and bookkeeping.
    bookkeeping = {"id", "queue", "start", "end", "computed_at"}
    assert {f.name for f in QueueInterval._meta.concrete_fields} - bookkeeping == set(STORED)  # new field: add it
    algemeen, _chat = queues
    nine_fifteen, nine_thirty = datetime(2026, 11, 24, 9, 15, tzinfo=TZ), datetime(2026, 11, 24, 9, 30, tzinfo=TZ)
    ones = dict.fromkeys(STORED, 1) | {"max_wait_answered_ms": 120_000}
    for at, values in ((nine_fifteen, STORED), (nine_thirty, ones)):
        QueueInterval.objects.create(
            queue=algemeen, start=at, end=at + timedelta(minutes=15), computed_at=datetime.now(UTC), **values
        )
    params = {"start": "2026-11-24", "end": "2026-11-24", "queue": "Algemeen"}
    rows = _rows(client_for().get(URL, params))
    quarter = next(r for r in rows if r["interval_start"] == "2026-11-24T09:15:00+01:00")
    assert {name: quarter.get(name) for name in STORED} == {name: str(value) for name, value in STORED.items()}
    # The hour: every count summed over its quarters, the longest wait the longer of the two.
    rows = _rows(client_for().get(URL, {**params, "length": 60}))
    hour = next(r for r in rows if r["interval_start"] == "2026-11-24T09:00:00+01:00")
    expected = {name: str(value + 1) for name, value in STORED.items()} | {"max_wait_answered_ms": "120000"}
    assert {name: hour.get(name) for name in STORED} == expected


@override_settings(TIME_ZONE="Europe/Amsterdam")
def test_batches_are_whole_local_days(queues):
    day = date(2026, 3, 29)
    start, end = day_bounds(day)
    intervals_aggregate(start=start, end=end + timedelta(days=1))
    batches = list(interval_export_batches(ExportQuery(first_day=day, last_day=day + timedelta(days=1), length=60)))
    assert [len(b) for b in batches] == [2 * 23, 2 * 24]
