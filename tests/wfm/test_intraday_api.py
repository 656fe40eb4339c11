"""GET /api/v1/wfm/intraday/ and the page /wfm/intraday/: today's forecast against actual from the live
state (not waiting for the interval store), the rest of the day reforecast, required and staffed agents,
the alert "unannounced campaign?" on simulated days, other days from the interval store (DST days
included), and bad input as a 400 naming the field."""

from __future__ import annotations

import math
from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.core import erlang
from dashboard.core import wfm as rules
from dashboard.core.periods import centre_tz, day_bounds, floor_interval, interval_starts
from dashboard.ingest.services import events_ingest
from dashboard.intervals.models import IntervalWatermark, QueueInterval, TeamInterval
from dashboard.wfm.models import ForecastInterval, IntradaySetting
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/wfm/intraday/"


def client_for(role="wfm"):
    client = APIClient()
    client.force_login(UserFactory(role=role))
    return client


@pytest.fixture
def centre():
    team = TeamFactory(name="1e lijn")
    sales = QueueFactory(name="Verkoop", team=team, sl_target_pct=80, sl_threshold_s=20)
    mail = QueueFactory(name="Mail", team=team, channel="email", response_target_s=4 * 3600)
    for login in ("ann", "bob", "cas", "dirk"):
        AgentFactory(login_id=login, team=team, skills=[sales, mail])
    return {"team": team, "sales": sales, "mail": mail}


def _forecast(queue, day, offered, aht_s=200.0):
    start, end = day_bounds(day)
    ForecastInterval.objects.bulk_create(
        ForecastInterval(queue=queue, start=at, offered=offered, aht_s=aht_s, source="imported")
        for at in interval_starts(start, end)
    )


def _contacts(queue, at, n, prefix):
    events = []
    for k in range(n):
        cid = f"{prefix}{k}"
        events += [
            {"id": f"{cid}o", "type": "contact.offered", "at": at.isoformat(), "contact_id": cid, "queue": queue, "channel": "voice"},
            {"id": f"{cid}a", "type": "contact.answered", "at": at.isoformat(), "contact_id": cid, "agent": "ann"},
            {"id": f"{cid}e", "type": "contact.ended", "at": (at + timedelta(seconds=200)).isoformat(), "contact_id": cid},
        ]  # fmt: skip
    return events


def test_today_from_the_live_state_with_the_rest_reforecast(centre):
    now = timezone.now()
    current = floor_interval(now)
    if now.astimezone(centre_tz()).time() < time(0, 45):
        pytest.skip("needs two closed quarter-hours of today")
    today = now.astimezone(centre_tz()).date()
    _forecast(centre["sales"], today, 10.0)
    q1, q2 = current - timedelta(minutes=30), current - timedelta(minutes=15)
    events = (
        _contacts("Verkoop", q1, 15, "x") + _contacts("Verkoop", q2, 15, "y") + _contacts("Verkoop", current, 3, "z")
    )
    events += [
        {"id": f"s{login}", "type": "agent.state", "at": (current - timedelta(minutes=40)).isoformat(), "agent": login, "state": "available"}
        for login in ("bob", "cas", "dirk")
    ]  # fmt: skip
    events_ingest(source=SourceFactory(name="acd"), events=events)
    # The interval store has aggregated agent time up to q2 (not the contacts: they come from the live state).
    IntervalWatermark.objects.update_or_create(pk=1, defaults={"aggregated_until": q2})
    TeamInterval.objects.create(team=centre["team"], start=q1, end=q2, staffed_s=1800, computed_at=now)
    # Nothing aggregated into the interval store: today's actual must not wait for it.
    assert not QueueInterval.objects.exists()
    body = client_for().get(URL, {"queue": centre["sales"].id}).json()
    start, end = day_bounds(today)
    starts = interval_starts(start, end)
    assert len(body["rows"]) == len(starts) and body["date"] == today.isoformat()
    assert body["actual_source"] in ("live_state", "database")
    i = starts.index(current)
    assert body["closed_intervals"] == i
    rows = body["rows"]
    assert [rows[i - 2]["status"], rows[i]["status"], rows[-1]["status"] if i < len(rows) - 1 else "future"] == [
        "closed", "open", "future",
    ]  # fmt: skip
    assert rows[i - 1]["start"] == q2.astimezone(centre_tz()).isoformat()
    assert rows[i - 1]["end"] == current.astimezone(centre_tz()).isoformat()
    assert (rows[i - 2]["actual_offered"], rows[i - 1]["actual_offered"], rows[i]["actual_offered"]) == (15, 15, 3)
    assert rows[i - 1]["actual_aht_s"] == pytest.approx(200.0) and rows[i - 1]["forecast_aht_s"] == 200.0
    assert rows[i - 1]["deviation_pct"] == 50.0 and rows[i]["deviation_pct"] is None
    assert rows[i - 1]["reforecast_offered"] is None
    actual = [0] * (i - 2) + [15, 15]
    expected = rules.reforecast(forecast=[10.0] * len(starts), actual=actual)
    assert expected.factor != 1.0
    assert rows[i]["reforecast_offered"] == pytest.approx(10.0 * expected.factor, abs=0.01)
    assert body["reforecast"]["queues"][0]["factor"] == pytest.approx(expected.factor)
    assert body["reforecast"]["window_intervals"] == rules.REFORECAST_WINDOW
    need = erlang.interval_required_agents(offered=15, aht_s=200.0, interval_s=900, target_sl=0.8, threshold_s=20)
    assert rows[i - 1]["required_agents"] == need
    ahead = erlang.interval_required_agents(
        offered=10.0 * expected.factor, aht_s=200.0, interval_s=900, target_sl=0.8, threshold_s=20
    )
    assert rows[i]["required_agents"] == ahead
    # Staffed now: the live state (bob, cas, dirk available; ann logged in by answering).
    assert rows[i]["staffed_agents"] >= 3
    assert rows[i - 2]["staffed_agents"] == 2.0  # 1800 s logged in over 900 s
    assert rows[i - 1]["staffed_agents"] is None  # the interval store has not aggregated it yet
    gap = body["staffing_gap"]
    assert gap["start"] == rows[i]["start"] and gap["logged_in"] == rows[i]["staffed_agents"]
    most = max(r["required_agents"] for r in rows[i : i + 4])
    assert gap["required_max"] == math.ceil(round(most, 6))  # people, not a fraction of one
    assert gap["needed"] == gap["required_max"] - gap["logged_in"]
    assert rows[i]["scheduled_agents"] == 0  # no schedule imported (tests/wfm/test_schedule_adherence.py has one)


def _store_day(queue, day, offered_by_quarter, handled_ms=200_000):
    start, end = day_bounds(day)
    stamp = timezone.now()
    QueueInterval.objects.bulk_create(
        QueueInterval(queue=queue, start=at, end=at + timedelta(minutes=15), offered=n, answered=n, handled=n,
                      talk_ms=n * handled_ms, computed_at=stamp)
        for at, n in zip(interval_starts(start, end), offered_by_quarter, strict=False)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("day", "quarters"), [(date(2026, 3, 29), 92), (date(2026, 10, 25), 100), (date(2026, 6, 3), 96)]
)
def test_another_day_from_the_interval_store_dst_days_included(centre, day, quarters):
    _forecast(centre["sales"], day, 8.0)
    _store_day(centre["sales"], day, [10] * quarters)
    start, end = day_bounds(day)
    IntervalWatermark.objects.update_or_create(pk=1, defaults={"aggregated_until": end})
    TeamInterval.objects.create(team=centre["team"], start=start, end=start + timedelta(minutes=15), staffed_s=2700,
                                computed_at=timezone.now())  # fmt: skip
    body = client_for("manager").get(URL, {"queue": centre["sales"].id, "date": day.isoformat()}).json()
    rows = body["rows"]
    assert len(rows) == quarters and body["actual_source"] == "interval_store"
    assert {r["status"] for r in rows} == {"closed"}
    assert all(r["deviation_pct"] == 25.0 and r["reforecast_offered"] is None for r in rows)
    assert rows[0]["staffed_agents"] == 3.0 and rows[1]["staffed_agents"] == 0.0
    assert body["staffing_gap"] is None
    # The hour that happens twice in October is two rows apart by their offset; every row is half-open.
    assert all(a["end"] == b["start"] for a, b in zip(rows, rows[1:], strict=False)) or quarters == 100
    assert len({r["start"] for r in rows}) == quarters


def test_a_team_pools_voice_by_erlang_and_adds_mail_workload(centre):
    day = date(2026, 6, 3)
    _forecast(centre["sales"], day, 20.0)
    _forecast(centre["mail"], day, 9.0, aht_s=600.0)
    body = client_for().get(URL, {"team": centre["team"].id, "date": "2026-06-10"}).json()  # a future day
    row = body["rows"][40]
    assert body["model"] == "erlang_c+workload" and body["scope"] == "team"
    body = client_for().get(URL, {"team": centre["team"].id, "date": day.isoformat()}).json()
    row = body["rows"][40]
    assert row["forecast_offered"] == 29.0
    assert row["forecast_aht_s"] == pytest.approx((20 * 200 + 9 * 600) / 29, abs=0.01)
    # A past day with no actual in the store: 0 came, so nothing required for voice, nothing for mail.
    assert row["actual_offered"] == 0 and row["required_agents"] == 0


def test_a_future_day_is_the_forecast_and_erlang_a_where_the_queue_says(centre):
    day = timezone.now().astimezone(centre_tz()).date() + timedelta(days=7)
    _forecast(centre["sales"], day, 30.0)
    IntradaySetting.objects.create(queue=centre["sales"], patience_s=120)
    body = client_for().get(URL, {"queue": centre["sales"].id, "date": day.isoformat()}).json()
    row = body["rows"][40]
    assert body["model"] == "erlang_a" and body["patience_s"] == 120
    assert row["status"] == "future" and row["reforecast_offered"] == 30.0 and row["actual_offered"] is None
    assert row["required_agents"] == erlang.interval_required_agents(
        offered=30.0, aht_s=200.0, interval_s=900, target_sl=0.8, threshold_s=20, patience_s=120
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "queue"),
        ({"queue": "abc"}, "queue"),
        ({"queue": "0"}, "queue"),
        ({"queue": "999999"}, "queue"),
        ({"team": "999999"}, "team"),
        ({"channel": "fax"}, "channel"),
        ({"queue": "QUEUE", "team": "TEAM"}, "queue"),
        ({"queue": "QUEUE", "date": "2026-13-01"}, "date"),
        ({"queue": "QUEUE", "date": "1800-01-01"}, "date"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(centre, params, field):
    params = {k: {"QUEUE": centre["sales"].id, "TEAM": centre["team"].id}.get(v, v) for k, v in params.items()}
    response = client_for().get(URL, params)
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(f"{field}:")


def test_the_page_needs_a_wfm_role(centre):
    assert client_for("supervisor").get("/wfm/intraday/").status_code == 403
    page = client_for("wfm").get("/wfm/intraday/", {"queue": centre["sales"].id}, HTTP_ACCEPT_LANGUAGE="nl")
    assert page.status_code == 200
    text = page.content.decode()
    assert "wfm-intraday.js" in text and f"/api/v1/wfm/intraday/?queue={centre['sales'].id}" in text
    assert "Intraday: prognose tegen werkelijk" in text


def test_setting_validation():
    with pytest.raises(Exception):  # noqa: B017,PT011 (the database refuses a zero threshold)
        IntradaySetting.objects.create(queue=QueueFactory(name="X"), alert_threshold_pct=0)


def test_a_supervisor_sees_their_own_team_and_its_queues_only(centre):
    """The supervisor view's intraday panel asks for the supervisor's team: allowed for their teams and
    their queues; another team, its queue or a channel (it spans the teams) is a 403 naming it."""
    other = TeamFactory(name="2e lijn")
    other_queue = QueueFactory(name="Storing", team=other)
    client = APIClient()
    client.force_login(UserFactory(role="supervisor", teams=[centre["team"]]))
    own = client.get(URL, {"team": centre["team"].id})
    assert own.status_code == 200, own.content
    assert own.json()["name"] == "1e lijn"
    assert client.get(URL, {"queue": centre["sales"].id}).status_code == 200
    for params, says in (
        ({"team": other.id}, f"team {other.id}"),
        ({"queue": other_queue.id}, f"queue {other_queue.id}"),
        ({"channel": "voice"}, "channel 'voice'"),
    ):
        response = client.get(URL, params)
        assert response.status_code == 403, (params, response.content)
        assert says in response.json()["error"], response.json()
    # A manager sees every team; a user without a role nothing.
    assert client_for("manager").get(URL, {"team": other.id}).status_code == 200
    assert client_for("nobody").get(URL, {"team": centre["team"].id}).status_code == 403
