"""Forecast import (line-numbered errors, good rows kept, idempotent), the builder from history (weights,
calendar, DST, accuracy on simulated history), forecast against actual, and the forecast export."""

from __future__ import annotations

import csv
import io
import math
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from dashboard.core import erlang
from dashboard.core.models import ClosedDay
from dashboard.core.periods import day_bounds, interval_starts
from dashboard.intervals.models import QueueInterval
from dashboard.wfm.models import ForecastEvent, ForecastInterval
from dashboard.wfm.selectors import forecast_accuracy, forecast_day
from dashboard.wfm.services.forecast import forecast_build, forecast_import
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def queue():
    return QueueFactory(name="Algemeen", team=TeamFactory(name="1e lijn"), sl_threshold_s=20, sl_target_pct=80)


def client_for(role="wfm"):
    client = APIClient()
    client.force_login(UserFactory(role=role))
    return client


def put(
    queue, day: date, values: dict[time, tuple[int, float]] | None = None, *, every: tuple[int, float] | None = None
):
    """Interval-store rows for a whole local day: offered and AHT per local quarter-hour (0 elsewhere)."""
    start, end = day_bounds(day)
    now = datetime.now(UTC)
    rows = []
    for at in interval_starts(start, end):
        local = at.astimezone(TZ)
        offered, aht = every if every else (values or {}).get(time(local.hour, local.minute), (0, 0.0))
        rows.append(
            QueueInterval(
                queue=queue,
                start=at,
                end=at + timedelta(minutes=15),
                offered=offered,
                answered=offered,
                handled=offered,
                talk_ms=round(offered * aht * 1000),
                computed_at=now,
            )  # fmt: skip
        )
    QueueInterval.objects.bulk_create(rows)


def forecast_of(queue, day: date) -> dict[str, ForecastInterval]:
    start, end = day_bounds(day)
    rows = ForecastInterval.objects.filter(queue=queue, start__gte=start, start__lt=end).order_by("start")
    return {f.start.astimezone(TZ).isoformat(): f for f in rows}


# --- import --------------------------------------------------------------------------------------------------

GOOD_AND_BAD = """queue,interval_start,offered,aht_s
Algemeen,2026-03-30T09:00:00+02:00,42.5,185
Algemeen,2026-03-30T09:15:00,40,190
Onbekend,2026-03-30T09:15:00+02:00,3,100
Algemeen,2026-03-30T09:20:00+02:00,3,100
Algemeen,30-03-2026 09:30,3,100
Algemeen,2026-03-30T09:45:00+02:00,-1,100
Algemeen,2026-03-30T10:00:00+02:00,5,0
Algemeen,2026-03-30T10:15:00+02:00,veel,100
Algemeen,2026-10-25T02:15:00,4,100
Algemeen,2026-03-29T02:15:00,4,100
Algemeen,2026-03-30T09:00:00+02:00,1,100
Algemeen,2026-03-30T10:30:00+02:00
Algemeen,2026-03-30T10:45:00+02:00,0,0
"""


def test_import_keeps_good_rows_and_names_each_bad_line(queue):
    result = forecast_import(data=GOOD_AND_BAD.encode()).as_dict()
    assert (result["lines"], result["imported"], result["created"], result["updated"]) == (13, 3, 3, 0)
    errors = {e["line"]: e["error"] for e in result["errors"]}
    assert errors == {
        4: "queue: unknown queue 'Onbekend'",
        5: "interval_start: 2026-03-30T09:20:00+02:00 is not the start of a quarter-hour (:00, :15, :30, :45)",
        6: "interval_start: '30-03-2026 09:30' is not an ISO 8601 date and time, e.g. 2026-03-30T09:15:00+02:00",
        7: "offered: '-1' is negative",
        8: "aht_s: '0' must be more than 0 seconds when contacts are offered",
        9: "offered: 'veel' is not a number",
        10: "interval_start: 2026-10-25T02:15:00 happens twice in Europe/Amsterdam (DST ends); add the UTC offset",
        11: "interval_start: 2026-03-29T02:15:00 does not exist in Europe/Amsterdam (the clock skips it)",
        12: "queue and interval_start: the same as line 2",
        13: "2 column(s); need 4: queue, interval_start, offered, aht_s",
    }
    rows = forecast_of(queue, date(2026, 3, 30))
    assert rows["2026-03-30T09:00:00+02:00"].offered == 42.5 and rows["2026-03-30T09:00:00+02:00"].aht_s == 185
    assert rows["2026-03-30T09:15:00+02:00"].offered == 40  # no offset: local time
    assert rows["2026-03-30T10:45:00+02:00"].source == "imported"
    # Idempotent: the same file again creates nothing and leaves the same values.
    again = forecast_import(data=GOOD_AND_BAD.encode()).as_dict()
    assert (again["imported"], again["created"], again["updated"]) == (3, 0, 3)
    assert ForecastInterval.objects.count() == 3
    assert forecast_of(queue, date(2026, 3, 30))["2026-03-30T09:00:00+02:00"].offered == 42.5


def test_import_semicolons_decimal_commas_bom_and_any_column_order(queue):
    text = "\ufeffaht_s;offered;queue;interval_start\n187,5;12,25;Algemeen;2026-10-25T02:15:00+01:00\n190;3;Algemeen;2026-10-25T02:15:00+02:00\n"
    result = forecast_import(data=text.encode()).as_dict()
    assert result["imported"] == 2 and result["rejected"] == 0
    rows = forecast_of(queue, date(2026, 10, 25))
    assert rows["2026-10-25T02:15:00+01:00"].offered == 12.25 and rows["2026-10-25T02:15:00+01:00"].aht_s == 187.5
    assert rows["2026-10-25T02:15:00+02:00"].offered == 3  # the first 02:15 of the night, an hour earlier
    # Without a header the columns are queue, interval_start, offered, aht_s.
    assert forecast_import(data="Algemeen,2026-10-26T08:00:00+01:00,5,200\n").as_dict()["imported"] == 1
    missing = forecast_import(data="queue,offered\nAlgemeen,3\n").as_dict()
    assert missing["errors"] == [
        {
            "line": 1,
            "error": "header: missing column(s) interval_start, aht_s; need queue, interval_start, offered, aht_s",
        }
    ]


def test_import_api_statuses_and_roles(queue):
    client = client_for("wfm")
    url = "/api/v1/wfm/forecast/import/"
    upload = SimpleUploadedFile("f.csv", GOOD_AND_BAD.encode(), content_type="text/csv")
    response = client.post(url, {"file": upload}, format="multipart")
    assert response.status_code == 207 and response.json()["imported"] == 3 and response.json()["rejected"] == 10
    ok = client.generic("POST", url, "Algemeen,2026-03-31T09:00:00+02:00,4,100\n", content_type="text/csv")
    assert ok.status_code == 200 and ok.json()["created"] == 1
    bad = client.generic("POST", url, "Nope,2026-03-31T09:00:00+02:00,4,100\n", content_type="text/csv")
    assert bad.status_code == 400 and "no row imported" in bad.json()["error"] and bad.json()["errors"][0]["line"] == 1
    assert client.post(url, {}, format="multipart").json()["error"].startswith("file:")
    latin = client.generic(
        "POST", url, "Algemeen,2026-03-31T09:00:00+02:00,4,1\u00e9\n".encode("latin-1"), content_type="text/csv"
    )
    assert latin.status_code == 400 and "UTF-8" in latin.json()["error"]
    assert client_for("supervisor").generic("POST", url, "x", content_type="text/csv").status_code == 403


# --- the builder ------------------------------------------------------------------------------------------------


def test_builder_weights_same_weekday_and_computes_aht(queue):
    target = date(2026, 11, 24)  # Tuesday
    put(queue, target - timedelta(days=7), {time(9): (10, 200.0)})
    put(queue, target - timedelta(days=14), {time(9): (4, 300.0), time(9, 15): (6, 100.0)})
    put(queue, target - timedelta(days=1), {time(9): (99, 999.0)})  # a Monday: not the same weekday
    result = forecast_build(first_day=target, last_day=target, queue="Algemeen", weeks=2, weights=[2, 1])
    assert (result.rows, result.created, result.without_history) == (96, 96, [])
    rows = forecast_of(queue, target)
    nine = rows["2026-11-24T09:00:00+01:00"]
    assert nine.offered == pytest.approx((2 * 10 + 1 * 4) / 3)  # = 8
    assert nine.aht_s == pytest.approx((2 * 10 * 200 + 1 * 4 * 300) / (2 * 10 + 1 * 4))  # = 216.67
    quarter = rows["2026-11-24T09:15:00+01:00"]
    assert quarter.offered == pytest.approx(6 / 3) and quarter.aht_s == pytest.approx(100.0)
    # A quarter-hour that never had a handled contact gets the queue's AHT over all history.
    assert rows["2026-11-24T10:00:00+01:00"].offered == 0
    assert rows["2026-11-24T10:00:00+01:00"].aht_s == pytest.approx((2000 + 1200 + 600) / 20)
    assert nine.source == "built"
    # Building again is idempotent.
    again = forecast_build(first_day=target, last_day=target, queue="Algemeen", weeks=2, weights=[2, 1])
    assert (again.created, again.updated) == (0, 96) and ForecastInterval.objects.count() == 96
    # Default weights: weeks, …, 1.
    forecast_build(first_day=target, last_day=target, queue="Algemeen", weeks=2)
    assert forecast_of(queue, target)["2026-11-24T09:00:00+01:00"].offered == pytest.approx(8.0)


def test_builder_calendar_scales_and_history_without_its_events(queue):
    target = date(2026, 11, 24)
    put(queue, target - timedelta(days=7), {time(9): (30, 200.0)})  # a campaign week: 1.5 × the usual 20
    put(queue, target - timedelta(days=14), {time(9): (20, 200.0)})
    ForecastEvent.objects.create(
        name="Mailing", first_day=target - timedelta(days=8), last_day=target - timedelta(days=6), volume_factor=1.5
    )
    ForecastEvent.objects.create(
        name="Prijswijziging", first_day=target, last_day=target, channel="voice", volume_factor=2.0
    )
    ForecastEvent.objects.create(name="Chat only", first_day=target, last_day=target, channel="chat", volume_factor=9.0)
    forecast_build(first_day=target, last_day=target, queue="Algemeen", weeks=2, weights=[1, 1])
    # History: 30 ÷ 1.5 = 20 and 20 → 20; the target day's event doubles it; the chat event does not apply.
    assert forecast_of(queue, target)["2026-11-24T09:00:00+01:00"].offered == pytest.approx(40.0)
    # A closed history day is left out; a closed target day is forecast at zero.
    ClosedDay.objects.create(queue=queue, date=target - timedelta(days=14), reason="storing")
    forecast_build(first_day=target, last_day=target, queue="Algemeen", weeks=2, weights=[1, 1])
    assert forecast_of(queue, target)["2026-11-24T09:00:00+01:00"].offered == pytest.approx(40.0)
    ClosedDay.objects.create(queue=None, date=target, reason="Kerst")
    forecast_build(first_day=target, last_day=target, queue="Algemeen", weeks=2)
    assert sum(f.offered for f in forecast_of(queue, target).values()) == 0


def test_builder_on_dst_days_and_without_history(queue):
    put(queue, date(2026, 10, 18), every=(8, 120.0))  # an ordinary Sunday: 96 quarter-hours of 8
    put(queue, date(2026, 10, 25), every=(8, 120.0))  # the fall-back Sunday: 100 quarter-hours of 8
    result = forecast_build(first_day=date(2026, 10, 25), last_day=date(2026, 11, 1), queue="Algemeen", weeks=1)
    fall_back = forecast_of(queue, date(2026, 10, 25))
    assert len(fall_back) == 100 and {f.offered for f in fall_back.values()} == {8.0}
    assert len(forecast_of(queue, date(2026, 11, 1))) == 96  # learned from the 100-quarter-hour day
    assert {f.offered for f in forecast_of(queue, date(2026, 11, 1)).values()} == {8.0}
    assert {"queue": "Algemeen", "day": "2026-10-26"} in result.without_history
    assert result.rows == 100 + 96
    put(queue, date(2026, 3, 22), every=(4, 60.0))
    forecast_build(first_day=date(2026, 3, 29), last_day=date(2026, 3, 29), queue="Algemeen", weeks=1)
    assert len(forecast_of(queue, date(2026, 3, 29))) == 92


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weeks": 0}, "weeks"),
        ({"weeks": 2, "weights": [1]}, "weights: 1 given for 2 weeks"),
        ({"weeks": 2, "weights": [0, 0]}, "weights"),
        ({"queue": "Nope"}, "no queue matches"),
    ],
)
def test_builder_bad_input(queue, kwargs, message):
    with pytest.raises(ValueError, match=message):
        forecast_build(first_day=date(2026, 11, 24), last_day=date(2026, 11, 24), **kwargs)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _rate(day: date, at: time) -> float:
    """The simulated centre: open 08–20, a morning peak, Mondays 40 % busier."""
    hour = at.hour + at.minute / 60
    if not 8 <= hour < 20:
        return 0.0
    peak = 1.0 + 1.2 * math.exp(-(((hour - 10.5) / 1.5) ** 2))
    return 12.0 * peak * (1.4 if day.weekday() == 0 else 1.0)


def _simulate(queue, day: date, rng: random.Random) -> None:
    put(
        queue,
        day,
        {time(h, m): (_poisson(rng, _rate(day, time(h, m))), 240.0) for h in range(24) for m in (0, 15, 30, 45)},
    )


def test_forecast_accuracy_on_simulated_history(queue):
    rng = random.Random(20261124)
    target = date(2026, 11, 23)  # a Monday; forecast the whole week
    for offset in range(1, 43):  # six weeks of history
        _simulate(queue, target - timedelta(days=offset), rng)
    result = forecast_build(first_day=target, last_day=target + timedelta(days=6), queue="Algemeen", weeks=6)
    assert result.rows == 7 * 96 and not result.without_history
    # Against the true rates the weighted average of six weeks is close (Poisson noise averaged out) …
    abs_error = truth = 0.0
    for d in range(7):
        day = target + timedelta(days=d)
        for key, f in forecast_of(queue, day).items():
            rate = _rate(day, datetime.fromisoformat(key).time())
            abs_error += abs(f.offered - rate)
            truth += rate
    assert abs_error / truth < 0.10
    # … and against a week that then happens, WAPE is near the Poisson floor and the bias near zero.
    for d in range(7):
        _simulate(queue, target + timedelta(days=d), rng)
    days = forecast_accuracy(first_day=target, last_day=target + timedelta(days=6), queue="Algemeen")
    assert len(days) == 7 and {d["intervals"] for d in days} == {96}
    total_actual = sum(d["actual"] for d in days)
    weighted_wape = sum(d["wape"] * d["actual"] for d in days) / total_actual
    assert 8 < weighted_wape < 30
    assert abs(sum(d["bias"] * d["actual"] for d in days) / total_actual) < 5
    monday = days[0]
    assert monday["weekday"] == "Mon" and monday["actual"] > days[1]["actual"]  # the Monday peak was learned


# --- forecast against actual, and its export ---------------------------------------------------------------------


def test_forecast_day_and_export(queue):
    day = date(2026, 11, 24)
    put(queue, day, {time(9): (30, 180.0), time(9, 15): (10, 180.0)})
    forecast_import(data=b"Algemeen,2026-11-24T09:00:00+01:00,25,180\nAlgemeen,2026-11-24T09:15:00+01:00,10,180\n")
    result = forecast_day(day=day, queue="Algemeen", shrinkage=0.3)
    nine = next(r for r in result["rows"] if r["interval_start"] == "2026-11-24T09:00:00+01:00")
    expected = erlang.required_agents(calls=25, interval_s=900, aht_s=180, target_sl=0.8, threshold_s=20)
    assert nine["required_agents_forecast"] == expected
    assert nine["scheduled_agents_forecast"] == math.ceil(expected / 0.7)
    assert nine["required_agents_actual"] == erlang.required_agents(
        calls=30, interval_s=900, aht_s=180, target_sl=0.8, threshold_s=20
    )
    # WAPE = (|30 − 25| + |10 − 10|) ÷ 40 = 12.5 %; bias = (35 − 40) ÷ 40 = −12.5 %.
    assert result["wape"] == pytest.approx(12.5) and result["bias"] == pytest.approx(-12.5)
    client = client_for("manager")
    api = client.get("/api/v1/wfm/forecast/", {"day": "2026-11-24", "queue": "Algemeen"}).json()
    assert api["wape"] == pytest.approx(12.5)
    assert client.get("/api/v1/wfm/forecast/accuracy/", {"start": "2026-11-24", "end": "2026-11-24"}).json()["days"][0][
        "bias"
    ] == pytest.approx(-12.5)

    response = client.get(
        "/api/v1/wfm/forecast/export/", {"start": "2026-11-24", "end": "2026-11-24", "length": 30, "shrinkage": 0.3}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["interval_start"] == "2026-11-24T09:00:00+01:00" and row["interval_start_utc"] == "2026-11-24T08:00:00Z"
    assert float(row["offered_forecast"]) == 35 and float(row["aht_s_forecast"]) == 180
    required = erlang.required_agents(calls=35, interval_s=1800, aht_s=180, target_sl=0.8, threshold_s=20)
    assert int(row["required_agents"]) == required and int(row["scheduled_agents"]) == math.ceil(required / 0.7)
    assert row["source"] == "imported" and row["length_min"] == "30"
    assert (
        client.get("/api/v1/wfm/forecast/", {"day": "2026-11-24", "queue": "Nope"}).json()["error"]
        == "queue: unknown queue 'Nope'"
    )


def test_forecast_build_api_and_page(queue):
    target = date(2026, 11, 24)
    put(queue, target - timedelta(days=7), {time(9): (10, 200.0)})
    client = client_for("wfm")
    response = client.post(
        "/api/v1/wfm/forecast/build/", {"start": "2026-11-24", "end": "2026-11-24", "weeks": 1}, format="json"
    )
    assert response.status_code == 200 and response.json()["rows"] == 96
    bad = client.post(
        "/api/v1/wfm/forecast/build/",
        {"start": "2026-11-24", "end": "2026-11-24", "weeks": 2, "weights": [1]},
        format="json",
    )
    assert bad.status_code == 400 and "weights" in bad.json()["error"]
    page = client.get("/wfm/forecast/", {"queue": "Algemeen", "day": "2026-11-24"})
    assert page.status_code == 200 and b"forecast-chart" in page.content
    upload = SimpleUploadedFile("f.csv", GOOD_AND_BAD.encode(), content_type="text/csv")
    page = client.post("/wfm/forecast/", {"action": "import", "file": upload})
    assert page.status_code == 200 and b"unknown queue" in page.content
    page = client.post(
        "/wfm/forecast/", {"action": "build", "start": "2026-11-25", "end": "2026-11-25", "weeks": "1", "weights": "1"}
    )
    assert page.status_code == 200 and b"build-result" in page.content
    page = client.post(
        "/wfm/forecast/",
        {"action": "build", "start": "2026-11-25", "end": "2026-11-25", "weights": "a,b"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 400 and b"weights: write numbers" in page.content
    page = client.post(
        "/wfm/forecast/",
        {"action": "build", "start": "2026-11-25", "end": "2026-11-25", "weights": "a,b"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert page.status_code == 400 and b"gewichten: schrijf getallen" in page.content
    page = client.post("/wfm/forecast/", {"action": "build", "start": "2026-11-25", "end": "2026-11-20"})
    assert page.status_code == 400 and b"end: is before start" in page.content
    assert client_for("supervisor").get("/wfm/forecast/").status_code == 403


def test_forecast_day_and_export_agree_on_no_traffic_and_unknown_aht(queue):
    # The day view said None and the export 0 for a forecast with an AHT of 0: both now say 0 (no traffic
    # needs no agents); an actual interval where nothing was handled has an unknown AHT: None.
    day = date(2026, 11, 24)
    start, _ = day_bounds(day)
    nine = start + timedelta(hours=9)
    ForecastInterval.objects.create(queue=queue, start=nine, offered=12, aht_s=0.0, source="imported")
    ForecastInterval.objects.create(queue=queue, start=nine + timedelta(minutes=15), offered=0, aht_s=0.0)
    now = datetime.now(UTC)
    QueueInterval.objects.create(queue=queue, start=nine, end=nine + timedelta(minutes=15), offered=5, computed_at=now)

    rows = {r["interval_start"]: r for r in forecast_day(day=day, queue="Algemeen")["rows"]}
    at_nine, quarter_past = rows["2026-11-24T09:00:00+01:00"], rows["2026-11-24T09:15:00+01:00"]
    assert (at_nine["required_agents_forecast"], at_nine["scheduled_agents_forecast"]) == (0, 0)
    assert (at_nine["aht_s_actual"], at_nine["required_agents_actual"]) == (None, None)
    assert quarter_past["required_agents_forecast"] == 0

    client = client_for("wfm")
    response = client.get("/api/v1/wfm/forecast/export/", {"start": "2026-11-24", "end": "2026-11-24"})
    exported = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["required_agents"], float(r["traffic_erlangs"])) for r in exported] == [("0", 0.0), ("0", 0.0)]


@pytest.mark.parametrize(
    "start",
    [
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "2099-01-05T09:00:00+01:00",
        "1999-01-04T09:00:00+01:00",
    ],
)
def test_import_refuses_a_start_outside_the_forecast_window_and_keeps_the_rest(queue, start):
    """A start the calendar cannot carry in UTC, or far from today, is a line error; the good line stays."""
    data = f"queue,interval_start,offered,aht_s\nAlgemeen,2026-11-24T09:00:00+01:00,3,180\nAlgemeen,{start},1,100\n"
    result = forecast_import(data=data.encode()).as_dict()
    assert result["imported"] == 1
    assert [e["line"] for e in result["errors"]] == [3]
    assert result["errors"][0]["error"].startswith(f"interval_start: {start} is outside")
