"""Issue 11, point 3 in a real browser: a wallboard keeps following the truth after the live state is lost
or rebuilt under it, and says so when it hears nothing. Real daphne, publisher, Redis and Chromium."""

from django.conf import settings

from dashboard.ingest.sources import source_token_create
from dashboard.live import keys
from dashboard.live.services import live_rebuild
from tests.e2e.conftest import ARTIFACTS, login_page
from tests.e2e.test_live_pages import ago, centre, post_events
from tests.factories import QueueFactory

TRUTH_WITHIN_MS = 10_000


def offered(n: int) -> dict:
    return {
        "id": f"o{n}",
        "type": "contact.offered",
        "at": ago(60 - n),
        "contact_id": f"c{n}",
        "queue": "Algemeen",
        "channel": "voice",
    }


def wait_offered(page, queue_id: int, value: int, timeout: int = TRUTH_WITHIN_MS) -> None:
    page.wait_for_function(
        """([q, v]) => {
            const cell = [...document.querySelectorAll(`#tiles article[data-queue='${q}'] .kpi`)]
                .find(k => k.querySelector('.kpi-label').textContent.startsWith('Offered'));
            return cell && cell.querySelector('.kpi-value').textContent === String(v);
        }""",
        arg=[queue_id, value],
        timeout=timeout,
    )


def flush_live_keys() -> None:
    """What a Redis restart without a save, or a FLUSHDB, does to the live state and the publisher's keys."""
    r = keys.client()
    doomed = list(r.scan_iter(match=f"{settings.LIVE_KEY_PREFIX}:live:*", count=1000))
    assert doomed
    r.delete(*doomed)


def open_wallboard(stack, browser):
    team, queue = centre()
    QueueFactory(name="Facturen", team=team)
    _source, token, _ = source_token_create(name="acd")
    page = login_page(
        browser, stack.base, username="mgr", role="manager", next_path="/wallboard/?scope=all",
        viewport={"width": 1600, "height": 1000},
    )  # fmt: skip
    page.wait_for_selector(f"#tiles article[data-queue='{queue.id}']")
    return page, queue, token


def test_wallboard_shows_the_truth_within_10s_after_a_flush_and_after_a_rebuild(stack, browser):
    """The reproduction: the publisher's seq counter and latest copies are lost under an open wallboard;
    its later messages must not be dropped as older ones."""
    page, queue, token = open_wallboard(stack, browser)
    post_events(stack.base, token, [offered(1), offered(2)])
    wait_offered(page, queue.id, 2)
    seq_before = int(page.evaluate("() => document.body.dataset.seq"))

    flush_live_keys()
    post_events(stack.base, token, [offered(3), offered(4), offered(5)])
    wait_offered(page, queue.id, 5)
    assert int(page.evaluate("() => document.body.dataset.seq")) > seq_before

    live_rebuild()  # as a threshold change in the admin does
    post_events(stack.base, token, [offered(6)])
    wait_offered(page, queue.id, 6)

    # A screen opened after the flush gets the whole truth at once, too.
    flush_live_keys()
    fresh = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="en-GB")
    fresh.context.add_cookies(page.context.cookies())
    fresh.goto(f"{stack.base}/wallboard/?scope=all")
    wait_offered(fresh, queue.id, 6)
    assert page.locator("#connection").is_hidden()


def test_a_silent_wallboard_says_it_is_stale_and_resyncs_when_the_publisher_is_back(stack, browser):
    page, queue, token = open_wallboard(stack, browser)
    post_events(stack.base, token, [offered(1)])
    wait_offered(page, queue.id, 1)
    assert page.locator("#connection").is_hidden()

    stack.publisher.terminate()
    stack.publisher.wait(10)
    post_events(stack.base, token, [offered(2)])  # the database has it; no publisher sends it
    # The page hears neither messages nor heartbeats: after 3 refresh periods (15 s) it says so.
    page.wait_for_selector("#connection:not([hidden])", timeout=30_000)
    assert "No update for" in page.locator("#connection").inner_text()
    assert page.evaluate("() => document.body.classList.contains('stale')")
    page.screenshot(path=str(ARTIFACTS / "wallboard-stale.png"))

    stack.start_publisher()
    wait_offered(page, queue.id, 2, timeout=20_000)
    page.wait_for_selector("#connection", state="hidden", timeout=TRUTH_WITHIN_MS)
    assert not page.evaluate("() => document.body.classList.contains('stale')")
