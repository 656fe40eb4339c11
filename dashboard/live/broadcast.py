"""Owns the live screens' groups and messages; nothing else calls ``group_send``.

A message to a browser is an envelope ``{"type", "v", "seq", "ts", "scope", "data"}``: ``type`` is
``snapshot`` (the tiles of a scope) or ``intervals`` (today's quarter-hours of a scope), ``seq`` grows by
one per message of that type and scope, so a client that sees a gap asks for a fresh copy. The latest
envelope of each is kept in Redis, for clients that subscribe or resync.
"""

from __future__ import annotations

import json
import time

from channels.layers import get_channel_layer

from dashboard.live import keys
from dashboard.live.scopes import LiveScope

ENVELOPE_VERSION = 1
KINDS = ("snapshot", "intervals")
LATEST_TTL_S = 24 * 3600


def group_name(scope: LiveScope, kind: str) -> str:
    return f"{scope.group}.{kind}"


def latest_key(scope_name: str, kind: str) -> str:
    return f"{keys.root()}:pub:latest:{kind}:{scope_name}"


def seq_key() -> str:
    return f"{keys.root()}:pub:seq"


def dirty_key() -> str:
    """A list the publisher blocks on: something changed (ingest), or ``alerts`` (an acknowledgement)."""
    return f"{keys.root()}:pub:dirty"


def envelope(kind: str, scope_name: str, seq: int, data: dict) -> str:
    return json.dumps(
        {"type": kind, "v": ENVELOPE_VERSION, "seq": seq, "ts": time.time(), "scope": scope_name, "data": data},
        separators=(",", ":"),
    )


def prepare(messages: list[tuple[LiveScope, str, dict]]) -> list[tuple[str, str]]:
    """Number and store one message per (scope, kind); returns (group, envelope) pairs to send."""
    if not messages:
        return []
    r = keys.client()
    pipe = r.pipeline(transaction=False)
    for scope, kind, _data in messages:
        pipe.hincrby(seq_key(), f"{kind}:{scope.name}", 1)
    seqs = pipe.execute()
    out = []
    pipe = r.pipeline(transaction=False)
    for (scope, kind, data), seq in zip(messages, seqs, strict=True):
        text = envelope(kind, scope.name, seq, data)
        pipe.set(latest_key(scope.name, kind), text, ex=LATEST_TTL_S)
        out.append((group_name(scope, kind), text))
    pipe.execute()
    return out


async def send(prepared: list[tuple[str, str]]) -> None:
    """Push prepared envelopes to their groups: one PUBLISH each, whatever the number of sockets."""
    layer = get_channel_layer()
    for group, text in prepared:
        await layer.group_send(group, {"type": "live.message", "text": text})


def latest(scope: LiveScope, kind: str) -> str | None:
    """The last envelope published for a scope, or None before the first."""
    return keys.client().get(latest_key(scope.name, kind))


def notify_changed(reason: str = "events") -> None:
    """Tell the publisher the live state changed (called after an ingest batch commits)."""
    r = keys.client()
    pipe = r.pipeline(transaction=False)
    pipe.rpush(dirty_key(), reason)
    pipe.ltrim(dirty_key(), -1000, -1)
    pipe.execute()
