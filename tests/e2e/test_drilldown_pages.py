"""The drill-downs in a real browser: a click on the Waiting figure of a queue on the supervisor view opens
the list of the contacts waiting, longest first, with their customer reference; a click on the row opens
the queue's contacts of the current half-hour; on the wallboard a person opened, the tile's Abandoned
figure opens today's abandoned callers not yet called back (a wall screen's tiles open nothing)."""

import os
from datetime import UTC, datetime

import pytest

from dashboard.core.periods import centre_tz
from dashboard.ingest.sources import source_token_create
from tests.e2e.conftest import ARTIFACTS, Stack, login_page
from tests.e2e.test_live_pages import ago, centre, post_events

# this suite's own ports when several run side by side (KCC_E2E_PORT), else any free one
PORT = os.environ.get("KCC_E2E_PORT")


@pytest.fixture
def drill_stack(transactional_db):
    s = Stack()
    if PORT:
        s.port = int(PORT)
        s.base = f"http://127.0.0.1:{s.port}"
    s.start_publisher()
    s.start_daphne()
    yield s
    s.stop()


def _events():
    offered = lambda cid, seconds, ref: {  # noqa: E731
        "id": f"o-{cid}", "type": "contact.offered", "at": ago(seconds), "contact_id": cid, "queue": "Algemeen",
        "channel": "voice", "customer_ref": ref,
    }  # fmt: skip
    return [
        offered("w-short", 30, "K-0002"),
        offered("w-long", 240, "K-0001"),
        offered("gone", 200, "K-0009"),
        {"id": "x-gone", "type": "contact.abandoned", "at": ago(150), "contact_id": "gone"},
    ]


def test_a_click_on_waiting_opens_the_contacts_waiting(drill_stack, browser):
    team, queue = centre()
    _source, token, _ = source_token_create(name="acd")
    page = login_page(browser, drill_stack.base, username="sup", role="supervisor", next_path="/supervisor/",
                      teams=[team], viewport={"width": 1280, "height": 720})  # fmt: skip
    events = _events()
    post_events(drill_stack.base, token, events)
    waiting = page.locator(f"#queues tbody tr[data-queue='{queue.id}'] td[data-drill='waiting']")
    page.wait_for_function(
        f"() => (document.querySelector(\"#queues tr[data-queue='{queue.id}'] td[data-drill='waiting']\") || {{}}).textContent === '2'"
    )
    waiting.click()
    dialog = page.locator("dialog#drilldown")
    dialog.locator("tbody tr").nth(1).wait_for()
    assert dialog.locator("h2").inner_text() == "Waiting now"
    rows = dialog.locator("tbody tr")
    assert [rows.nth(i).get_attribute("data-contact") for i in range(2)] == ["acd:w-long", "acd:w-short"]
    assert "K-0001" in rows.nth(0).inner_text() and "Algemeen" in rows.nth(0).inner_text()
    assert "2 in all" in dialog.locator(".drill-note").inner_text()
    page.screenshot(path=str(ARTIFACTS / "drilldown-waiting.png"))
    dialog.locator(".drill-close").click()

    # the row: the queue's contacts of the current half-hour, with their outcome
    # (offered 30, 200 and 240 s ago: in the first minutes of a half-hour some belong to the one before)
    local = datetime.now(UTC).astimezone(centre_tz())
    half_hour = local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0)
    offered = {e["contact_id"]: datetime.fromisoformat(e["at"]) for e in events if e["type"] == "contact.offered"}
    outcome = {"w-short": "waiting", "w-long": "waiting", "gone": "abandoned"}
    expected = sorted(outcome[cid] for cid, at in offered.items() if at >= half_hour)
    page.locator(f"#queues tbody tr[data-queue='{queue.id}'] td").first.click()
    dialog.locator("h2", has_text="Contacts — Algemeen").wait_for()
    if expected:
        dialog.locator("tbody tr").nth(len(expected) - 1).wait_for()
        assert sorted(dialog.locator("td.outcome").all_inner_texts()) == expected
    page.screenshot(path=str(ARTIFACTS / "drilldown-interval.png"))

    # the wallboard a person opened: the Abandoned figure of the team's total (its list is the team's: its
    # id is the team's, which differs from the queue's whenever other tests ran first)
    page.goto(f"{drill_stack.base}/wallboard/?scope=team:{team.id}")
    tile = page.locator(f"#tiles article[data-queue='{queue.id}'], #total article").first
    tile.locator("[data-drill='abandoned']").first.click()
    dialog.locator("tbody tr").first.wait_for()
    assert dialog.locator("h2").inner_text() == "Abandoned today, not called back"
    assert "K-0009" in dialog.locator("tbody").inner_text()
    page.screenshot(path=str(ARTIFACTS / "drilldown-abandoned.png"))
    # a wall screen (kiosk) draws the same tiles without anything to click
    page.goto(f"{drill_stack.base}/wallboard/?scope=team:{team.id}&kiosk=1")
    page.locator("#total article").wait_for()
    assert page.locator("[data-drill]").count() == 0
