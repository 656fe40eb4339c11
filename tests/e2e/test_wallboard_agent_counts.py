"""Queue tiles count agents by skill (issue 9, point 7): an agent skilled on two queues shows on both, so
a team's queues add up to more agents than the team has. The tile says so, small and once, with the why
in a tooltip; the team's own tile counts each agent once and needs no such label."""

from dashboard.ingest.sources import source_token_create
from dashboard.live.models import Display
from tests.e2e.conftest import ARTIFACTS, login_page
from tests.e2e.test_live_pages import ago, post_events
from tests.factories import AgentFactory, QueueFactory, TeamFactory


def agents_text(page, selector: str) -> str:
    return page.locator(f"{selector} .agents").first.inner_text()


def test_queue_tiles_say_their_agents_are_counted_by_skill(stack, browser):
    team = TeamFactory(name="Klantenservice")
    algemeen = QueueFactory(name="Algemeen", team=team)
    facturen = QueueFactory(name="Facturen", team=team)
    AgentFactory(login_id="ann", name="Ann", team=team, skills=[algemeen, facturen])
    AgentFactory(login_id="bob", name="Bob", team=team, skills=[algemeen, facturen])
    _source, token, _ = source_token_create(name="acd")
    post_events(
        stack.base,
        token,
        [
            {"id": "1", "type": "agent.state", "at": ago(600), "agent": "ann", "state": "available"},
            {"id": "2", "type": "agent.state", "at": ago(600), "agent": "bob", "state": "available"},
        ],
    )
    display = Display(name="TV", scopes=f"team:{team.id}")
    display_token = display.issue_token()
    display.save()

    # A wall screen (kiosk) has no room on its tiles and no mouse to hover: it says it once, in its heading.
    for locale, note in (
        ("en-GB", "Queue tiles count the agents with the queue's skill"),
        ("nl-NL", "Wachtrijtegels tellen de agenten met de vaardigheid van de wachtrij"),
    ):
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale=locale)
        page.goto(f"{stack.base}/wallboard/?scope=team:{team.id}&display={display_token}")
        for queue in (algemeen, facturen):
            tile = f"#tiles article[data-queue='{queue.id}']"
            page.wait_for_selector(tile)
            assert not page.locator(f"{tile} .agents-by").is_visible()
            page.wait_for_function(f'() => /\\b2\\b/.test(document.querySelector("{tile} .agents").innerText)')
        assert page.inner_text("#agents-note") == note
        total = agents_text(page, "#total")
        assert total.split()[:2] in (["Available", "2"], ["Beschikbaar", "2"]), total
        page.screenshot(path=str(ARTIFACTS / f"wallboard-agents-by-skill-kiosk-{locale}.png"))
        page.close()

    # A person's wallboard says it on each queue tile, small, with the why in the tooltip.
    page = login_page(browser, stack.base, username="sup", role="supervisor", teams=[team],
                      next_path=f"/wallboard/?scope=team:{team.id}", viewport={"width": 1600, "height": 1000})  # fmt: skip
    for queue in (algemeen, facturen):
        tile = f"#tiles article[data-queue='{queue.id}']"
        page.wait_for_selector(f"{tile} .agents-by")
        assert page.locator(f"{tile} .agents-by").count() == 1  # once per tile
        assert page.locator(f"{tile} .agents-by").inner_text() == "agents with this skill"
        assert "counts on each of those queues" in page.locator(f"{tile} .agents").get_attribute("title")
        assert "2" in agents_text(page, tile)  # both agents, on each queue
    # the team's tile: each agent once, and no "by skill" label
    assert page.locator("#total .agents-by").count() == 0
    assert page.is_hidden("#agents-note")
    # small: the label is smaller than the agent counts beside it
    sizes = page.evaluate(
        """() => [".agents-by", ".agents .state"].map(
            s => parseFloat(getComputedStyle(document.querySelector("#tiles " + s)).fontSize))"""
    )
    assert sizes[0] < sizes[1], sizes
    page.screenshot(path=str(ARTIFACTS / "wallboard-agents-by-skill.png"))
