"""The intraday page in a real browser against a real daphne: today's forecast, actual (from the live
state) and reforecast drawn by Chart.js, the staffing gap of the next hour and the alert "unannounced
campaign?" when volume stays above forecast; in English and Dutch."""

import socket
from datetime import time, timedelta

import pytest
from django.utils import timezone

from dashboard.core.periods import centre_tz, day_bounds, floor_interval, interval_starts
from dashboard.ingest.services import events_ingest
from dashboard.wfm.models import ForecastInterval, IntradaySetting
from tests.e2e.conftest import ARTIFACTS, Stack, login_page
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = _free_port()  # this suite's own port


@pytest.fixture
def web(transactional_db):
    s = Stack()
    s.port, s.base = PORT, f"http://127.0.0.1:{PORT}"
    s.start_daphne()
    yield s
    s.stop()


def _busy_morning(queue_name: str, now):
    """The last two closed quarter-hours: 30 contacts each (the forecast says 10), handled in 200 s."""
    current = floor_interval(now)
    events = []
    for q, at in enumerate((current - timedelta(minutes=30), current - timedelta(minutes=15))):
        for k in range(30):
            cid = f"c{q}-{k}"
            events += [
                {"id": f"{cid}o", "type": "contact.offered", "at": at.isoformat(), "contact_id": cid, "queue": queue_name, "channel": "voice"},
                {"id": f"{cid}a", "type": "contact.answered", "at": at.isoformat(), "contact_id": cid, "agent": "ann"},
                {"id": f"{cid}e", "type": "contact.ended", "at": (at + timedelta(seconds=200)).isoformat(), "contact_id": cid},
            ]  # fmt: skip
    events.append({"id": "sbob", "type": "agent.state", "at": (current - timedelta(minutes=40)).isoformat(), "agent": "bob", "state": "available"})  # fmt: skip
    return events


def test_intraday_page_shows_curves_gap_and_campaign_alert(web, browser):
    now = timezone.now()
    if now.astimezone(centre_tz()).time() < time(0, 45):
        pytest.skip("needs two closed quarter-hours of today")
    team = TeamFactory(name="1e lijn")
    queue = QueueFactory(name="Algemeen", team=team)
    for login in ("ann", "bob"):
        AgentFactory(login_id=login, team=team, skills=[queue])
    IntradaySetting.objects.create(queue=queue, alert_threshold_pct=20, alert_intervals=2)
    start, end = day_bounds(now.astimezone(centre_tz()).date())
    starts = interval_starts(start, end)
    busy_from = floor_interval(now) - timedelta(minutes=30)
    ForecastInterval.objects.bulk_create(  # the queue opened with the busy half hour: nothing expected before
        ForecastInterval(
            queue=queue, start=at, offered=10.0 if at >= busy_from else 0.0, aht_s=200.0, source="imported"
        )
        for at in starts
    )
    events_ingest(source=SourceFactory(name="acd"), events=_busy_morning("Algemeen", now))

    page = login_page(browser, web.base, username="planner", role="wfm", next_path="/wfm/",
                      viewport={"width": 1280, "height": 720})  # fmt: skip
    page.goto(f"{web.base}/wfm/intraday/?queue={queue.id}")
    page.wait_for_selector("body[data-intraday-loaded='1']")
    alert = page.inner_text("#intraday-alerts")
    assert "Unannounced campaign? Algemeen" in alert and "200% above forecast for 2 intervals" in alert
    gap = page.inner_text("#intraday-gap")
    assert "agents needed" in gap or "Enough agents" in gap
    assert page.locator("#intraday-table tbody tr").count() == len(starts)
    assert page.locator("#intraday-table tbody tr.open").count() == 1
    assert page.evaluate("Chart.getChart('intraday-chart').data.datasets.map(d => d.label)") == [
        "Actual", "Forecast", "Reforecast", "Required agents", "Staffed (logged in)",
    ]  # fmt: skip
    # The reforecast line starts at the open interval and lies above the forecast after a busy half hour.
    refc = page.evaluate("Chart.getChart('intraday-chart').data.datasets[2].data")
    open_at = next(i for i, v in enumerate(refc) if v is not None)
    assert open_at == starts.index(floor_interval(now)) and refc[open_at] > 10.0
    page.screenshot(path=str(ARTIFACTS / "wfm-intraday.png"))

    page.context.add_cookies([{"name": "django_language", "value": "nl", "url": web.base}])
    page.goto(f"{web.base}/wfm/intraday/?queue={queue.id}")
    page.wait_for_selector("body[data-intraday-loaded='1']")
    assert "Onaangekondigde campagne? Algemeen" in page.inner_text("#intraday-alerts")
    assert page.inner_text("h1") == "Intraday: prognose tegen werkelijk"
