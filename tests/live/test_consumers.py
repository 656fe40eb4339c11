"""The live websocket with Channels' WebsocketCommunicator against the real ASGI application, the real
Redis channel layer and the publisher."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from dashboard.ingest.services import events_ingest
from dashboard.live.models import Display
from dashboard.live.publisher import Publisher
from kcc.asgi import application
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def centre(db):
    first, second = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn", line="second")
    algemeen = QueueFactory(name="Algemeen", team=first)
    techniek = QueueFactory(name="Techniek", team=second)
    AgentFactory(login_id="ann", team=first, skills=[algemeen])
    return {"first": first, "second": second, "algemeen": algemeen, "techniek": techniek}


def cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(path: str, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def closed_with(communicator) -> int:
    message = await communicator.receive_output(timeout=3)
    assert message["type"] == "websocket.close", message
    return message["code"]


def offered(n: int, queue: str = "Algemeen") -> dict:
    at = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    return {
        "id": f"e{n}",
        "type": "contact.offered",
        "at": at,
        "contact_id": f"c{n}",
        "queue": queue,
        "channel": "voice",
    }


@pytest.mark.asyncio
async def test_refused_without_login(centre):
    communicator = await connect("/ws/live/?scopes=all")
    assert await closed_with(communicator) == 4401


@pytest.mark.asyncio
async def test_supervisor_is_refused_another_teams_scope(centre):
    cookie = await database_sync(
        cookie_for, await database_sync(UserFactory, role="supervisor", teams=[centre["first"]])
    )
    communicator = await connect(f"/ws/live/?scopes=team:{centre['second'].id}", cookie)
    assert await closed_with(communicator) == 4403
    communicator = await connect("/ws/live/?scopes=all", cookie)
    assert await closed_with(communicator) == 4403
    communicator = await connect(f"/ws/live/?scopes=queue:{centre['techniek'].id}", cookie)
    assert await closed_with(communicator) == 4403


@pytest.mark.asyncio
async def test_snapshot_on_subscribe_then_updates_then_resync(centre):
    publisher = Publisher()
    await publisher.tick()
    cookie = await database_sync(
        cookie_for, await database_sync(UserFactory, role="supervisor", teams=[centre["first"]])
    )
    team = f"team:{centre['first'].id}"
    communicator = await connect(f"/ws/live/?scopes={team}", cookie)
    first = await communicator.receive_json_from(timeout=3)
    assert (first["type"], first["v"], first["scope"]) == ("snapshot", 1, team)
    assert first["data"]["total"]["waiting"] == 0 and [t["name"] for t in first["data"]["tiles"]] == ["Algemeen"]
    assert first["data"]["agents"][0]["login_id"] == "ann"

    source = await database_sync(SourceFactory, name="acd")
    result = await database_sync(events_ingest, source=source, events=[offered(1)])
    assert await publisher.tick() > 0
    update = await communicator.receive_json_from(timeout=3)
    assert update["seq"] > first["seq"] and update["prev"] == first["seq"]
    assert first["sent_at"] >= first["ts"] and update["sent_at"] >= update["ts"]  # stamped as they leave
    assert update["data"]["live_version"] >= result.live_version > first["data"]["live_version"]
    assert update["data"]["total"]["waiting"] == 1 and update["data"]["tiles"][0]["today"]["offered"] == 1

    # Nothing changed: nothing is sent.
    await publisher.tick()
    assert await communicator.receive_nothing(timeout=0.3)

    # An event for the other team's queue is not this team's business.
    await database_sync(events_ingest, source=source, events=[offered(2, "Techniek")])
    await publisher.tick()
    assert await communicator.receive_nothing(timeout=0.3)

    # A client that saw a gap asks for the latest copy and gets the newest seq.
    await communicator.send_json_to({"type": "resync"})
    again = await communicator.receive_json_from(timeout=3)
    assert again["seq"] == update["seq"] and again["data"]["total"]["waiting"] == 1
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_intervals_on_request(centre):
    publisher = Publisher()
    source = await database_sync(SourceFactory, name="acd")
    await database_sync(events_ingest, source=source, events=[offered(1)])
    await publisher.tick()
    cookie = await database_sync(cookie_for, await database_sync(UserFactory, role="manager"))
    communicator = await connect("/ws/live/?scopes=all&intervals=1", cookie)
    kinds = {}
    for _ in range(2):
        message = await communicator.receive_json_from(timeout=3)
        kinds[message["type"]] = message
    assert sum(row["offered"] for row in kinds["intervals"]["data"]["intervals"]) == 1
    assert len(kinds["intervals"]["data"]["intervals"]) in (92, 96, 100)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_wall_screen_token_opens_its_scopes_only(centre):
    def make_display():
        display = Display(name="TV 1e lijn", scopes=f"team:{centre['first'].id}")
        token = display.issue_token()
        display.save()
        return token

    token = await database_sync(make_display)
    await Publisher().tick()
    # the wallboard page set the HttpOnly cookie; the handshake carries it (never the query string)
    communicator = await connect(f"/ws/live/?scopes=team:{centre['first'].id}", f"kcc_display={token}".encode())
    message = await communicator.receive_json_from(timeout=3)
    assert message["data"]["name"] == "1e lijn"
    await communicator.send_json_to({"type": "subscribe", "scope": f"team:{centre['second'].id}"})
    assert await closed_with(communicator) == 4403
    communicator = await connect(f"/ws/live/?scopes=team:{centre['first'].id}", b"kcc_display=not-a-token")
    assert await closed_with(communicator) == 4401
    communicator = await connect(f"/ws/live/?scopes=team:{centre['first'].id}&display={token}")
    assert await closed_with(communicator) == 4401  # a token in the query string opens nothing any more


@pytest.mark.asyncio
async def test_malformed_scope_is_4400(centre):
    cookie = await database_sync(cookie_for, await database_sync(UserFactory, role="manager"))
    communicator = await connect("/ws/live/?scopes=galaxy:9", cookie)
    assert await closed_with(communicator) == 4400


async def database_sync(fn, *args, **kwargs):
    from asgiref.sync import sync_to_async

    return await sync_to_async(fn)(*args, **kwargs)


def test_envelope_shape():
    from dashboard.live.broadcast import envelope

    body = json.loads(envelope("snapshot", "all", 7, {"x": 1}))
    assert set(body) == {"type", "v", "seq", "ts", "scope", "data"} and body["seq"] == 7


def test_stamp_puts_the_send_time_first_and_keeps_the_envelope():
    from dashboard.live.broadcast import envelope, stamp

    text = envelope("snapshot", "all", 7, {"x": 1}, prev=6)
    body = json.loads(stamp(text, now=1_800_000_000.25))
    assert body.pop("sent_at") == 1_800_000_000.25
    assert body == json.loads(text)


@pytest.mark.asyncio
async def test_an_old_latest_snapshot_leaves_with_the_time_it_is_sent(centre):
    """On connect and on resync the consumer re-sends the stored latest envelope: its ``ts`` stays the
    time it was computed, ``sent_at`` is now, so that a page's clock does not run behind by its age."""
    from dashboard.live import broadcast

    await Publisher().tick()
    key = broadcast.latest_key("all", "snapshot")
    r = broadcast.keys.client()
    aged = json.loads(r.get(key))
    aged["ts"] -= 600  # computed ten minutes ago, nothing changed since
    r.set(key, json.dumps(aged))

    cookie = await database_sync(cookie_for, await database_sync(UserFactory, role="manager"))
    communicator = await connect("/ws/live/?scopes=all", cookie)
    now = datetime.now(UTC).timestamp()
    first = await communicator.receive_json_from(timeout=3)
    assert first["ts"] == aged["ts"] and first["seq"] == aged["seq"]
    assert abs(first["sent_at"] - now) < 2
    await communicator.send_json_to({"type": "resync"})
    again = await communicator.receive_json_from(timeout=3)
    assert again["ts"] == aged["ts"] and abs(again["sent_at"] - datetime.now(UTC).timestamp()) < 2
    await communicator.send_json_to({"type": "ping"})
    pong = await communicator.receive_json_from(timeout=3)
    assert pong["type"] == "pong" and abs(pong["sent_at"] - datetime.now(UTC).timestamp()) < 2
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_snapshot_reaching_a_socket_twice_is_sent_once(centre):
    """Stored just before the socket joined its group, a snapshot comes as the latest copy and from the
    group: the socket sends it once. A newer one goes out; a resync sends the latest again on purpose."""
    from channels.layers import get_channel_layer

    from dashboard.live import broadcast
    from dashboard.live.scopes import LiveScope

    publisher = Publisher()
    await publisher.tick()
    cookie = await database_sync(
        cookie_for, await database_sync(UserFactory, role="supervisor", teams=[centre["first"]])
    )
    team = f"team:{centre['first'].id}"
    communicator = await connect(f"/ws/live/?scopes={team}", cookie)
    first = await communicator.receive_json_from(timeout=3)
    scope = LiveScope("team", str(centre["first"].id))
    layer = get_channel_layer()
    group = broadcast.group_name(scope, "snapshot")
    stored = await database_sync(broadcast.latest, scope, "snapshot")
    again = {"type": "live.message", "text": stored, "key": f"snapshot:{team}", "seq": first["seq"]}
    await layer.group_send(group, again)  # the same message from the group
    assert await communicator.receive_nothing(timeout=0.3)

    source = await database_sync(SourceFactory, name="acd")
    await database_sync(events_ingest, source=source, events=[offered(1)])
    assert await publisher.tick() > 0
    update = await communicator.receive_json_from(timeout=3)
    assert update["seq"] > first["seq"]
    await layer.group_send(group, {**again, "seq": update["seq"]})  # a late second delivery of it
    assert await communicator.receive_nothing(timeout=0.3)

    await communicator.send_json_to({"type": "resync"})
    assert (await communicator.receive_json_from(timeout=3))["seq"] == update["seq"]
    await communicator.disconnect()
