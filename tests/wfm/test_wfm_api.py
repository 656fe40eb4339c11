"""GET /api/v1/wfm/erlang/, required against staffed (API and page), the WFM pages and their roles."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from dashboard.core import erlang
from dashboard.core.periods import day_bounds, interval_starts
from dashboard.intervals.models import QueueInterval, TeamInterval
from dashboard.wfm.selectors import staffing_mark
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
ERLANG = "/api/v1/wfm/erlang/"


def client_for(role="wfm"):
    client = APIClient()
    client.force_login(UserFactory(role=role))
    return client


# --- Erlang ----------------------------------------------------------------------------------------------------


def test_erlang_c_worked_example():
    body = (
        client_for()
        .get(
            ERLANG,
            {"calls": 100, "interval_s": 1800, "aht_s": 180, "target_sl": 0.8, "threshold_s": 20, "shrinkage": 0.3},
        )
        .json()
    )
    # A = 10 Erlang; 14 agents reach 80/20 (13 give 79.6 %); ⌈14 ÷ 0.7⌉ = 20 to schedule.
    assert body["model"] == "erlang_c" and body["traffic_erlangs"] == 10.0
    assert (body["required_agents"], body["scheduled_agents"], body["agents"]) == (14, 20, 14)
    c14 = erlang.erlang_c(14, 10.0)
    assert body["p_wait"] == pytest.approx(c14)
    assert body["service_level"] == pytest.approx(1 - c14 * math.exp(-4 * 20 / 180))
    assert body["asa_s"] == pytest.approx(c14 * 180 / 4) and body["occupancy"] == pytest.approx(10 / 14)
    assert "p_abandon" not in body
    assert [r["agents"] for r in body["by_agents"]] == list(range(9, 20))
    assert body["by_agents"][0]["asa_s"] is None and body["by_agents"][0]["service_level"] == 0.0  # 9 < A


def test_erlang_a_and_what_if_agents():
    params = {"calls": 100, "interval_s": 1800, "aht_s": 180, "target_sl": 0.8, "threshold_s": 20, "patience_s": 120}
    body = client_for("manager").get(ERLANG, {**params, "agents": 10}).json()
    perf = erlang.erlang_a_performance(agents=10, traffic=10.0, aht_s=180, threshold_s=20, patience_s=120)
    assert body["model"] == "erlang_a" and body["agents"] == 10
    assert body["p_abandon"] == pytest.approx(perf.p_abandon) and body["service_level"] == pytest.approx(
        perf.service_level
    )
    assert body["required_agents"] == erlang.required_agents(
        calls=100, interval_s=1800, aht_s=180, target_sl=0.8, threshold_s=20, patience_s=120
    )
    assert all("p_abandon" in r for r in body["by_agents"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "calls"),
        ({"calls": 10}, "aht_s"),
        ({"calls": 10, "aht_s": 180, "target_sl": 1}, "target_sl"),
        ({"calls": 10, "aht_s": 180, "target_sl": 80}, "target_sl"),
        ({"calls": -1, "aht_s": 180}, "calls"),
        ({"calls": 10, "aht_s": 180, "shrinkage": 1}, "shrinkage"),
        ({"calls": 10, "aht_s": 180, "max_occupancy": 0}, "max_occupancy"),
        ({"calls": 10, "aht_s": 180, "patience_s": 0}, "patience_s"),
        ({"calls": "many", "aht_s": 180}, "calls"),
    ],
)
def test_erlang_bad_input(params, message):
    response = client_for().get(ERLANG, params)
    assert response.status_code == 400 and response.json()["error"].startswith(message)


def test_erlang_roles():
    assert client_for("supervisor").get(ERLANG, {"calls": 1, "aht_s": 1}).status_code == 403
    assert client_for("admin").get(ERLANG, {"calls": 1, "aht_s": 1}).status_code == 200
    assert APIClient().get(ERLANG, {"calls": 1, "aht_s": 1}).status_code in (401, 403)


# --- required against staffed ----------------------------------------------------------------------------------


@pytest.fixture
def team_day():
    """A team with two queues on 2026-11-24: 09:00 busy and short of agents, 09:15 calm with plenty."""
    team = TeamFactory(name="1e lijn")
    algemeen = QueueFactory(name="Algemeen", team=team, sl_threshold_s=20, sl_target_pct=80)
    facturen = QueueFactory(name="Facturen", team=team, sl_threshold_s=30, sl_target_pct=70)
    day = date(2026, 11, 24)
    start, end = day_bounds(day)
    now = datetime.now(UTC)
    volumes = {  # local time: {queue: (offered, handled, handle seconds each)}
        time(9): {algemeen: (60, 60, 200), facturen: (30, 30, 300)},
        time(9, 15): {algemeen: (10, 10, 200), facturen: (0, 0, 0)},
    }
    agents = {time(9): (12, 11, 0.5), time(9, 15): (15, 14, 1.0)}  # (logged in, productive, paused) agents
    q_rows, t_rows = [], []
    for at in interval_starts(start, end):
        local = at.astimezone(TZ).time()
        for q in (algemeen, facturen):
            offered, handled, each = volumes.get(local, {}).get(q, (0, 0, 0))
            q_rows.append(QueueInterval(queue=q, start=at, end=at + timedelta(minutes=15), offered=offered,
                                        answered=handled, handled=handled, talk_ms=handled * each * 1000, computed_at=now))  # fmt: skip
        staffed, productive, paused = agents.get(local, (0, 0, 0))
        t_rows.append(TeamInterval(team=team, start=at, end=at + timedelta(minutes=15), staffed_s=staffed * 900,
                                   available_s=(productive - 3) * 900 if productive else 0, on_contact_s=2 * 900 if productive else 0,
                                   acw_s=900 if productive else 0, paused_s=paused * 900, computed_at=now))  # fmt: skip
    QueueInterval.objects.bulk_create(q_rows)
    TeamInterval.objects.bulk_create(t_rows)
    return team


def test_team_required_against_staffed(team_day):
    body = client_for().get("/api/v1/wfm/staffing/", {"day": "2026-11-24", "team": "1e lijn"}).json()
    assert body["scope"] == "team" and len(body["rows"]) == 96
    assert body["service_level_target"] == 0.8 and body["threshold_s"] == 20.0  # the strictest of the two queues
    nine = next(r for r in body["rows"] if r["interval_start"] == "2026-11-24T09:00:00+01:00")
    aht = (60 * 200 + 30 * 300) / 90  # pooled: 233.3 s
    need = erlang.required_agents(calls=90, interval_s=900, aht_s=aht, target_sl=0.8, threshold_s=20)
    assert nine["offered"] == 90 and nine["aht_s"] == pytest.approx(aht) and nine["required_agents"] == need
    assert nine["staffed_agents"] == pytest.approx(12) and nine["productive_agents"] == pytest.approx(11)
    assert need > 11 + 2 and nine["mark"] == "under"
    quarter = next(r for r in body["rows"] if r["interval_start"] == "2026-11-24T09:15:00+01:00")
    assert quarter["required_agents"] == erlang.required_agents(
        calls=10, interval_s=900, aht_s=200, target_sl=0.8, threshold_s=20
    )
    assert quarter["mark"] == "over" and body["under"] == 1 and body["over"] == 1
    night = body["rows"][0]
    assert (night["offered"], night["required_agents"], night["staffed_agents"], night["mark"]) == (0, 0, 0, "")
    hourly = client_for().get("/api/v1/wfm/staffing/", {"day": "2026-11-24", "team": "1e lijn", "length": 60}).json()
    assert len(hourly["rows"]) == 24


def test_queue_required_against_its_share_of_the_team(team_day):
    body = (
        client_for().get("/api/v1/wfm/staffing/", {"day": "2026-11-24", "queue": "Facturen", "patience_s": 90}).json()
    )
    assert body["scope"] == "queue" and body["model"] == "erlang_a" and body["team"] == "1e lijn"
    nine = next(r for r in body["rows"] if r["interval_start"] == "2026-11-24T09:00:00+01:00")
    share = 30 * 300 / (60 * 200 + 30 * 300)  # Facturen's share of the team's handle time
    assert nine["productive_agents"] == pytest.approx(11 * share)
    assert nine["required_agents"] == erlang.required_agents(
        calls=30, interval_s=900, aht_s=300, target_sl=0.7, threshold_s=30, patience_s=90
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"day": "2026-11-24"}, "queue/team: choose one"),
        ({"day": "2026-11-24", "team": "1e lijn", "queue": "Algemeen"}, "queue/team: choose one"),
        ({"day": "2026-11-24", "team": "Nope"}, "team: unknown team"),
        ({"day": "gisteren", "team": "1e lijn"}, "day"),
    ],
)
def test_staffing_bad_input(team_day, params, message):
    response = client_for().get("/api/v1/wfm/staffing/", params)
    assert response.status_code == 400 and message in response.json()["error"]


@pytest.mark.parametrize(
    ("required", "staffed", "mark"),
    [
        (10, 9.6, ""),
        (10, 8.9, "under"),
        (10, 11.0, ""),
        (10, 11.1, "over"),
        (0, 0.9, ""),
        (0, 1.1, "over"),
        (2, 1.4, "under"),
        (None, 3, ""),
    ],
)
def test_staffing_marks(required, staffed, mark):
    # Tolerance 10 %: under below required − max(0.5, 1), over above required + max(1, 1).
    assert staffing_mark(required=required, staffed=staffed, tolerance=0.1) == mark


# --- pages ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/wfm/", "/wfm/erlang/", "/wfm/intervals/", "/wfm/staffing/", "/wfm/forecast/"])
def test_pages_need_a_wfm_role(url, team_day):
    assert APIClient().get(url).status_code == 302  # to the login page
    assert client_for("supervisor").get(url).status_code == 403
    for role in ("wfm", "manager", "admin"):
        assert client_for(role).get(url).status_code == 200


def test_staffing_page_marks_intervals(team_day):
    page = client_for().get("/wfm/staffing/", {"day": "2026-11-24", "team": "1e lijn"})
    assert page.status_code == 200
    assert page.content.count(b'data-mark="under"') == 1 and page.content.count(b'data-mark="over"') == 1
    assert b"staffing-chart" in page.content
    assert client_for().get("/wfm/staffing/", {"day": "2026-11-24", "team": "Nope"}).status_code == 400


def test_schema_documents_the_wfm_api():
    body = client_for("admin").get("/api/schema/", {"format": "json"}).content
    for path in (
        b"/api/v1/intervals/",
        b"/api/v1/wfm/erlang/",
        b"/api/v1/wfm/staffing/",
        b"/api/v1/wfm/forecast/import/",
    ):
        assert path in body


def test_calendar_and_forecast_admin_pages():
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.nl", "pw-secret-123"))
    for url in (
        "/admin/dashboard/forecastevent/",
        "/admin/dashboard/forecastevent/add/",
        "/admin/dashboard/forecastinterval/",
    ):
        assert client.get(url).status_code == 200, url
