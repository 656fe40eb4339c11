"""The wallboard's ticking waits follow the server's clock at the moment a message is sent, not the time
its snapshot was computed: a page that connects to a scope whose latest snapshot is old (nothing changed
since) still shows each wait as it is now (issue 9, point 2)."""

import json
import time
from datetime import UTC, datetime

from dashboard.ingest.sources import source_token_create
from dashboard.live import broadcast
from dashboard.live.models import Display
from dashboard.live.scopes import parse_scope
from tests.core.test_formats import nb
from tests.e2e.conftest import ARTIFACTS, login_page
from tests.e2e.test_live_pages import ago, centre, kpi_text, post_events
from tests.factories import QueueFactory

AGE_S = 22  # how old the snapshot is when the page connects (at least 20 s)


def seconds(clock_text: str) -> int:
    minutes, secs = clock_text.split(":")
    return 60 * int(minutes) + int(secs)


def test_a_wait_ticks_right_on_a_snapshot_sent_long_after_it_was_made(stack, browser):
    team, queue = centre()
    QueueFactory(name="Facturen", team=team)
    _source, token, _ = source_token_create(name="acd")
    display = Display(name="TV", scopes="all")
    display_token = display.issue_token()
    display.save()

    offered_at = datetime.fromisoformat(ago(5))
    result = post_events(
        stack.base,
        token,
        [
            {"id": "1", "type": "agent.state", "at": ago(600), "agent": "ann", "state": "available"},
            {
                "id": "2",
                "type": "contact.offered",
                "at": offered_at.isoformat(),
                "contact_id": "c1",
                "queue": "Algemeen",
                "channel": "voice",
            },
        ],
    )
    assert result["accepted"] == 2

    def latest() -> dict | None:
        text = broadcast.latest(parse_scope("all"), "snapshot")
        return json.loads(text) if text else None

    deadline = time.monotonic() + 15
    while not ((snap := latest()) and snap["data"]["total"]["waiting"] == 1):
        assert time.monotonic() < deadline, "the publisher did not publish the waiting contact"
        time.sleep(0.2)
    time.sleep(max(0.0, snap["ts"] + AGE_S - time.time()))

    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="en-GB")
    page.goto(f"{stack.base}/wallboard/?scope=all&display={display_token}")
    page.wait_for_selector(f"#tiles article[data-queue='{queue.id}']")
    shown = latest()
    assert shown["seq"] == snap["seq"] and time.time() - shown["ts"] >= 20  # the page got the old snapshot
    assert page.evaluate("document.body.dataset.seq") == str(snap["seq"])

    for _ in range(3):  # on connect, and as it ticks
        wait = seconds(kpi_text(page, queue.id, "Longest wait"))
        truth = (datetime.now(UTC) - offered_at).total_seconds()
        assert abs(wait - truth) <= 2, f"the wait shows {wait} s, it is {truth:.1f} s"
        page.wait_for_timeout(1100)
    page.screenshot(path=str(ARTIFACTS / "wallboard-clock.png"))


def test_long_ages_and_averages_read_as_durations_not_times_of_day(stack, browser):
    """An e-mail waiting over an hour shows "1 h 05 m" (not 1:05:xx, which reads as a time of day) on
    the wallboard and the supervisor view; the supervisor's ASA and AHT columns are durations too."""
    team, queue = centre()
    mail = QueueFactory(name="E-mail", team=team, channel="email", response_target_s=8 * 3600)
    _source, token, _ = source_token_create(name="acd")
    post_events(
        stack.base,
        token,
        [
            {"id": "1", "type": "agent.state", "at": ago(600), "agent": "ann", "state": "available"},
            {
                "id": "2",
                "type": "contact.offered",
                "at": ago(90),
                "contact_id": "c1",
                "queue": "Algemeen",
                "channel": "voice",
            },  # fmt: skip
            {"id": "3", "type": "contact.answered", "at": ago(80), "contact_id": "c1", "agent": "ann"},
            {
                "id": "4",
                "type": "contact.offered",
                "at": ago(3900 + 20),
                "contact_id": "m1",
                "queue": "E-mail",
                "channel": "email",
            },  # fmt: skip
        ],
    )
    page = login_page(
        browser, stack.base, username="sup", role="supervisor", next_path="/supervisor/", teams=[team],
        viewport={"width": 1600, "height": 1100},
    )  # fmt: skip
    page.wait_for_function(
        "q => (document.querySelector(`#queues tr[data-queue='${q}'] td:nth-child(6)`) || {}).textContent === '0:10'",
        arg=queue.id,
    )
    wait = page.locator(f"#queues tr[data-queue='{mail.id}'] td:nth-child(3)")
    assert wait.inner_text() == nb("1 h 05 m")
    assert "ASA (s)" not in page.locator("#queues thead").inner_text()

    page.goto(f"{stack.base}/wallboard/?scope=team:{team.id}")
    page.wait_for_selector(f"#tiles article[data-queue='{mail.id}']")
    page.wait_for_timeout(1100)
    assert kpi_text(page, mail.id, "Oldest item") == nb("1 h 05 m")
    # a long duration fits its cell (it ran into the next one on a 1920-pixel wallboard at night)
    page.set_viewport_size({"width": 1000, "height": 900})
    page.wait_for_timeout(1100)
    spill = page.evaluate(
        "() => [...document.querySelectorAll('.tile .kpi-value')].filter(v => v.scrollWidth > v.clientWidth + 1)"
        ".map(v => v.textContent)"
    )
    assert spill == []
    page.screenshot(path=str(ARTIFACTS / "wallboard-long-ages.png"))
