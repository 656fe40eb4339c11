"""Totals never mix waiting times of different kinds (issue 9.1), in a real browser: the whole-centre
tile of the wallboard shows the voice queue's ASA, not one pooled with an e-mail's hour, and shows the
e-mail queue as its own block; the supervisor view has the same two rows under its queue table."""

import os
from pathlib import Path

from dashboard.core.models import Channel
from dashboard.ingest.sources import source_token_create
from dashboard.live.models import Display
from tests.e2e.conftest import ARTIFACTS, login_page
from tests.e2e.test_live_pages import ago, post_events
from tests.factories import AgentFactory, QueueFactory, TeamFactory

HOUR = 3600
SHOTS = Path(os.environ.get("KCC_SHOTS_DIR") or ARTIFACTS)


def _centre_with_a_voice_call_and_two_emails(stack):
    """A voice call answered after 10 s, an e-mail answered after an hour (target 8 h), an e-mail
    waiting for half an hour; both queues in one team."""
    team = TeamFactory(name="Klantenservice")
    voice = QueueFactory(name="Algemeen", team=team, channel=Channel.VOICE)
    email = QueueFactory(name="E-mail", team=team, channel=Channel.EMAIL, response_target_s=8 * HOUR)
    AgentFactory(login_id="ann", name="Ann de Vries", team=team, skills=[voice, email])
    _source, token, _ = source_token_create(name="acd")
    result = post_events(
        stack.base,
        token,
        [
            {"id": "1", "type": "contact.offered", "at": ago(HOUR + 100), "contact_id": "m1", "queue": "E-mail",
             "channel": "email"},
            {"id": "2", "type": "contact.answered", "at": ago(100), "contact_id": "m1", "agent": "ann"},
            {"id": "3", "type": "contact.offered", "at": ago(1800), "contact_id": "m2", "queue": "E-mail",
             "channel": "email"},
            {"id": "4", "type": "contact.offered", "at": ago(70), "contact_id": "v1", "queue": "Algemeen",
             "channel": "voice"},
            {"id": "5", "type": "contact.answered", "at": ago(60), "contact_id": "v1", "agent": "ann"},
        ],
    )  # fmt: skip
    assert result["accepted"] == 5
    return team


def _kpi(scope, label: str) -> str:
    return scope.locator(".kpi", has_text=label).first.locator(".kpi-value").inner_text()


def test_the_whole_centre_tile_shows_the_voice_asa_and_the_email_block(stack, browser):
    _centre_with_a_voice_call_and_two_emails(stack)
    display = Display(name="TV", scopes="all")
    display_token = display.issue_token()
    display.save()

    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="en-GB")
    page.goto(f"{stack.base}/wallboard/?scope=all&display={display_token}")
    total = page.locator("#total article")
    page.wait_for_selector("#total article .async-block")
    page.wait_for_function("() => document.querySelector('#total article').innerText.includes('Answered')")

    # The tile's own figures: the voice call only. Pooled with the e-mail's hour it would be 30:05.
    grid = total.locator(":scope > .kpis")
    assert _kpi(grid, "ASA") == "0:10"
    assert _kpi(grid, "Service level") == "100.0%"
    assert _kpi(grid, "Waiting") == "0"  # the e-mail in the backlog is nobody waiting on the line
    assert _kpi(grid, "Offered") == "3"  # counts are summed: the voice call and both e-mails

    block = total.locator(".async-block")
    assert "Asynchronous" in block.locator("h3").inner_text()
    assert _kpi(block, "Backlog") == "1"
    assert _kpi(block, "Answered within response target") == "100.0%"
    oldest = _kpi(block, "Oldest item")
    assert oldest.startswith("30:")  # half an hour, ticking
    page.wait_for_timeout(2100)
    assert _kpi(block, "Oldest item") != oldest
    page.screenshot(path=str(SHOTS / "wallboard-centre-total-by-kind.png"), full_page=True)


def test_the_supervisor_view_shows_the_team_total_by_kind(stack, browser):
    team = _centre_with_a_voice_call_and_two_emails(stack)
    page = login_page(browser, stack.base, username="sup", role="supervisor", next_path="/supervisor/",
                      teams=[team], viewport={"width": 1600, "height": 1100})  # fmt: skip
    sync = page.locator("#queues tfoot tr[data-total='synchronous']")
    sync.wait_for()
    page.wait_for_function("() => document.querySelector(\"#queues tfoot tr[data-total='async']\") !== null")
    cells = sync.locator("td").all_inner_texts()
    # waiting, longest wait, SL today, SL 30 min, ASA, ...: the voice call's 10 s, not 30:05
    assert cells[4] == "0:10"
    assert "100.0%" in page.locator("#queues tfoot tr[data-total='async']").inner_text()
    page.screenshot(path=str(SHOTS / "supervisor-total-by-kind.png"), full_page=True)
