"""Fuzz the live websocket (dashboard/live/consumers.py) through Channels' WebsocketCommunicator, the
real ASGI application (origin check, session and display-token middleware) and the real Redis channel
layer: generated connect queries (``scopes``, ``intervals``, ``display``), then generated messages of
any shape — subscribe and resync as the protocol has them, any JSON, text that is no JSON, binary
frames. After each message a ping must get its pong or the socket a deliberate close (4400/4401/4403):
a close 1011 or an exception out of the consumer is a 5xx, and a socket that answers nothing fails."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from dashboard.live.models import Display
from dashboard.live.publisher import Publisher
from kcc.asgi import application
from tests.fuzz import strategies as gen
from tests.fuzz import tally
from tests.fuzz.conftest import fuzz_settings, make_centre

pytestmark = pytest.mark.django_db(transaction=True)

SESSIONS = 600
ANSWER_S = 5


class WebsocketError(AssertionError):
    pass


def _scopes(centre) -> st.SearchStrategy[str]:
    good = ["all", "channel:voice", "channel:chat", *(f"team:{i}" for i in centre.team_ids)]
    good += [f"queue:{i}" for i in centre.queue_ids]
    junk = ["team:²", "team:" + "9" * 5000, "queue:" + "1" * 30, "team:-1", "team:0", "channel:fax", "galaxy:9",
            "team:", ":", "all,all", "team:1,queue:1", "\x00", "team:1\x00"]  # fmt: skip
    return st.one_of(st.sampled_from(good), st.sampled_from(good), st.sampled_from(junk), gen.junk())


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | gen.TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(gen.TEXT, inner, max_size=3),
    max_leaves=8,
)


def _message(centre) -> st.SearchStrategy[tuple[str, object]]:
    """(frame kind, payload): most are the protocol's own messages with generated fields."""
    subscribe = st.fixed_dictionaries(
        {"type": st.just("subscribe")}, optional={"scope": st.one_of(_scopes(centre), JSON), "intervals": JSON}
    )
    protocol = st.one_of(
        subscribe,
        subscribe,
        st.just({"type": "resync"}),
        st.fixed_dictionaries({"type": st.sampled_from(["resync", "ping", "subscribe", "unsubscribe", "RESYNC"])}),
        st.dictionaries(st.sampled_from(["type", "scope", "intervals", "seq", "v"]), JSON, max_size=4),
    )
    return st.one_of(
        protocol.map(lambda m: ("json", m)),
        protocol.map(lambda m: ("json", m)),
        JSON.map(lambda m: ("json", m)),
        st.sampled_from(["{", " ", "null", "\x00", '{"type": "subscribe", "scope": ', "[" * 2000, "x" * 70_000])
        .map(lambda t: ("text", t)),
        st.binary(min_size=1, max_size=64).map(lambda b: ("bytes", b)),
    )  # fmt: skip


def _query(centre, token: str) -> st.SearchStrategy[str]:
    params = st.fixed_dictionaries(
        {},
        optional={
            "scopes": st.lists(_scopes(centre), min_size=1, max_size=3).map(",".join),
            "intervals": st.sampled_from(["1", "0", "true", "yes", "", "\x00"]),
            "display": st.one_of(st.just(token), gen.junk()),
        },
    )
    return params.map(lambda p: urlencode(p))


async def _answer(communicator, sent: str) -> int:
    """Wait for the pong that follows ``sent``: 200 when it came, the close code when the socket closed."""
    while True:
        try:
            output = await communicator.receive_output(timeout=ANSWER_S)
        except TimeoutError:
            raise WebsocketError(f"no answer within {ANSWER_S} s after {sent}") from None
        except Exception as exc:  # the consumer raised: daphne closes such a socket with 1011
            raise WebsocketError(f"the consumer raised {exc!r} after {sent}") from exc
        if output["type"] == "websocket.close":
            return output.get("code", 1000)
        if output["type"] == "websocket.send" and json.loads(output.get("text") or "{}").get("type") == "pong":
            return 200


async def _session(cookie: bytes | None, query: str, messages: list[tuple[str, object]]) -> None:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    path = "/ws/live/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    try:
        try:
            connected, _ = await communicator.connect(timeout=ANSWER_S)
        except Exception as exc:
            tally.record("websocket: connect", 500)
            raise WebsocketError(f"connect {path[:300]!r} raised {exc!r}") from exc
        status = 200 if connected else 403
        if connected:
            await communicator.send_json_to({"type": "ping"})
            try:
                status = await _answer(communicator, f"connect {path[:300]!r}")
            except WebsocketError:
                tally.record("websocket: connect", 500)
                raise
        assert tally.record("websocket: connect", status) != "5xx", f"connect {path[:300]!r} closed {status}"
        for kind, payload in messages if status == 200 else ():
            if kind == "json":
                await communicator.send_to(text_data=json.dumps(payload))
            elif kind == "text":
                await communicator.send_to(text_data=payload)
            else:
                await communicator.send_to(bytes_data=payload)
            await communicator.send_json_to({"type": "ping"})
            sent = f"{kind} {str(payload)[:300]!r} on {path[:200]!r}"
            try:
                status = await _answer(communicator, sent)
            except WebsocketError:
                tally.record("websocket: messages", 500)
                raise
            assert tally.record("websocket: messages", status) != "5xx", f"{sent}: closed {status}"
            if status != 200:
                break
    finally:
        await communicator.disconnect()


def test_live_websocket_messages():
    centre = make_centre()
    cookies: dict[str, bytes | None] = {"anonymous": None}
    for role, user in centre.users.items():
        client = Client()
        client.force_login(user)
        cookies[role] = f"sessionid={client.cookies['sessionid'].value}".encode()
    display = Display(name="TV fuzz", scopes=f"team:{centre.team_ids[0]},channel:voice")
    token = display.issue_token()
    display.save()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(Publisher().tick())  # the latest envelopes a subscribe sends

    @fuzz_settings(SESSIONS)
    @given(
        role=st.sampled_from(["admin", "manager", "supervisor", "supervisor", "norole", "anonymous"]),
        query=_query(centre, token),
        messages=st.lists(_message(centre), min_size=1, max_size=6),
    )
    def fuzz(role, query, messages):
        loop.run_until_complete(_session(cookies[role], query, messages))

    try:
        fuzz()
    finally:
        layer = get_channel_layer()
        if hasattr(layer, "flush"):
            loop.run_until_complete(layer.flush())
        loop.close()
