"""Every page passes its Content-Security-Policy in Chromium (issue 11, point 11): no inline script, no
inline handler, no inline style, nothing from another site. A page that broke the policy would fire a
``securitypolicyviolation`` event and log a console error; the test collects both on every page, and
checks that the page's own script ran (the live pages connect and show figures; the docs render).

Also the wall screen's link (point 13): the token sits in the access log of its first request only."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from dashboard.live.models import Display
from tests.e2e.conftest import ROOT, Stack, login_page
from tests.factories import AgentFactory, QueueFactory, TeamFactory

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture
def centre(transactional_db):
    team = TeamFactory(name="1e lijn")
    queue = QueueFactory(name="Algemeen", team=team)
    AgentFactory(name="Ann", login_id="ann", team=team, skills=[queue])
    return {"team": team, "queue": queue}


def watch(page):
    problems = []
    page.add_init_script(WATCH)
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return problems


def visit(page, url: str, problems: list, ready: str | None = None) -> None:
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (url, policy)
    if ready:
        # a function, not an expression: Playwright evaluates a bare expression with eval(), which the
        # policy (rightly) refuses
        page.wait_for_function(f"() => {ready}", timeout=15000)
    page.wait_for_timeout(300)  # late violations (a chart, a websocket) have time to fire
    problems.extend(page.evaluate("window.__csp"))
    assert problems == [], (url, problems)


def test_every_page_passes_the_content_security_policy(stack, browser, centre):
    team, queue = centre["team"], centre["queue"]
    page = login_page(browser, stack.base, username="admin-csp", role="admin", next_path="/")
    get_user_model().objects.filter(username="admin-csp").update(is_staff=True, is_superuser=True)
    problems = watch(page)
    pages = [
        ("/", None),
        (f"/wallboard/?scope=team:{team.id}", "document.getElementById('total').children.length > 0"),
        (f"/supervisor/?team={team.id}", "document.querySelectorAll('#agents tbody tr').length > 0"),
        ("/reports/", None),
        ("/reports/daily/", "window.Chart && Chart.getChart('chart-volume')"),
        ("/reports/weekly/", "window.Chart && Chart.getChart('chart-volume')"),
        ("/wfm/", None),
        ("/wfm/intervals/", None),
        ("/wfm/erlang/", None),
        ("/wfm/staffing/", None),
        ("/wfm/forecast/", None),
        ("/admin/", None),
        ("/admin/dashboard/agent/", None),
        (f"/admin/dashboard/agent/{queue.agents.first().pk}/change/", "window.SelectFilter !== undefined"),
        ("/admin/dashboard/queue/add/", None),
        ("/api/docs/", "document.querySelectorAll('.opblock').length > 0"),
    ]
    for path, ready in pages:
        visit(page, stack.base + path, problems, ready)
    # the language switch (a data-autosubmit select, no inline handler) still works
    page.goto(stack.base + "/")
    # (wait for the form's own navigation: wait_for_load_state alone returns at once on a loaded page, and
    # under load the old page's lang was read before the new one came)
    with page.expect_navigation():
        page.select_option("select[name=language]", "nl")
    page.wait_for_function("() => document.documentElement.lang === 'nl'", timeout=15000)
    assert page.locator("html").get_attribute("lang") == "nl"
    anonymous = browser.new_page()
    problems = watch(anonymous)
    visit(anonymous, stack.base + "/accounts/login/", problems)
    visit(anonymous, stack.base + "/admin/login/", problems)


def test_wall_screen_token_is_in_the_access_log_of_the_first_request_only(transactional_db, browser, centre, tmp_path):
    """The wall screen opens the link with ?display=TOKEN once: the page keeps the token in an HttpOnly
    cookie and goes on without it, so later requests and the websocket never carry it."""
    display = Display(name="TV", scopes=f"team:{centre['team'].id}")
    token = display.issue_token()
    display.save()
    stack = Stack()
    log = tmp_path / "access.log"
    daphne = str(Path(sys.executable).with_name("daphne"))
    stack.start_publisher()
    stack.daphne = subprocess.Popen(
        [daphne, "--access-log", str(log), "-b", "127.0.0.1", "-p", str(stack.port), "kcc.asgi:application"],
        cwd=ROOT,
        env=stack.env,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(stack.base + "/accounts/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        page = browser.new_page()
        page.goto(f"{stack.base}/wallboard/?scope=team:{centre['team'].id}&display={token}")
        assert page.url == f"{stack.base}/wallboard/?scope=team%3A{centre['team'].id}"
        page.wait_for_function("() => document.getElementById('total').children.length > 0", timeout=15000)
        cookie = next(c for c in page.context.cookies() if c["name"] == "kcc_display")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert page.evaluate("document.cookie").find(token) == -1  # no script can read it
        page.reload()
        page.wait_for_function("() => document.getElementById('total').children.length > 0", timeout=15000)
        time.sleep(0.5)
    finally:
        stack.stop()
    lines = log.read_text().splitlines()
    assert any("WSCONNECT /ws/live/" in line for line in lines), lines
    with_token = [line for line in lines if token in line]
    assert len(with_token) == 1 and '"GET /wallboard/?scope=' in with_token[0], with_token
