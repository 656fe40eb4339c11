"""Issue 11, point 10: a live socket's rights follow the user's and the screen's, not only at connect.
A logout closes the session's sockets (4401); a change of teams, roles, the account or a wall screen's
token makes the socket check its scopes again, and close 4403 (4401 for a gone account) when one is no
longer allowed. With Channels' WebsocketCommunicator against the real ASGI application and the real
Redis channel layer; the changes are made as the admin makes them (ORM writes, committed)."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from django.test import Client

from dashboard.live.middleware import DISPLAY_COOKIE
from dashboard.live.models import Display
from dashboard.live.publisher import Publisher
from tests.factories import QueueFactory, TeamFactory, UserFactory
from tests.live.test_consumers import closed_with, connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def teams(db):
    first, second = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn", line="second")
    QueueFactory(name="Algemeen", team=first)
    QueueFactory(name="Techniek", team=second)
    return first, second


def logged_in(user) -> tuple[Client, bytes]:
    client = Client()
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}".encode()


async def orm(fn, *args, **kwargs):
    return await sync_to_async(fn)(*args, **kwargs)


async def subscribed(path: str, cookie: bytes | None = None):
    communicator = await connect(path, cookie)
    message = await communicator.receive_json_from(timeout=3)  # the latest snapshot: it is open
    assert message["type"] == "snapshot"
    return communicator


async def supervisor_watching(teams, scope: str):
    first, _second = teams
    user = await orm(UserFactory, role="supervisor", teams=[first])
    client, cookie = await orm(logged_in, user)
    await Publisher().tick()
    return user, client, await subscribed(scope, cookie)


async def test_logout_closes_the_sessions_sockets_with_4401_and_not_the_users_other_sessions(teams):
    first, _ = teams
    user, client, communicator = await supervisor_watching(teams, f"/ws/live/?scopes=team:{first.id}")
    _other_client, other_cookie = await orm(logged_in, user)
    other = await subscribed(f"/ws/live/?scopes=team:{first.id}", other_cookie)

    response = await orm(client.post, "/accounts/logout/")
    assert response.status_code == 302

    assert await closed_with(communicator) == 4401
    assert await other.receive_nothing(timeout=0.5)  # another browser of the same user stays
    await other.disconnect()


async def test_supervisor_removed_from_the_team_is_closed_4403(teams):
    first, _ = teams
    user, _client, communicator = await supervisor_watching(teams, f"/ws/live/?scopes=team:{first.id}")
    await orm(first.supervisors.remove, user)
    assert await closed_with(communicator) == 4403


async def test_team_cleared_of_supervisors_from_the_teams_side_is_4403(teams):
    first, _ = teams
    _user, _client, communicator = await supervisor_watching(teams, f"/ws/live/?scopes=team:{first.id}")
    await orm(first.supervisors.clear)
    assert await closed_with(communicator) == 4403


async def test_queue_scope_of_a_team_no_longer_supervised_is_4403(teams):
    first, _ = teams
    queue_id = await orm(lambda: first.queues.get().id)
    user, _client, communicator = await supervisor_watching(teams, f"/ws/live/?scopes=queue:{queue_id}")
    await orm(user.supervised_teams.remove, first)  # from the user's side
    assert await closed_with(communicator) == 4403


async def test_queue_moved_to_another_team_closes_the_old_teams_sockets_on_it_4403(teams):
    first, second = teams
    queue = await orm(lambda: first.queues.get())
    _user, _client, communicator = await supervisor_watching(teams, f"/ws/live/?scopes=queue:{queue.id}")
    queue.team = second
    await orm(queue.save)
    assert await closed_with(communicator) == 4403


async def test_supervisor_role_taken_away_is_4403(teams):
    first, _ = teams
    user, _client, communicator = await supervisor_watching(teams, f"/ws/live/?scopes=team:{first.id}")
    await orm(user.groups.clear)
    assert await closed_with(communicator) == 4403


async def test_manager_demoted_to_supervisor_loses_the_centre_scope(teams):
    manager = await orm(UserFactory, role="manager")
    _client, cookie = await orm(logged_in, manager)
    await Publisher().tick()
    communicator = await subscribed("/ws/live/?scopes=all", cookie)
    supervisors = await orm(lambda: Group.objects.get_or_create(name="supervisor")[0])
    await orm(supervisors.user_set.add, manager)  # from the group's side: still a manager, still allowed
    assert await communicator.receive_nothing(timeout=0.5)
    managers = await orm(Group.objects.get, name="manager")
    await orm(managers.user_set.remove, manager)
    assert await closed_with(communicator) == 4403


async def test_a_change_that_keeps_the_rights_keeps_the_socket(teams):
    first, second = teams
    user, _client, communicator = await supervisor_watching(teams, f"/ws/live/?scopes=team:{first.id}")
    await orm(second.supervisors.add, user)  # one more team: the first still allowed
    user.first_name = "Ann"
    await orm(user.save)
    assert await communicator.receive_nothing(timeout=0.7)
    await communicator.disconnect()


async def test_deactivated_account_is_4401(teams):
    first, _ = teams
    user, _client, communicator = await supervisor_watching(teams, f"/ws/live/?scopes=team:{first.id}")
    user.is_active = False
    await orm(user.save)
    assert await closed_with(communicator) == 4401


def display_cookie(token: str) -> bytes:
    """A wall screen's socket carries its token in the cookie its page set (never in the URL)."""
    return f"{DISPLAY_COOKIE}={token}".encode()


def make_display(scopes: str) -> tuple[Display, str]:
    display = Display(name="TV", scopes=scopes)
    token = display.issue_token()
    display.save()
    return display, token


async def test_wall_screen_token_deactivated_is_4403(teams):
    first, _ = teams
    display, token = await orm(make_display, f"team:{first.id}")
    await Publisher().tick()
    communicator = await subscribed(f"/ws/live/?scopes=team:{first.id}", display_cookie(token))
    display.active = False
    await orm(display.save)
    assert await closed_with(communicator) == 4403


async def test_wall_screen_hears_its_new_layout(teams):
    first, second = teams
    display, token = await orm(make_display, f"team:{first.id}")
    await Publisher().tick()
    communicator = await subscribed(f"/ws/live/?scopes=team:{first.id}", display_cookie(token))
    display.kpis = "waiting,asa"
    display.page_seconds = 30
    await orm(display.save)
    message = await communicator.receive_json_from(timeout=2)
    assert message["type"] == "layout"
    assert message["data"] == {"kpis": ["waiting", "asa"], "queues": [], "tiles_per_page": 12, "page_seconds": 30}
    await communicator.disconnect()


async def test_wall_screen_scopes_narrowed_is_4403_and_deleted_is_4403(teams):
    first, second = teams
    display, token = await orm(make_display, f"team:{first.id},team:{second.id}")
    await Publisher().tick()
    narrowed = await subscribed(f"/ws/live/?scopes=team:{second.id}", display_cookie(token))
    kept = await subscribed(f"/ws/live/?scopes=team:{first.id}", display_cookie(token))
    display.scopes = f"team:{first.id}"
    await orm(display.save)
    assert await closed_with(narrowed) == 4403
    # Kept: it hears only the screen's layout (its page reloads when that changed).
    assert await kept.receive_json_from(timeout=2) == {"type": "layout", "v": 1, "data": await orm(display.layout)}
    assert await kept.receive_nothing(timeout=0.5)
    await orm(display.delete)
    assert await closed_with(kept) == 4403
