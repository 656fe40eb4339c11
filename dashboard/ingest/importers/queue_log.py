"""Mapping of Asterisk's ``queue_log`` (FreePBX, Issabel, VitalPBX, plain Asterisk) into KCC Live's ingest
events. Pure: no database, no settings; the import service (``dashboard.ingest.queue_log_import``) feeds
what this returns through the one ingest service.

The format (Asterisk's documented queue_log events, ``/var/log/asterisk/queue_log``): one line per event,
pipe-separated, ``epoch|uniqueid|queue|agent|event|data1|data2|…``. ``epoch`` is seconds since 1970 (UTC),
``uniqueid`` the caller's channel id (``NONE`` on agent and housekeeping lines), ``agent`` the member's
name or interface (``NONE`` when no agent is involved).

What is mapped (contact id: the ``uniqueid``; channel voice; event ids ``uniqueid:EVENT:epoch`` plus the
kind, and for agent lines ``agent:EVENT:epoch``, so that importing the same lines again is a duplicate):

* ``ENTERQUEUE`` (url|callerid|position) → ``contact.offered`` to ``queue``; the caller id becomes the
  customer reference only through the caller's ``hash_caller`` (never in clear), so repeat contacts show.
* ``CONNECT`` (holdtime|bridged uniqueid|ringtime) → ``contact.answered`` by ``agent``. The wait
  (``holdtime``) is not sent: the ingest takes it from offer to answer.
* ``COMPLETECALLER`` / ``COMPLETEAGENT`` (holdtime|calltime|origposition) → ``contact.ended``,
  ``talk_s`` = calltime.
* ``ABANDON`` (position|origposition|waittime), ``EXITWITHTIMEOUT`` (position|origposition|waittime),
  ``EXITEMPTY`` (position|origposition|waittime), ``EXITWITHKEY`` (key|position|origposition|waittime)
  → ``contact.abandoned``: the caller left the queue unanswered (hung up, timed out, no agents, pressed
  a key).
* ``TRANSFER`` / ``BLINDTRANSFER`` (extension|context|holdtime|calltime|origposition) and
  ``ATTENDEDTRANSFER`` (method|target|holdtime|calltime|origposition) → ``contact.transferred`` to the
  extension (or the attended transfer's target) as ``to_agent``, and ``contact.ended`` with ``talk_s``
  = calltime.
* Agents → ``agent.state``: ``AGENTLOGIN``, ``AGENTCALLBACKLOGIN``, ``ADDMEMBER``, ``UNPAUSE``,
  ``UNPAUSEALL`` → available; ``PAUSE`` / ``PAUSEALL`` → paused, with data1 as the reason;
  ``AGENTLOGOFF``, ``AGENTCALLBACKLOGOFF``, ``REMOVEMEMBER`` → logged_out.

What is not mapped (skipped and counted per event name): ``RINGNOANSWER`` (a ring the agent did not
answer: the call stays waiting, and the agent who answers it later is the one on ``CONNECT``); the
housekeeping lines ``QUEUESTART``, ``CONFIGRELOAD``, ``DID``, ``INFO``; ``SYSCOMPAT``,
``AGENTDUMP``. Event names this module does not know are skipped and counted apart. Customer hold during
a call is not in the queue_log, so ``hold_s`` is never sent; neither is after-call work.

Limits: ``REMOVEMEMBER`` from one queue shows the agent logged out even when they stay a member of
another; the per-queue copies of one ``PAUSE`` are one state change (same id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

NONE = "NONE"
OFFER = "ENTERQUEUE"
ANSWER = "CONNECT"
COMPLETE = ("COMPLETECALLER", "COMPLETEAGENT")
LEAVE = ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY")
TRANSFERS = ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
AGENT_STATES = {
    "AGENTLOGIN": "available",
    "AGENTCALLBACKLOGIN": "available",
    "ADDMEMBER": "available",
    "UNPAUSE": "available",
    "UNPAUSEALL": "available",
    "PAUSE": "paused",
    "PAUSEALL": "paused",
    "AGENTLOGOFF": "logged_out",
    "AGENTCALLBACKLOGOFF": "logged_out",
    "REMOVEMEMBER": "logged_out",
}
NOT_MAPPED = frozenset(
    {"RINGNOANSWER", "QUEUESTART", "CONFIGRELOAD", "DID", "INFO", "SYSCOMPAT", "AGENTDUMP", "RINGCANCELED"}
)
MAX_MALFORMED = 1000  # listed in full; beyond this only counted


class MalformedLineError(ValueError):
    """A line that is not a queue_log line (or lacks what its event needs)."""


@dataclass
class Reading:
    """What reading a queue_log yielded besides the events."""

    lines: int = 0
    mapped: int = 0
    skipped: Counter = field(default_factory=Counter)  # known events not mapped, per name
    unknown: Counter = field(default_factory=Counter)  # event names this module does not know
    malformed: list[tuple[int, str]] = field(default_factory=list)
    malformed_count: int = 0
    pending: str = ""  # a last line without its newline: left for the next read

    def bad(self, line: int, reason: str) -> None:
        self.malformed_count += 1
        if len(self.malformed) < MAX_MALFORMED:
            self.malformed.append((line, reason))


def _seconds(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise MalformedLineError(f"{name} {value!r} is not a number of seconds") from None
    if number != number or number < 0:
        raise MalformedLineError(f"{name} {value!r} must be 0 or more seconds")
    return number


def _data(fields: list[str], index: int) -> str:
    return fields[5 + index].strip() if len(fields) > 5 + index else ""


def line_events(text: str, *, hash_caller: Callable[[str], str] | None = None) -> tuple[str, list[dict]]:
    """(event name, ingest events) of one queue_log line (without its newline). Raises ``MalformedLineError``
    with the reason; an event name not mapped gives an empty list."""
    fields = text.split("|")
    if len(fields) < 5:
        raise MalformedLineError(
            f"has {len(fields)} fields; a queue_log line has at least 5 (epoch|uniqueid|queue|agent|event)"
        )
    epoch_text, uniqueid, queue, agent, name = (f.strip() for f in fields[:5])
    if not name:
        raise MalformedLineError("has no event name (field 5)")
    try:
        epoch = int(epoch_text)
        at = datetime.fromtimestamp(epoch, UTC)
    except (ValueError, OverflowError, OSError):
        raise MalformedLineError(f"epoch {epoch_text!r} is not a time in seconds since 1970") from None
    when = at.isoformat()
    if name in AGENT_STATES:
        if not agent or agent == NONE:
            raise MalformedLineError(f"{name} names no agent (field 4)")
        event = {"id": f"{agent}:{name}:{epoch}", "type": "agent.state", "at": when, "agent": agent,
                 "state": AGENT_STATES[name]}  # fmt: skip
        if name in ("PAUSE", "PAUSEALL") and _data(fields, 0):
            event["reason"] = _data(fields, 0)
        return name, [event]
    if name in NOT_MAPPED or name not in (OFFER, ANSWER, *COMPLETE, *LEAVE, *TRANSFERS):
        return name, []
    if not uniqueid or uniqueid == NONE:
        raise MalformedLineError(f"{name} names no call (uniqueid, field 2)")

    def event(kind: str, **extra) -> dict:
        return {"id": f"{uniqueid}:{name}:{epoch}:{kind.split('.')[1]}", "type": kind, "at": when,
                "contact_id": uniqueid, **extra}  # fmt: skip

    if name == OFFER:
        if not queue or queue == NONE:
            raise MalformedLineError("ENTERQUEUE names no queue (field 3)")
        extra = {"queue": queue, "channel": "voice"}
        caller = _data(fields, 1)
        if hash_caller is not None and caller and caller.lower() not in ("unknown", "anonymous", NONE.lower()):
            extra["customer_ref"] = hash_caller(caller)
        return name, [event("contact.offered", **extra)]
    if name == ANSWER:
        if not agent or agent == NONE:
            raise MalformedLineError("CONNECT names no agent (field 4)")
        return name, [event("contact.answered", agent=agent)]
    if name in LEAVE:
        return name, [event("contact.abandoned")]
    if name in COMPLETE:
        return name, [event("contact.ended", talk_s=_seconds(_data(fields, 1), "calltime (data2)"))]
    # a transfer: to the extension (TRANSFER, BLINDTRANSFER) or the attended transfer's target
    target = _data(fields, 1 if name == "ATTENDEDTRANSFER" else 0) or _data(fields, 0)
    if not target:
        raise MalformedLineError(f"{name} names no transfer target (data1)")
    talk = _seconds(_data(fields, 3), "calltime (data4)")
    return name, [event("contact.transferred", to_agent=target[:100]), event("contact.ended", talk_s=talk)]


def read_events(
    stream: IO[str], *, reading: Reading, hash_caller: Callable[[str], str] | None = None, first_line: int = 1
) -> Iterator[tuple[int, list[dict]]]:
    """(line number, events) for each mapped line of ``stream``; counts, skips and malformed lines go
    to ``reading``. Blank lines are ignored. A last line without its newline is not read: it is kept in
    ``reading.pending`` (the file is still being written). Lines are numbered from ``first_line`` (a
    stream that starts in the middle of a file)."""
    number = first_line - 1
    for raw in stream:
        number += 1
        if not raw.endswith(("\n", "\r")):
            reading.pending = raw
            return
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        reading.lines += 1
        try:
            name, events = line_events(text, hash_caller=hash_caller)
        except MalformedLineError as error:
            reading.bad(number, str(error))
            continue
        if not events:
            (reading.skipped if name in NOT_MAPPED else reading.unknown)[name] += 1
            continue
        reading.mapped += 1
        yield number, events
