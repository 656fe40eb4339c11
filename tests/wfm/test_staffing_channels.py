"""Required against staffed fits the channel: Erlang only for synchronous queues; e-mail and other
asynchronous queues need workload (items arriving plus backlog, times handle time, over the response
target) and nothing while closed. The page opens on a voice team and speaks in percentages."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from dashboard.core import erlang
from dashboard.core.models import Contact, OpeningHours
from dashboard.core.periods import day_bounds, interval_starts
from dashboard.intervals.models import QueueInterval, TeamInterval
from dashboard.wfm.selectors import default_staffing_team
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 11, 24)  # a Tuesday
HOUR = 3600


def client_for(role="wfm"):
    client = APIClient()
    client.force_login(UserFactory(role=role))
    return client


def local(hh, mm=0, day=DAY):
    return datetime.combine(day, time(hh, mm), TZ)


def _rows(queue_volumes: dict, team, agents: dict):
    """Interval rows of DAY: ``queue_volumes`` {queue: {local time: (offered, handled, handle s each)}},
    ``agents`` {local time: productive agents} for ``team``."""
    start, end = day_bounds(DAY)
    now = datetime.now(UTC)
    q_rows, t_rows = [], []
    for at in interval_starts(start, end):
        t = at.astimezone(TZ).time()
        for q, volumes in queue_volumes.items():
            offered, handled, each = volumes.get(t, (0, 0, 0))
            q_rows.append(QueueInterval(queue=q, start=at, end=at + timedelta(minutes=15), offered=offered,
                                        answered=handled, handled=handled, talk_ms=handled * each * 1000, computed_at=now))  # fmt: skip
        productive = agents.get(t, 0)
        t_rows.append(TeamInterval(team=team, start=at, end=at + timedelta(minutes=15), staffed_s=productive * 900,
                                   available_s=productive * 900, computed_at=now))  # fmt: skip
    QueueInterval.objects.bulk_create(q_rows)
    TeamInterval.objects.bulk_create(t_rows)


@pytest.fixture
def backoffice():
    """A back office on e-mail (respond within 8 h), worked 08:00–17:30: 40 e-mails came in the night
    (none answered), 20 more at 09:00, handled at 300 s each; 3 agents from 08:00."""
    team = TeamFactory(name="Backoffice")
    email = QueueFactory(name="E-mail", team=team, channel="email", sl_threshold_s=8 * HOUR, response_target_s=8 * HOUR)
    OpeningHours.objects.create(queue=email, weekday=DAY.weekday(), opens=time(8), closes=time(17, 30))
    for n in range(40):
        Contact.objects.create(contact_id=f"night{n}", queue=email, channel="email",
                               offered_at=local(0, 40) + timedelta(minutes=n))  # fmt: skip
    for n in range(20):
        Contact.objects.create(contact_id=f"nine{n}", queue=email, channel="email", offered_at=local(9, 1),
                               answered_at=local(9, 10), ended_at=local(9, 15))  # fmt: skip
    volumes = {time(0, 30): (10, 0, 0), time(0, 45): (15, 0, 0), time(1): (15, 0, 0), time(9): (20, 20, 300)}
    _rows({email: volumes}, team, {time(h, m): 3 for h in range(8, 18) for m in (0, 15, 30, 45)})
    return team


def _row(body, hh, mm=0):
    return next(r for r in body["rows"] if r["interval_start"][11:16] == f"{hh:02d}:{mm:02d}")


def test_email_is_staffed_by_workload_and_not_at_night(backoffice):
    body = client_for().get("/api/v1/wfm/staffing/", {"day": DAY.isoformat(), "team": "Backoffice"}).json()
    assert body["model"] == "workload" and body["service_level_target"] is None
    night = _row(body, 1, 15)
    # Closed at night: the e-mails wait for the morning; nobody is needed, so nobody is missing.
    assert night["backlog"] == 35 and night["required_agents"] == 0 and night["mark"] == ""
    assert night["traffic_erlangs"] is None and night["required_erlang"] is None
    nine = _row(body, 9)
    # Open: (20 arriving + 40 waiting) × 300 s ÷ 8 h = 0.625 agents, not what Erlang would ask for 20 calls.
    assert nine["backlog"] == 40 and nine["required_agents"] == pytest.approx(0.62, abs=0.01)
    assert nine["required_workload"] == nine["required_agents"]
    assert nine["mark"] == "over"  # 3 agents for 0.6 agent of work
    assert erlang.required_agents(calls=20, interval_s=900, aht_s=300, target_sl=0.8, threshold_s=20) > 5
    assert body["under"] == 0


def test_mixed_team_adds_erlang_and_workload():
    team = TeamFactory(name="Klantenservice")
    voice = QueueFactory(name="Algemeen", team=team, channel="voice", sl_threshold_s=20, sl_target_pct=80)
    callback = QueueFactory(name="Terugbellen", team=team, channel="callback", response_target_s=2 * HOUR)
    _rows({voice: {time(10): (60, 60, 200)}, callback: {time(10): (12, 12, 300)}}, team, {time(10): 14})
    body = client_for().get("/api/v1/wfm/staffing/", {"day": DAY.isoformat(), "team": "Klantenservice"}).json()
    assert body["model"] == "erlang_c+workload" and body["synchronous_queues"] == ["Algemeen"]
    ten = _row(body, 10)
    sync_need = erlang.required_agents(calls=60, interval_s=900, aht_s=200, target_sl=0.8, threshold_s=20)
    assert ten["required_erlang"] == sync_need  # the callbacks are not in the Erlang traffic
    assert ten["traffic_erlangs"] == pytest.approx(60 * 200 / 900)
    assert ten["required_workload"] == pytest.approx(12 * 300 / 7200, abs=0.01)  # 0.5 agent
    assert ten["required_agents"] == pytest.approx(sync_need + 0.5, abs=0.01)
    assert ten["offered"] == 72


def test_staffing_page_opens_on_a_voice_team_and_shows_percentages(backoffice):
    team = TeamFactory(name="Klantenservice 1e lijn")
    QueueFactory(name="Algemeen", team=team, channel="voice")
    TeamFactory(name="Alpha chat")  # before it by name, but no queue
    assert default_staffing_team() == "Klantenservice 1e lijn"  # not Backoffice, first by name
    page = client_for().get("/wfm/staffing/", {"day": DAY.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and "<h2>Klantenservice 1e lijn" in html
    assert "target 80 % within 0:20." in html and "Target 0.80" not in html
    assert 'name="max_occupancy_pct"' in html and 'value="100"' in html
    page = client_for().get(
        "/wfm/staffing/",
        {"day": DAY.isoformat(), "team": "Backoffice", "max_occupancy_pct": "80"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200 and page.context["result"]["max_occupancy"] == 0.8
    assert "respond within 8 h" in page.content.decode()


def test_default_team_without_voice_takes_a_synchronous_one():
    TeamFactory(name="A-mail")
    chat_team = TeamFactory(name="B-chat")
    QueueFactory(name="Chat", team=chat_team, channel="chat")
    assert default_staffing_team() == "B-chat"
