"""Mapping of Amazon Connect's contact records (CTRs) and agent event stream records into KCC Live's ingest
events. Pure: no database, no settings; the record service (``dashboard.ingest.connect_records``) feeds what
this returns through the one ingest service, from files (``import_connect_ctr``) or from Kinesis Data
Firehose's HTTP endpoint delivery (``POST /api/v1/adapters/firehose/``).

The formats (AWS's "Data model for Amazon Connect contact records" and "Agent event streams data model"):

* A contact record is one JSON object per contact: ``AWSContactTraceRecordFormatVersion`` (``2017-03-10``),
  ``ContactId``, ``InitialContactId``, ``PreviousContactId``, ``NextContactId``, ``Channel`` (``VOICE``,
  ``CHAT``, ``TASK``, ``EMAIL``), ``InitiationMethod``, ``InitiationTimestamp``, ``DisconnectTimestamp``,
  ``LastUpdateTimestamp``, ``Queue`` {``Name``, ``ARN``, ``EnqueueTimestamp``, ``DequeueTimestamp``,
  ``Duration``}, ``Agent`` {``Username``, ``ARN``, ``ConnectedToAgentTimestamp``, ``AgentInteractionDuration``,
  ``CustomerHoldDuration``, ``AfterContactWorkDuration``, ``AfterContactWorkStartTimestamp``,
  ``AfterContactWorkEndTimestamp``}, ``CustomerEndpoint`` {``Address``, ``Type``}, ``TransferredToEndpoint``,
  ``TransferCompletedTimestamp``. Times are ISO 8601 in UTC (``2026-11-24T08:00:00Z``), durations whole
  seconds. Connect delivers a record at least once, and again when it changes (after-contact work, an
  update of its attributes): the copy with the later ``LastUpdateTimestamp`` holds the newer data.
* An agent event (``Version`` ``2019-05-25``) has ``EventType`` (``LOGIN``, ``LOGOUT``, ``STATE_CHANGE``,
  ``HEART_BEAT``), ``EventId``, ``EventTimestamp``, ``AgentARN`` and ``CurrentAgentSnapshot``
  {``AgentStatus`` {``Name``, ``Type`` (``ROUTABLE``, ``CUSTOM``, ``OFFLINE``), ``StartTimestamp``},
  ``Configuration`` {``Username``, …}, ``Contacts`` [{``ContactId``, ``Channel``, ``State``, …}]}.

What a contact record maps to (contact id: ``ContactId``; every event id is ``ContactId:kind@revision``,
the revision being ``LastUpdateTimestamp``, so that a copy sent again is a duplicate and an updated copy
replaces the earlier one's events: see ``events_ingest(supersede=True)``):

* ``contact.offered`` to ``Queue.Name`` at ``Queue.EnqueueTimestamp``, the channel from ``Channel``
  (``TASK``: the task channel, back-office work measured by response time), the customer reference from
  ``CustomerEndpoint.Address`` through the keyed hash (never in clear), so repeat contacts show; a contact
  transferred in (``PreviousContactId``) carries none: it is the same customer's same call, not a repeat.
* ``contact.answered`` by ``Agent.Username`` at ``Agent.ConnectedToAgentTimestamp``; otherwise
  ``contact.abandoned`` at ``Queue.DequeueTimestamp``, else ``DisconnectTimestamp``.
* ``contact.ended`` of an answered contact at ``DisconnectTimestamp``: talk ``Agent.AgentInteractionDuration``,
  hold ``Agent.CustomerHoldDuration``; ``contact.wrapup_ended`` at ``Agent.AfterContactWorkEndTimestamp``
  with ACW ``Agent.AfterContactWorkDuration``.
* A transfer: an answered contact with ``NextContactId`` (transferred to another agent or queue inside
  Connect: the next contact is a contact of its own, offered to its own queue) or ``TransferredToEndpoint``
  (transferred out of Connect) → ``contact.transferred`` to that target, at ``TransferCompletedTimestamp``,
  else ``DisconnectTimestamp``.

Not mapped (a counted skip, with the reason): a record without a queue or never put in one (outbound
calls, contacts the flow ended or transferred before a queue), ``InitiationMethod`` ``OUTBOUND``, and a record of an unknown ``AWSContactTraceRecordFormatVersion``. An unanswered contact that
Connect transferred on from the queue counts as abandoned, as the record gives no answer.

What an agent event maps to (``agent.state`` of ``Configuration.Username`` at ``EventTimestamp``, id
``EventId:state``): ``LOGOUT`` → logged_out; ``LOGIN`` and ``STATE_CHANGE`` → on_contact while one of
the snapshot's contacts is connected (``CONNECTING``, ``CONNECTED``, ``CONNECTED_ONHOLD``), acw while one is
in after-contact work (``ENDED``), else the agent status: the source's state names first (``{"Lunch":
"paused", …}``, any case), else by its ``Type``: ``ROUTABLE`` → available, ``OFFLINE`` → logged_out,
``CUSTOM`` → paused with the status name as the reason (without a ``Type``: ``Available`` → available,
``Offline`` → logged_out, any other → paused). ``HEART_BEAT`` repeats the state and is a counted skip, as is
an event of an unknown ``Version``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CTR_VERSIONS = frozenset({"2017-03-10"})
AGENT_EVENT_VERSIONS = frozenset({"2019-05-25"})
CHANNELS = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email", "TASK": "task"}
AGENT_STATES = ("logged_out", "available", "on_contact", "acw", "paused")
STATUS_TYPES = {"ROUTABLE": "available", "OFFLINE": "logged_out", "CUSTOM": "paused"}
DEFAULT_STATUS_NAMES = {"available": "available", "offline": "logged_out"}
CONNECTED_STATES = frozenset({"CONNECTING", "CONNECTED", "CONNECTED_ONHOLD"})
ACW_STATES = frozenset({"ENDED"})
CUSTOMER_ENDPOINT_TYPES = frozenset({"TELEPHONE_NUMBER", "EMAIL_ADDRESS", ""})
NO_CALLER = frozenset({"", "anonymous", "unknown", "restricted", "private"})
MAX_ID = 120  # a ContactId or EventId (a UUID): room left in the 200 characters of an event id
MAX_NAME = 100


class RecordError(ValueError):
    """A record that is not a contact record or an agent event, or lacks what its mapping needs."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass
class Mapped:
    """What one record gives: its ingest events, or why it gives none (``skipped``; ``unknown`` for a
    record of a version this module does not know)."""

    kind: str  # "ctr" or "agent_event"
    events: list[dict] = field(default_factory=list)
    skipped: str = ""
    unknown: bool = False


def _object(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = record.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(name, f"must be a JSON object, not {type(value).__name__}")
    return value


def _text(record: Mapping[str, Any], name: str, where: str = "") -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(where + name, f"must be a string, not {type(value).__name__}")
    return value.strip()


def _time(record: Mapping[str, Any], name: str, where: str = "") -> datetime | None:
    """A timestamp as Connect writes them (ISO 8601, ``Z``); None when absent."""
    text = _text(record, name, where)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise RecordError(where + name, f"{text[:40]!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise RecordError(where + name, f"{text[:40]!r} has no UTC offset (Connect writes Z)")
    return moment.astimezone(UTC)


def _seconds(record: Mapping[str, Any], name: str, where: str = "") -> float | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        raise RecordError(where + name, f"{value!r} is not a number of seconds")
    return float(value)


def _id(record: Mapping[str, Any], name: str) -> str:
    value = _text(record, name)
    if not value:
        raise RecordError(name, "is required")
    if len(value) > MAX_ID or "@" in value:
        raise RecordError(name, f"{value[:40]!r} is not an id as Connect writes them (a UUID)")
    return value


def revision(moment: datetime | None) -> str:
    """A record's revision as it appears in its event ids: its last update in UTC, in a form that sorts in
    time order (``20261124T081500.000000``); ``0`` for a record without ``LastUpdateTimestamp``."""
    return moment.strftime("%Y%m%dT%H%M%S.%f") if moment is not None else "0"


def is_agent_event(record: Any) -> bool:
    """Whether a record is an agent event stream record (``EventType`` with ``CurrentAgentSnapshot`` or
    ``AgentARN``) rather than a contact record."""
    return (
        isinstance(record, dict)
        and "EventType" in record
        and ("CurrentAgentSnapshot" in record or "AgentARN" in record)
    )


def record_events(
    record: Any,
    *,
    state_names: Mapping[str, Any] | None = None,
    hash_customer: Callable[[str], str] | None = None,
) -> Mapped:
    """The ingest events of one record, a contact record or an agent event (told apart by their shape);
    raises ``RecordError`` naming what is missing or wrong."""
    if not isinstance(record, dict):
        raise RecordError("record", f"must be a JSON object, not {type(record).__name__}")
    if is_agent_event(record):
        return agent_event_events(record, state_names=state_names)
    if "ContactId" in record:
        return ctr_events(record, hash_customer=hash_customer)
    raise RecordError(
        "record",
        "neither a contact record (no ContactId) nor an agent event (no EventType with CurrentAgentSnapshot)",
    )


def ctr_events(record: Mapping[str, Any], *, hash_customer: Callable[[str], str] | None = None) -> Mapped:
    """The ingest events of one contact record; see the module docstring."""
    version = record.get("AWSContactTraceRecordFormatVersion")
    if version is not None and version not in CTR_VERSIONS:
        return Mapped("ctr", skipped=f"unknown contact record version {str(version)[:40]!r}", unknown=True)
    contact = _id(record, "ContactId")
    kind = _text(record, "Channel").upper()
    method = _text(record, "InitiationMethod").upper()
    queue = _object(record, "Queue")
    agent = _object(record, "Agent")
    if kind not in CHANNELS:
        raise RecordError("Channel", f"{kind[:40]!r} is not a Connect channel (VOICE, CHAT, TASK, EMAIL)")
    if method == "OUTBOUND":
        return Mapped("ctr", skipped="an outbound contact: not offered to a queue")
    offered_at = _time(queue, "EnqueueTimestamp", "Queue.")
    if not queue or offered_at is None:
        return Mapped("ctr", skipped="no queue: the contact was never put in a queue")
    queue_name = _text(queue, "Name", "Queue.") or _text(queue, "ARN", "Queue.").rpartition("/")[2]
    if not queue_name:
        raise RecordError("Queue.Name", "is required for a queued contact")
    tag = revision(_time(record, "LastUpdateTimestamp"))
    disconnected = _time(record, "DisconnectTimestamp")

    def event(name: str, at: datetime, **extra) -> dict:
        return {"id": f"{contact}:{name.split('.')[1]}@{tag}", "type": name, "at": at.isoformat(),
                "contact_id": contact, **extra}  # fmt: skip

    offer = event("contact.offered", offered_at, queue=queue_name[:MAX_NAME], channel=CHANNELS[kind])
    endpoint = _object(record, "CustomerEndpoint")
    address = _text(endpoint, "Address", "CustomerEndpoint.")
    if (
        hash_customer is not None
        and address.lower() not in NO_CALLER
        and _text(endpoint, "Type", "CustomerEndpoint.").upper() in CUSTOMER_ENDPOINT_TYPES
        and not _text(record, "PreviousContactId")
    ):
        offer["customer_ref"] = hash_customer(address)
    events = [offer]
    answered_at = _time(agent, "ConnectedToAgentTimestamp", "Agent.")
    if answered_at is None:
        gone = _time(queue, "DequeueTimestamp", "Queue.") or disconnected
        if gone is not None:
            events.append(event("contact.abandoned", max(gone, offered_at)))
        return Mapped("ctr", events)
    login = _text(agent, "Username", "Agent.") or _text(agent, "ARN", "Agent.").rpartition("/")[2]
    if not login:
        raise RecordError("Agent.Username", "is required for a contact connected to an agent")
    events.append(event("contact.answered", answered_at, agent=login[:MAX_NAME]))
    target = ""
    if _text(record, "NextContactId"):
        target = f"next contact {_text(record, 'NextContactId')}"
    elif _object(record, "TransferredToEndpoint"):
        target = "external " + (_text(_object(record, "TransferredToEndpoint"), "Type") or "endpoint").lower()
    if target and disconnected is not None:
        moved = _time(record, "TransferCompletedTimestamp") or disconnected
        # Not after the disconnect: a transfer after the end of the talk would be one the fold no longer counts.
        moved = min(max(moved, answered_at), max(disconnected, answered_at))
        events.append(event("contact.transferred", moved, to_agent=target[:MAX_NAME]))
    if disconnected is not None:
        ended = {"talk_s": _seconds(agent, "AgentInteractionDuration", "Agent."),
                 "hold_s": _seconds(agent, "CustomerHoldDuration", "Agent.")}  # fmt: skip
        events.append(event("contact.ended", max(disconnected, answered_at),
                            **{k: v for k, v in ended.items() if v is not None}))  # fmt: skip
        acw = _seconds(agent, "AfterContactWorkDuration", "Agent.")
        acw_end = _time(agent, "AfterContactWorkEndTimestamp", "Agent.")
        if acw is not None or acw_end is not None:
            if acw_end is None:
                start = _time(agent, "AfterContactWorkStartTimestamp", "Agent.") or disconnected
                acw_end = datetime.fromtimestamp(start.timestamp() + acw, UTC)
            wrapup = event("contact.wrapup_ended", max(acw_end, disconnected))
            if acw is not None:
                wrapup["acw_s"] = acw
            events.append(wrapup)
    return Mapped("ctr", events)


def status_state(status: Mapping[str, Any], state_names: Mapping[str, Any] | None) -> tuple[str, str]:
    """(state, reason) of an agent status: the source's state names (exact, then in any case), else by its
    type (ROUTABLE → available, OFFLINE → logged_out, CUSTOM → paused), else by its name (Available,
    Offline), else paused; a pause carries the status name as its reason."""
    name = _text(status, "Name", "CurrentAgentSnapshot.AgentStatus.")
    names = state_names or {}
    state = names.get(name)
    if state is None:
        folded = {str(k).strip().lower(): v for k, v in names.items()}
        state = folded.get(name.lower())
    if state is None:
        kind = _text(status, "Type", "CurrentAgentSnapshot.AgentStatus.").upper()
        state = STATUS_TYPES.get(kind) or DEFAULT_STATUS_NAMES.get(name.lower(), "paused")
    if state not in AGENT_STATES:
        raise RecordError(
            "CurrentAgentSnapshot.AgentStatus.Name",
            f"the source's state names map {name!r} to {state!r}, which is not an agent state "
            f"(one of {', '.join(AGENT_STATES)}): correct them in the admin (event sources)",
        )
    return state, (name[:MAX_NAME] if state == "paused" else "")


def agent_event_events(record: Mapping[str, Any], *, state_names: Mapping[str, Any] | None = None) -> Mapped:
    """The ingest events of one agent event stream record; see the module docstring."""
    version = record.get("Version")
    if version is not None and version not in AGENT_EVENT_VERSIONS:
        return Mapped("agent_event", skipped=f"unknown agent event version {str(version)[:40]!r}", unknown=True)
    kind = _text(record, "EventType").upper()
    if kind == "HEART_BEAT":
        return Mapped("agent_event", skipped="HEART_BEAT repeats the agent's state")
    if kind not in ("LOGIN", "LOGOUT", "STATE_CHANGE"):
        return Mapped("agent_event", skipped=f"unknown agent event type {kind[:40]!r}", unknown=True)
    at = _time(record, "EventTimestamp")
    if at is None:
        raise RecordError("EventTimestamp", "is required")
    snapshot = _object(record, "CurrentAgentSnapshot")
    configuration = _object(snapshot, "Configuration") or _object(
        _object(record, "PreviousAgentSnapshot"), "Configuration"
    )
    login = _text(configuration, "Username", "CurrentAgentSnapshot.Configuration.")
    login = login or _text(record, "AgentARN").rpartition("/")[2]
    if not login:
        raise RecordError("CurrentAgentSnapshot.Configuration.Username", "is required (or AgentARN)")
    event_id = _text(record, "EventId") or f"{_text(record, 'AgentARN')}:{kind}:{at.isoformat()}"
    if kind == "LOGOUT":
        state, reason = "logged_out", ""
    else:
        contacts = snapshot.get("Contacts") or []
        if not isinstance(contacts, list):
            raise RecordError("CurrentAgentSnapshot.Contacts", "must be a JSON array")
        states = {str(c.get("State", "")).upper() for c in contacts if isinstance(c, dict)}
        if states & CONNECTED_STATES:
            state, reason = "on_contact", ""
        elif states & ACW_STATES:
            state, reason = "acw", ""
        else:
            state, reason = status_state(_object(snapshot, "AgentStatus"), state_names)
    event = {"id": f"{event_id[:180]}:state", "type": "agent.state", "at": at.isoformat(),
             "agent": login[:MAX_NAME], "state": state}  # fmt: skip
    if reason:
        event["reason"] = reason
    return Mapped("agent_event", [event])


# --- files as Firehose writes them to S3 ---------------------------------------------------------------


@dataclass
class Reading:
    """What reading records yielded besides the records."""

    records: int = 0
    malformed: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    malformed_count: int = 0

    def bad(self, where: str, reason: str, limit: int = 1000) -> None:
        self.malformed_count += 1
        if len(self.malformed) < limit:
            self.malformed.append((where, reason))


_DECODER = json.JSONDecoder()
_BLANK = " \t\r\n"


def split_records(text: str, *, name: str, reading: Reading) -> Iterator[tuple[str, Any]]:
    """(where, record) for each JSON value in ``text``: one per line, a JSON array of them, or values
    written back to back with no separator (Firehose's default in S3). ``where`` names the file, the
    record's number and its line. A value that is not JSON is reported in ``reading`` and the reading goes
    on from the next line (or the next ``}{``); a file that ends inside a value is reported as truncated.
    """
    position, line, number, size = 0, 1, 0, len(text)
    in_array = False

    def skip(pos: int) -> int:
        while pos < size and text[pos] in _BLANK:
            pos += 1
        return pos

    start = skip(0)
    if start < size and text[start] == "[":
        in_array, position = True, start + 1
    while True:
        begin = skip(position)
        line += text.count("\n", position, begin)
        if begin >= size:
            if in_array:
                reading.bad(f"{name}: after record {number}", "the file ends inside its JSON array (truncated?)")
            return
        if in_array and text[begin] == "]":
            if skip(begin + 1) < size:
                reading.bad(f"{name}: line {line}", "text after the end of the JSON array")
            return
        number += 1
        reading.records += 1
        where = f"{name}: record {number} (line {line})"
        try:
            value, end = _DECODER.raw_decode(text, begin)
        except (json.JSONDecodeError, RecursionError) as error:
            at = getattr(error, "pos", begin)
            if at >= len(text.rstrip(_BLANK)) or "Unterminated string" in str(error) and "\n" not in text[begin:]:
                reading.bad(where, "the file ends inside this record (truncated?); the records before it are kept")
                return
            reading.bad(
                where, f"not JSON: {getattr(error, 'msg', error)} (line {line + text.count(chr(10), begin, at)})"
            )
            newline = text.find("\n", begin)
            glued = text.find("}{", begin)
            candidates = [p + 1 for p in (newline, glued) if p >= 0]
            if not candidates:
                return
            resume = min(candidates)
            line += text.count("\n", begin, resume)
            position = resume
            continue
        yield where, value
        line += text.count("\n", begin, end)
        position = end
        if in_array:
            after = skip(position)
            line += text.count("\n", position, after)
            if after < size and text[after] == ",":
                position = after + 1
            elif after < size and text[after] != "]":
                reading.bad(f"{name}: line {line}", "records of a JSON array must be separated by commas")
                position = after
            else:
                position = after
