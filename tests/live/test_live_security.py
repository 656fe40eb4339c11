"""Issue 11, point 13, on the live side: the websocket's origin check on scheme, host and port; the wall
screen's token out of the query string (a cookie set once, the old links redirected); malformed scopes
answered 400 on the page and 4400 on the socket, never 500 or 1011; the API docs for roles only."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from dashboard.live.middleware import DISPLAY_COOKIE, origin_allowed
from dashboard.live.models import Display
from kcc.asgi import application
from tests.factories import QueueFactory, TeamFactory, UserFactory
from tests.live.test_consumers import closed_with, connect, cookie_for, database_sync

# --- the origin -----------------------------------------------------------------------------------------

HOSTS = ["kcc.example.com", "localhost", "127.0.0.1"]
TRUSTED = ["https://wall.example.com", "https://*.centre.example"]
PROXY = ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "forwarded", "proxy", "allowed"),
    [
        # the site itself, as the browser reached it
        ("http://localhost", "localhost", "ws", None, None, True),
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", None, None, True),
        ("https://kcc.example.com", "kcc.example.com", "wss", None, None, True),
        ("HTTPS://KCC.example.com/", "kcc.example.com", "wss", None, None, True),
        # same host, another port or scheme: another origin (the host-only check let these through)
        ("http://127.0.0.1:9999", "127.0.0.1:8000", "ws", None, None, False),
        ("http://kcc.example.com", "kcc.example.com", "wss", None, None, False),
        ("https://kcc.example.com", "kcc.example.com", "ws", None, None, False),
        # behind a TLS proxy: its X-Forwarded-Proto counts only where SECURE_PROXY_SSL_HEADER trusts it
        ("https://kcc.example.com", "kcc.example.com", "ws", "https", PROXY, True),
        ("https://kcc.example.com", "kcc.example.com", "ws", "https", None, False),
        ("http://kcc.example.com", "kcc.example.com", "ws", "https", PROXY, False),
        # a host ALLOWED_HOSTS does not name, even when the Origin matches it (DNS rebinding)
        ("http://evil.example", "evil.example", "ws", None, None, False),
        # CSRF_TRUSTED_ORIGINS, with its subdomain wildcard, on the full origin
        ("https://wall.example.com", "kcc.example.com", "wss", None, None, True),
        ("http://wall.example.com", "kcc.example.com", "wss", None, None, False),
        ("https://wall.example.com:8443", "kcc.example.com", "wss", None, None, False),
        ("https://tv.centre.example", "kcc.example.com", "wss", None, None, True),
        ("https://centre.example.evil", "kcc.example.com", "wss", None, None, False),
        ("https://evilcentre.example", "kcc.example.com", "wss", None, None, False),
        # no origin, or not an origin
        (None, "localhost", "ws", None, None, False),
        ("null", "localhost", "ws", None, None, False),
        ("file://", "localhost", "ws", None, None, False),
        ("http://localhost/path", "localhost", "ws", None, None, False),
    ],
)
def test_origin_allowed(origin, host, scheme, forwarded, proxy, allowed):
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if forwarded:
        headers.append((b"x-forwarded-proto", forwarded.encode()))
    with override_settings(ALLOWED_HOSTS=HOSTS, CSRF_TRUSTED_ORIGINS=TRUSTED, SECURE_PROXY_SSL_HEADER=proxy):
        assert origin_allowed({"type": "websocket", "scheme": scheme, "headers": headers}) is allowed


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_handshake_from_another_port_is_refused():
    for origin, accepted in ((b"http://localhost:8000", True), (b"http://localhost:9999", False)):
        headers = [(b"origin", origin), (b"host", b"localhost:8000")]
        communicator = WebsocketCommunicator(application, "/ws/live/?scopes=all", headers=headers)
        connected, _ = await communicator.connect()
        assert connected is accepted
        await communicator.disconnect()


# --- the wall screen's token ------------------------------------------------------------------------------


@pytest.fixture
def screen(db):
    team = TeamFactory(name="1e lijn")
    QueueFactory(name="Algemeen", team=team)
    display = Display(name="TV", scopes=f"team:{team.id}")
    token = display.issue_token()
    display.save()
    return {"team": team, "display": display, "token": token}


def test_old_wall_screen_link_sets_the_cookie_once_and_drops_the_token_from_the_address(screen):
    client = Client()
    team = screen["team"]
    response = client.get(f"/wallboard/?scope=team:{team.id}&display={screen['token']}&kiosk=1")
    assert response.status_code == 302
    assert response["Location"] == f"/wallboard/?scope=team%3A{team.id}&kiosk=1"
    cookie = response.cookies[DISPLAY_COOKIE]
    assert cookie.value == screen["token"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert screen["token"] not in body and 'data-display="1"' in body and 'data-kiosk="1"' in body
    # a scope the screen's token does not open
    assert client.get("/wallboard/?scope=all").status_code == 403


def test_wrong_or_deactivated_wall_screen_token(screen):
    client = Client()
    assert client.get("/wallboard/?display=not-a-token").status_code == 403
    client.get(f"/wallboard/?display={screen['token']}")
    Display.objects.filter(pk=screen["display"].pk).update(active=False)
    response = client.get("/wallboard/")
    assert response.status_code == 403
    assert response.cookies[DISPLAY_COOKIE].value == ""  # deleted: the browser can log in again
    assert client.get("/wallboard/").status_code == 302  # to the login page


# --- malformed scopes ---------------------------------------------------------------------------------------

MALFORMED = ["team:%C2%B2", "team:" + "9" * 5000, "queue:" + "1" * 19, "team:1%00"]
MALFORMED_IDS = ["superscript-two", "5000-digits", "19-digits", "nul"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["supervisor", "manager"])
@pytest.mark.parametrize("scope", MALFORMED, ids=MALFORMED_IDS)
def test_repro_malformed_scope_on_the_wallboard_page_is_400(role, scope):
    """Issue 11 repro: /wallboard/?scope=team:%C2%B2 answered 500 for supervisors."""
    client = Client()
    client.force_login(UserFactory(role=role, teams=[TeamFactory()]))
    response = client.get(f"/wallboard/?scope={scope}")
    assert response.status_code == 400


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scope", MALFORMED, ids=MALFORMED_IDS)
async def test_repro_malformed_scope_on_the_socket_is_4400(scope):
    """Issue 11 repro: the socket closed 1011 on team:² or on a 5,000-digit id."""
    team = await database_sync(TeamFactory)
    cookie = await database_sync(cookie_for, await database_sync(UserFactory, role="supervisor", teams=[team]))
    communicator = await connect(f"/ws/live/?scopes={scope}", cookie)
    assert await closed_with(communicator) == 4400
    # the same scope in a subscribe message, after a good one
    communicator = await connect(f"/ws/live/?scopes=team:{team.id}", cookie)
    await communicator.send_json_to({"type": "subscribe", "scope": unquote(scope)})
    while True:
        message = await communicator.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            assert message["code"] == 4400
            break


# --- the API docs ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "docs", "script", "schema"),
    [
        (None, 302, 302, 403),  # anonymous: the docs to the login page; the schema refused
        ("", 403, 403, 403),  # logged in, without a role
        ("supervisor", 200, 200, 200),
        ("manager", 200, 200, 200),
        ("wfm", 200, 200, 200),
        ("admin", 200, 200, 200),
    ],
)
def test_api_docs_and_schema_are_for_roles_that_use_the_api(role, docs, script, schema):
    client = Client()
    if role is not None:
        client.force_login(UserFactory(role=role or None))
    response = client.get("/api/docs/")
    assert response.status_code == docs
    if docs == 302:
        assert response["Location"].startswith("/accounts/login/?next=/api/docs/")
    assert client.get("/api/docs/?script=").status_code == script
    got = client.get("/api/schema/").status_code
    assert got == schema or (schema == 403 and got == 401)
