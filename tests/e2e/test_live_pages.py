"""The wallboard and the supervisor view in a real browser, fed by events posted to the real API."""

import json
import urllib.request
from datetime import UTC, datetime, timedelta

from dashboard.core.models import KPI
from dashboard.ingest.sources import source_token_create
from dashboard.live.models import Display
from tests.e2e.conftest import ARTIFACTS, login_page
from tests.factories import AgentFactory, QueueFactory, TeamFactory


def post_events(base: str, token: str, events: list[dict]) -> dict:
    request = urllib.request.Request(
        base + "/api/v1/events/",
        data=json.dumps(events).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


def centre():
    team = TeamFactory(name="Klantenservice")
    queue = QueueFactory(name="Algemeen", team=team)
    AgentFactory(login_id="ann", name="Ann de Vries", team=team, skills=[queue])
    return team, queue


def kpi_text(page, queue_id: int, label: str) -> str:
    cell = page.locator(f"#tiles article[data-queue='{queue_id}'] .kpi", has_text=label).first
    return cell.locator(".kpi-value").inner_text()


def test_wall_screen_follows_events_and_survives_a_daphne_restart(stack, browser):
    team, queue = centre()
    QueueFactory(name="Facturen", team=team)
    _source, token, _ = source_token_create(name="acd")
    display = Display(name="TV", scopes="all")
    display_token = display.issue_token()
    display.save()

    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="en-GB")
    page.goto(f"{stack.base}/wallboard/?scope=all&display={display_token}")
    page.wait_for_selector(f"#tiles article[data-queue='{queue.id}']")
    assert page.locator("header.top").count() == 0  # kiosk: no navigation
    assert kpi_text(page, queue.id, "Waiting") == "0"

    result = post_events(
        stack.base,
        token,
        [
            {"id": "1", "type": "agent.state", "at": ago(600), "agent": "ann", "state": "available"},
            {
                "id": "2",
                "type": "contact.offered",
                "at": ago(50),
                "contact_id": "c1",
                "queue": "Algemeen",
                "channel": "voice",
            },
            {
                "id": "3",
                "type": "contact.offered",
                "at": ago(40),
                "contact_id": "c2",
                "queue": "Algemeen",
                "channel": "voice",
            },
            {"id": "4", "type": "contact.answered", "at": ago(35), "contact_id": "c1", "agent": "ann"},
            {"id": "5", "type": "agent.state", "at": ago(35), "agent": "ann", "state": "on_contact"},
        ],
    )
    assert result["accepted"] == 5
    page.wait_for_function(
        "q => document.querySelector(`#tiles article[data-queue='${q}'] .kpi-value`).textContent === '1'", arg=queue.id
    )
    assert kpi_text(page, queue.id, "Offered") == "2"
    assert kpi_text(page, queue.id, "Answered") == "1"
    assert kpi_text(page, queue.id, "ASA") == "0:15"
    assert "On contact 1" in page.locator(f"#tiles article[data-queue='{queue.id}'] .agents").inner_text()
    longest = kpi_text(page, queue.id, "Longest wait")
    page.wait_for_timeout(2100)
    assert kpi_text(page, queue.id, "Longest wait") != longest  # ticks in the browser
    page.screenshot(path=str(ARTIFACTS / "wallboard.png"), full_page=True)

    stack.stop_daphne()
    page.wait_for_selector("#connection:not([hidden])", timeout=15000)
    assert "Connection lost" in page.locator("#connection").inner_text()
    page.screenshot(path=str(ARTIFACTS / "wallboard-disconnected.png"))

    stack.start_daphne()
    post_events(
        stack.base,
        token,
        [{"id": "6", "type": "contact.abandoned", "at": ago(1), "contact_id": "c2"}],
    )
    page.wait_for_selector("#connection", state="hidden", timeout=40000)
    page.wait_for_function(
        "q => document.querySelector(`#tiles article[data-queue='${q}'] .kpi-value`).textContent === '0'", arg=queue.id
    )
    assert kpi_text(page, queue.id, "Abandoned") == "50.0%"


def test_supervisor_sees_agents_charts_and_acknowledges_an_alert(stack, browser):
    team, queue = centre()
    KPI.objects.create(code="waiting", scope="queue", target=0, warning=1, critical=3, higher_is_better=False)
    _source, token, _ = source_token_create(name="acd")

    page = login_page(
        browser,
        stack.base,
        username="sup",
        role="supervisor",
        next_path="/supervisor/",
        teams=[team],
        viewport={"width": 1600, "height": 1100},
    )
    page.wait_for_selector("#agents tbody tr[data-agent='ann']")

    post_events(
        stack.base,
        token,
        [
            {"id": "1", "type": "agent.state", "at": ago(300), "agent": "ann", "state": "available"},
            {
                "id": "2",
                "type": "contact.offered",
                "at": ago(90),
                "contact_id": "c1",
                "queue": "Algemeen",
                "channel": "voice",
            },
            {"id": "3", "type": "contact.answered", "at": ago(80), "contact_id": "c1", "agent": "ann"},
            {"id": "4", "type": "agent.state", "at": ago(80), "agent": "ann", "state": "on_contact"},
            {
                "id": "5",
                "type": "contact.offered",
                "at": ago(20),
                "contact_id": "c2",
                "queue": "Algemeen",
                "channel": "voice",
            },
        ],
    )
    row = page.locator("#agents tbody tr[data-agent='ann']")
    page.wait_for_function(
        "() => document.querySelector(\"#agents tr[data-agent='ann']\").className.includes('on_contact')"
    )
    assert "Algemeen" in row.inner_text()
    alert = page.locator("#alerts li.alert")
    alert.first.wait_for()
    assert "Contacts waiting" in alert.first.inner_text() and "warning" in alert.first.get_attribute("class")
    alert.first.locator("button").click()
    page.wait_for_function("() => document.querySelector('#alerts li.alert').innerText.includes('acknowledged by sup')")
    # The charts follow at most a second behind (today's quarter-hours are recomputed once a second).
    page.wait_for_function(
        "() => Chart.getChart('chart-volume').data.datasets[0].data.reduce((a, b) => a + b, 0) === 2", timeout=10000
    )
    assert page.evaluate("() => Chart.getChart('chart-volume').data.datasets[1].data.reduce((a, b) => a + b, 0)") == 1
    page.screenshot(path=str(ARTIFACTS / "supervisor.png"), full_page=True)
