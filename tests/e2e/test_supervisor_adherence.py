"""The supervisor view's adherence panel in a real browser against a real daphne: per scheduled agent the
planned activity and state now, adherence so far, and the mark "out of adherence for more than N
minutes" on the agent who has been paused for twenty minutes of a shift; in English and Dutch."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.core.periods import centre_tz
from dashboard.ingest.services import events_ingest
from dashboard.wfm.models import ScheduleEntry
from dashboard.wfm.services.schedule import default_activities_ensure
from tests.e2e.conftest import ARTIFACTS, Stack, login_page
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory


@pytest.fixture
def web(transactional_db):
    s = Stack()  # on a free port of its own
    s.start_daphne()
    yield s
    s.stop()


def test_supervisor_sees_adherence_and_the_out_of_adherence_mark(web, browser):
    now = timezone.now()
    tz = centre_tz()
    start = now - timedelta(minutes=40)
    if start.astimezone(tz).date() != now.astimezone(tz).date():
        pytest.skip("needs forty minutes of today behind")
    activities = default_activities_ensure()
    team = TeamFactory(name="1e lijn")
    queue = QueueFactory(name="Algemeen", team=team)
    agents = {login: AgentFactory(login_id=login, name=name, team=team, skills=[queue])
              for login, name in (("ann", "Ann Jansen"), ("bob", "Bob de Vries"))}  # fmt: skip
    for agent in agents.values():
        ScheduleEntry.objects.create(
            agent=agent, start=start, end=now + timedelta(hours=2), activity=activities["shift"]
        )
    events_ingest(
        source=SourceFactory(name="acd"),
        events=[
            {"id": "a1", "type": "agent.state", "at": start.isoformat(), "agent": "ann", "state": "available"},
            {"id": "b1", "type": "agent.state", "at": start.isoformat(), "agent": "bob", "state": "available"},
            {
                "id": "b2",
                "type": "agent.state",
                "at": (now - timedelta(minutes=20)).isoformat(),
                "agent": "bob",
                "state": "paused",
                "reason": "koffie",
            },
        ],  # fmt: skip
    )

    page = login_page(browser, web.base, username="sup", role="supervisor", teams=[team],
                      next_path=f"/supervisor/?team={team.id}", viewport={"width": 1280, "height": 900})  # fmt: skip
    page.wait_for_selector("#adherence[data-loaded='1']")
    rows = page.locator("#adherence tbody tr")
    assert rows.count() == 2
    bob = page.locator("#adherence tbody tr[data-agent='bob']")
    assert "marked" in bob.get_attribute("class")
    text = bob.inner_text()
    assert "Shift" in text and "Paused" in text and "no" in text and "out > 5 min" in text
    ann = page.locator("#adherence tbody tr[data-agent='ann']")
    assert ann.get_attribute("class") in (None, "")
    assert "100.0" in ann.inner_text()
    assert "1 agent(s) marked" in page.inner_text("#adherence-summary")
    page.locator(".adherence-panel").screenshot(path=str(ARTIFACTS / "supervisor-adherence.png"))

    page.context.add_cookies([{"name": "django_language", "value": "nl", "url": web.base}])
    page.goto(f"{web.base}/supervisor/?team={team.id}")
    page.wait_for_selector("#adherence[data-loaded='1']")
    assert page.inner_text("#adherence-title") == "Roosternaleving"
    text = page.locator("#adherence tbody tr[data-agent='bob']").inner_text()
    assert "Dienst" in text and "Pauze" in text and "nee" in text and "buiten > 5 min" in text
