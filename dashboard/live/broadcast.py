"""Owns the live screens' groups and messages; nothing else calls ``group_send``.

A message to a browser is an envelope ``{"type", "v", "seq", "ts", "scope", "data"}`` plus ``prev`` and
``sent_at``:
``type`` is ``snapshot`` (the tiles of a scope), ``intervals`` (today's quarter-hours of a scope) or
``heartbeat`` (the publisher is alive; its ``seq`` is the scope's latest snapshot's). ``seq`` never goes
backwards for a scope and type, not across a rebuild, a Redis flush or restart, or a publisher failover:
it is ``max(previous + 1, the clock in microseconds)``, so a counter Redis lost starts again above every
number sent before. ``prev`` is the seq of the message before it: a client whose last seq is lower
missed a message and asks for a fresh copy. The latest envelope of each is kept in Redis, for clients
that subscribe or resync.

Two times: ``ts`` is when the publisher computed the envelope (the age of its figures), ``sent_at`` the
server's clock when the consumer wrote it to the socket (``stamp``). A page ties its ticking clock to
``sent_at``: the latest envelope re-sent on connect may be minutes old, and a clock set from its ``ts``
would make every ticking wait run behind by that age.

Control messages go to a socket's own groups (its user, its login session, its wall screen):
``recheck`` (its rights may have changed: the consumer checks its scopes again) and ``close`` (its
session ended).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
import time
from typing import NamedTuple

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from dashboard.live import keys
from dashboard.live.scopes import LiveScope

ENVELOPE_VERSION = 1
KINDS = ("snapshot", "intervals")
LATEST_TTL_S = 24 * 3600

# Numbers every (kind, scope) of a round in one call: seq = max(previous + 1, floor), the floor being
# the publisher's clock in microseconds. string.format keeps all 16 digits (Redis would write a plain
# Lua number as 1.7e+15). Returns the previous and new seq of each, as strings.
# KEYS: the seq hash, then (fenced) the lease's fence counter. ARGV: the clock floor, the fencing token
# (or ''), the fields. A fenced call whose token is no longer the newest numbers nothing.
_SEQ_SCRIPT = """
if ARGV[2] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[2] then return redis.error_reply('FENCED') end
local floor = tonumber(ARGV[1])
local out = {}
for i = 3, #ARGV do
  local prev = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  local seq = math.max(prev + 1, floor)
  redis.call('HSET', KEYS[1], ARGV[i], string.format('%d', seq))
  out[#out + 1] = string.format('%d', prev)
  out[#out + 1] = string.format('%d', seq)
end
return out
"""

# KEYS: the fence counter (or none). ARGV: the token (or ''), the TTL, then key, text pairs.
_STORE_SCRIPT = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
for i = 3, #ARGV, 2 do redis.call('SET', ARGV[i], ARGV[i + 1], 'EX', ARGV[2]) end
return 1
"""


class FencedOutError(Exception):
    """Another publisher took the lease: this one's fencing token is no longer the newest."""


_clock_lock = threading.Lock()
_clock_last_us = 0


class Prepared(NamedTuple):
    """One envelope ready to send: to ``group``, numbered ``seq``."""

    group: str
    text: str
    scope: LiveScope
    kind: str
    seq: int


def clock_us() -> int:
    """Microseconds since the epoch, strictly increasing within this process (even if the system
    clock is set back): the floor of every seq this process hands out."""
    global _clock_last_us
    with _clock_lock:
        _clock_last_us = max(_clock_last_us + 1, time.time_ns() // 1000)
        return _clock_last_us


def group_name(scope: LiveScope, kind: str) -> str:
    return f"{scope.group}.{kind}"


def user_group(user_id: int) -> str:
    """The control group of every socket of one user."""
    return f"live.user.{int(user_id)}"


def session_group(session_key: str) -> str:
    """The control group of the sockets of one login session (hashed: the key itself is a secret)."""
    return "live.session." + hashlib.blake2b(session_key.encode(), digest_size=12).hexdigest()


def display_group(display_id: int) -> str:
    """The control group of the sockets of one wall screen."""
    return f"live.display.{int(display_id)}"


def latest_key(scope_name: str, kind: str) -> str:
    return f"{keys.root()}:pub:latest:{kind}:{scope_name}"


def seq_key() -> str:
    return f"{keys.root()}:pub:seq"


_SEQ = re.compile(r'"seq":(\d+)')
NUMBERED = ("snapshot", "intervals")  # the kinds a socket gets once each, in rising seq; heartbeats repeat


def envelope_seq(text: str) -> int | None:
    """The ``seq`` of a stored envelope (read when a socket subscribes; not on the fan-out path)."""
    found = _SEQ.search(text, 0, 200)
    return int(found.group(1)) if found else None


def dirty_key() -> str:
    """A list the publisher blocks on: something changed (ingest), or ``alerts`` (an acknowledgement)."""
    return f"{keys.root()}:pub:dirty"


def envelope(kind: str, scope_name: str, seq: int, data: dict, *, prev: int | None = None) -> str:
    body = {"type": kind, "v": ENVELOPE_VERSION, "seq": seq, "ts": time.time(), "scope": scope_name, "data": data}
    if prev is not None:
        body["prev"] = prev
    return json.dumps(body, separators=(",", ":"))


def stamp(text: str, now: float | None = None) -> str:
    """The envelope ``text`` with ``sent_at`` (the server's clock now, epoch seconds) put first, for the
    page's clock. A splice, not a JSON round trip: it runs once per socket and message."""
    sent_at = time.time() if now is None else now
    return f'{{"sent_at":{sent_at:.3f},{text[1:]}' if text.startswith("{") else text


def _fenced(script: str, keys_: list[str], args: list, fence: tuple[str, int] | None):
    fence_keys = [fence[0]] if fence else [seq_key()]  # unfenced, the script reads no fence key
    try:
        return keys.client().register_script(script)(keys=keys_ + fence_keys, args=args)
    except redis.ResponseError as error:
        if "FENCED" in str(error):
            raise FencedOutError(f"fencing token {fence[1] if fence else None} is no longer the newest") from error
        raise


def next_seqs(fields: list[str], *, fence: tuple[str, int] | None = None) -> list[tuple[int, int]]:
    """Number the next message of each ``"<kind>:<scope>"`` field: (previous seq, new seq) pairs, the
    new one above the previous and at least this process's clock in microseconds. With ``fence`` (the
    publisher's lease), only while its token is the newest; else ``FencedOutError``."""
    if not fields:
        return []
    token = str(fence[1]) if fence else ""
    out = _fenced(_SEQ_SCRIPT, [seq_key()], [clock_us(), token, *fields], fence)
    numbers = [int(x) for x in out]
    return list(zip(numbers[0::2], numbers[1::2], strict=True))


def prepare(messages: list[tuple[LiveScope, str, dict]], *, fence: tuple[str, int] | None = None) -> list[Prepared]:
    """Number and store one message per (scope, kind); returns the envelopes to send. With ``fence``,
    numbering and storing each happen only while the token is the newest (``FencedOutError`` otherwise)."""
    if not messages:
        return []
    seqs = next_seqs([f"{kind}:{scope.name}" for scope, kind, _data in messages], fence=fence)
    out, pairs = [], []
    for (scope, kind, data), (prev, seq) in zip(messages, seqs, strict=True):
        text = envelope(kind, scope.name, seq, data, prev=prev or None)
        pairs += [latest_key(scope.name, kind), text]
        out.append(Prepared(group_name(scope, kind), text, scope, kind, seq))
    _fenced(_STORE_SCRIPT, [], [str(fence[1]) if fence else "", LATEST_TTL_S, *pairs], fence)
    return out


def heartbeats(latest: dict[str, tuple[LiveScope, int]]) -> list[Prepared]:
    """A small ``heartbeat`` to each scope's snapshot group, carrying the seq of its latest snapshot:
    a page that hears nothing for a few refresh periods knows the link or the publisher is gone, and one
    whose last snapshot is older than the seq asks for a fresh copy."""
    out = []
    for scope, seq in latest.values():
        text = envelope("heartbeat", scope.name, seq, {})
        out.append(Prepared(group_name(scope, "snapshot"), text, scope, "heartbeat", seq))
    return out


async def send(prepared: list[Prepared]) -> None:
    """Push prepared envelopes to their groups: one PUBLISH each, whatever the number of sockets."""
    layer = get_channel_layer()
    for message in prepared:
        event = {"type": "live.message", "text": message.text}
        if message.kind in NUMBERED:  # the socket sends each of these once (``LiveConsumer.live_message``)
            event["key"], event["seq"] = f"{message.kind}:{message.scope.name}", message.seq
        await layer.group_send(message.group, event)


def latest(scope: LiveScope, kind: str) -> str | None:
    """The last envelope published for a scope, or None before the first."""
    return keys.client().get(latest_key(scope.name, kind))


def notify_changed(reason: str = "events") -> None:
    """Tell the publisher the live state changed (called after an ingest batch commits). The note carries
    the time, so the publisher can measure the lag from the commit to its send (``/metrics``)."""
    r = keys.client()
    pipe = r.pipeline(transaction=False)
    if reason == "config":
        pipe.incr(keys.config_version_key())
    pipe.rpush(dirty_key(), f"{reason} {time.time():.6f}")
    pipe.ltrim(dirty_key(), -1000, -1)
    pipe.execute()


def noted_at(note: bytes | str | None) -> float | None:
    """When the change in a note of ``notify_changed`` committed (epoch seconds), if it says."""
    if isinstance(note, bytes):
        note = note.decode(errors="replace")
    try:
        return float(note.rsplit(" ", 1)[1]) if note else None
    except (IndexError, ValueError):
        return None


def _send_from_sync(messages: list[tuple[str, dict]]) -> None:
    """group_send from sync code. Sync code may run in a thread whose event loop is running (an
    embedding application, a test driving a browser), where async_to_sync is refused: the sends then
    run in a thread of their own, and this waits for them."""

    async def send_all():
        layer = get_channel_layer()
        for group, message in messages:
            await layer.group_send(group, message)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(send_all)()
        return
    errors: list[BaseException] = []

    def run():
        try:
            asyncio.run(send_all())
        except BaseException as error:  # raised again in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=run, name="live-control-send")
    thread.start()
    thread.join(10)
    if errors:
        raise errors[0]


def recheck(groups: list[str]) -> None:
    """Tell the sockets in these control groups to check their scopes again (a user's teams or roles,
    or a wall screen's token, changed). Called from sync code (signal handlers)."""
    _send_from_sync([(group, {"type": "live.recheck"}) for group in groups])


def close_group(group: str, code: int) -> None:
    """Close every socket in a control group with ``code`` (a login session ended: 4401)."""
    _send_from_sync([(group, {"type": "live.close", "code": code})])
