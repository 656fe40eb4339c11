"""Issue 11, point 10, under a real daphne: the rights of an open wallboard follow the admin's changes and
the logout at once. The supervisor watches their team's wallboard in Chromium; an admin, in another
browser, takes them off the team in the admin (the save runs in daphne's request thread, where the
control message to the sockets is sent from sync code); the supervisor's socket closes 4403 and the
page says so. A logout in another tab of the same session closes the socket 4401."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.e2e.conftest import login_page
from tests.factories import QueueFactory, TeamFactory

CLOSED_WITHIN_MS = 5000


@pytest.fixture
def team(transactional_db):
    team = TeamFactory(name="1e lijn")
    QueueFactory(name="Algemeen", team=team)
    return team


def watch_sockets(page) -> list[str]:
    """The URLs of the page's websockets that closed, in order."""
    closed: list[str] = []
    page.on("websocket", lambda ws: ws.on("close", lambda socket: closed.append(socket.url)))
    return closed


def open_team_wallboard(stack, browser, team, username: str):
    path = f"/wallboard/?scope=team:{team.id}"
    page = login_page(
        browser, stack.base, username=username, role="supervisor", teams=[team], next_path=path,
        viewport={"width": 1280, "height": 720},
    )  # fmt: skip
    page.wait_for_function("() => document.body.dataset.seq !== undefined", timeout=15000)
    return page


def test_taken_off_the_team_in_the_admin_the_open_wallboard_closes_at_once(stack, browser, team):
    admin = login_page(browser, stack.base, username="root", role="admin", next_path="/")
    get_user_model().objects.filter(username="root").update(is_staff=True, is_superuser=True)
    page = open_team_wallboard(stack, browser, team, "sup")
    closed = watch_sockets(page)
    page.reload()  # the listener sees the socket from its start
    page.wait_for_function("() => document.body.dataset.seq !== undefined", timeout=15000)
    assert closed == []
    sup = get_user_model().objects.get(username="sup")

    admin.goto(f"{stack.base}/admin/dashboard/team/{team.id}/change/")
    admin.select_option("#id_supervisors_to", str(sup.pk))
    admin.click("#id_supervisors_remove")
    admin.click("input[name=_save]")
    admin.wait_for_url(f"{stack.base}/admin/dashboard/team/")
    assert not team.supervisors.filter(pk=sup.pk).exists()

    page.wait_for_function(
        "() => document.getElementById('scope-name').textContent === 'You may not see this scope.'",
        timeout=CLOSED_WITHIN_MS,
    )
    assert len(closed) == 1
    assert page.text_content("#scope-name") == "You may not see this scope."
    # A forbidden scope does not come back by retrying: the socket stays closed.
    page.wait_for_timeout(1500)
    assert len(closed) == 1


def test_a_logout_in_another_tab_closes_the_sessions_wallboard(stack, browser, team):
    page = open_team_wallboard(stack, browser, team, "sup2")
    closed = watch_sockets(page)
    page.reload()
    page.wait_for_function("() => document.body.dataset.seq !== undefined", timeout=15000)
    other = browser.new_context(storage_state=page.context.storage_state()).new_page()  # the same session
    other.goto(f"{stack.base}/")
    other.click("form[action$='/accounts/logout/'] button, form[action$='/accounts/logout/'] input[type=submit]")
    other.wait_for_load_state()
    # 4401: the page goes to the login form, keeping where it was
    page.wait_for_url("**/accounts/login/?next=*", timeout=CLOSED_WITHIN_MS)
    assert closed
