"""Mapping of Twilio TaskRouter's event callbacks (Twilio Flex, or TaskRouter on its own) into KCC Live's
ingest events. Pure: no database, no settings; the callback service (``dashboard.ingest.twilio_callbacks``)
checks the signature and feeds what this returns through the one ingest service.

The format (Twilio's "TaskRouter Events reference"): TaskRouter POSTs one event per request to the
Workspace's Event Callback URL, ``application/x-www-form-urlencoded``. Every callback has ``EventType``,
``Sid`` (the event's own sid, ``EV…``), ``AccountSid``, ``WorkspaceSid``, ``ResourceType``, ``ResourceSid``,
``EventDescription``, ``Timestamp`` (epoch seconds; newer callbacks add ``TimestampMs``). Task events add
``TaskSid``, ``TaskAttributes`` (a JSON string), ``TaskAge``, ``TaskPriority``, ``TaskAssignmentStatus``,
``TaskCanceledReason``, ``TaskCompletedReason``, ``TaskChannelUniqueName``, ``TaskDateCreated``, and once the
task is in a queue ``TaskQueueSid``, ``TaskQueueName``, ``TaskQueueEnteredDate`` (epoch seconds). Worker
and reservation events add ``WorkerSid``, ``WorkerName``, ``WorkerActivityName`` (and on an activity change
``WorkerPreviousActivityName``, ``WorkerTimeInPreviousActivity``), ``ReservationSid``. Transfers add
``TransferType`` (``WORKER`` / ``QUEUE``), ``TransferTo`` (the target's sid), ``TransferMode``.

What is mapped (contact id: the ``TaskSid``; event ids: the callback's ``Sid`` and the kind, so that
Twilio's retries of one callback are duplicates):

* The offer. ``task.created`` carries no queue (its queue is chosen by the workflow right after), so the
  offer comes from the first callback that names the task's queue: ``task-queue.entered`` (subscribe to
  it), and, should that one be missing, ``task.created``, ``reservation.*`` and ``task.*`` callbacks that
  carry ``TaskQueueName``. Each gives ``contact.offered`` to ``TaskQueueName`` at ``TaskQueueEnteredDate``
  with one id per (task, queue, time entered), so the copies are duplicates. A task that moves to another
  queue (a transfer to a queue, a workflow step) is offered to that queue: the contact moves there, as a
  transfer out of the first. The channel comes from the task channel (``TaskChannelUniqueName``; Flex
  Conversations' ``channelType`` attribute first), the customer reference from the caller (``from`` in the
  task attributes; ``outbound_to`` / ``to`` for outbound calls) through the keyed hash, never in clear.
* ``reservation.accepted`` → ``contact.answered`` by ``WorkerName``; on a voice or video task also
  ``agent.state`` on_contact.
* ``task.canceled`` (the caller hung up, the task timed out or left the workflow unassigned) →
  ``contact.abandoned``.
* ``task.wrapup`` → ``contact.ended``: talk is the time from answer to wrap-up.
* ``task.completed`` → ``contact.ended`` (a task completed without wrap-up ends here; after a wrap-up the
  earlier end stands) and ``contact.wrapup_ended``: after-call work is the time from wrap-up to completion.
* ``reservation.wrapup`` on a voice or video task → ``agent.state`` acw; ``reservation.completed`` →
  ``agent.state`` of the worker's activity (below).
* ``task.transfer-initiated`` to a worker (``TransferType`` WORKER) → ``contact.transferred`` with
  ``to_agent`` = the worker's sid (TaskRouter names no worker in it); to a queue: nothing here, the task's
  entry into the new queue moves the contact (above).
* ``worker.activity.update`` → ``agent.state`` from ``WorkerActivityName``: the source's state names first
  (``{"Break": "paused", …}``, any case), else ``Available`` → available, ``Offline`` → logged_out, and
  any other activity → paused with the activity's name as the reason.

Not mapped (a counted skip, answered 200 so Twilio does not retry): the other reservation events
(created, rejected, timeout, canceled, rescinded, failed), ``task.updated``, ``task.deleted``,
``task.system-deleted``, the other transfer events, ``task-queue.moved`` / ``timeout`` (the next callback
names the new queue), workflow, workspace, activity, task-channel and task-queue housekeeping events, and
the worker's attribute, capacity and channel events. Event types this module does not know are skipped
and counted apart. A task in a channel KCC Live has no name for (a custom TaskRouter channel, ``default``
without a call) is not offered; that is skipped with the channel's name as the reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OFFER_SOURCES = frozenset(
    {
        "task-queue.entered",
        "task.created",
        "task.canceled",
        "task.wrapup",
        "task.completed",
        "task.transfer-initiated",
        "reservation.accepted",
        "reservation.wrapup",
        "reservation.completed",
    }
)
MAPPED = frozenset(OFFER_SOURCES | {"worker.activity.update"})
NOT_MAPPED = frozenset(
    {
        "reservation.created",
        "reservation.rejected",
        "reservation.timeout",
        "reservation.canceled",
        "reservation.rescinded",
        "reservation.failed",
        "task.updated",
        "task.deleted",
        "task.system-deleted",
        "task.transfer-attempt-failed",
        "task.transfer-failed",
        "task.transfer-canceled",
        "task.transfer-completed",
        "task-queue.created",
        "task-queue.deleted",
        "task-queue.timeout",
        "task-queue.moved",
        "task-queue.expression.updated",
        "task-channel.created",
        "task-channel.updated",
        "task-channel.deleted",
        "activity.created",
        "activity.updated",
        "activity.deleted",
        "worker.created",
        "worker.deleted",
        "worker.attributes.update",
        "worker.capacity.update",
        "worker.channel.availability.update",
        "workflow.created",
        "workflow.updated",
        "workflow.deleted",
        "workflow.target-matched",
        "workflow.entered",
        "workflow.timeout",
        "workflow.skipped",
        "workspace.created",
        "workspace.updated",
        "workspace.deleted",
    }
)

# TaskRouter's task channel unique names and Flex Conversations' ``channelType`` attribute → our channels.
CHANNELS = {
    "voice": "voice",
    "video": "video",
    "chat": "chat",
    "web": "chat",
    "webchat": "chat",
    "gbm": "chat",
    "sms": "sms",
    "whatsapp": "whatsapp",
    "messenger": "social",
    "facebook": "social",
    "instagram": "social",
    "email": "email",
    "callback": "callback",
}
# Channels where one agent has one task at a time (Flex's default capacity): there the reservation's
# accept, wrap-up and completion say what the agent is doing.
SINGLE_TASK_CHANNELS = frozenset({"voice", "video"})
AGENT_STATES = ("logged_out", "available", "on_contact", "acw", "paused")
DEFAULT_STATE_NAMES = {"available": "available", "offline": "logged_out"}
NO_CALLER = frozenset({"", "anonymous", "unknown", "restricted", "private", "client:anonymous"})


class CallbackError(ValueError):
    """A callback that lacks what its event type needs, or carries a value that is not what Twilio sends."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass
class Mapped:
    """What one callback gives: its ingest events, or why it gives none (``skipped``, ``unknown``)."""

    event_type: str
    events: list[dict] = field(default_factory=list)
    skipped: str = ""  # the reason no event came of a callback of a known type
    unknown: bool = False  # an event type this module does not know


def _text(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return value.strip() if isinstance(value, str) else ""


def _required(params: Mapping[str, Any], name: str, event_type: str) -> str:
    value = _text(params, name)
    if not value:
        raise CallbackError(name, f"is required for {event_type}")
    return value


def _epoch(value: str, name: str) -> datetime:
    """A moment from epoch seconds or milliseconds (both appear in TaskRouter's callbacks), or ISO 8601."""
    try:
        number = float(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        except ValueError:
            raise CallbackError(name, f"{value[:40]!r} is not a time (epoch seconds)") from None
        if moment.tzinfo is None:
            raise CallbackError(name, f"{value[:40]!r} has no UTC offset")
        return moment.astimezone(UTC)
    if not math.isfinite(number) or number <= 0:
        raise CallbackError(name, f"{value[:40]!r} is not a time (epoch seconds)")
    if number > 1e11:  # milliseconds: 1e11 seconds lie in the year 5138
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        raise CallbackError(name, f"{value[:40]!r} is not a time (epoch seconds)") from None


def event_time(params: Mapping[str, Any], event_type: str) -> datetime:
    """When the event happened: ``TimestampMs`` when given (newer callbacks), else ``Timestamp``."""
    if _text(params, "TimestampMs"):
        return _epoch(_text(params, "TimestampMs"), "TimestampMs")
    return _epoch(_required(params, "Timestamp", event_type), "Timestamp")


def attributes(params: Mapping[str, Any]) -> dict:
    """The task's attributes (a JSON object in a string); empty when absent or not a JSON object: they
    only add the channel type and the caller, never decide whether a callback is mapped."""
    text = _text(params, "TaskAttributes")
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def channel(params: Mapping[str, Any], attrs: dict) -> str | None:
    """Our channel of the task: Flex Conversations' ``channelType`` attribute, else the task channel's
    unique name; ``default`` is voice when the task carries a call. None when neither names a channel."""
    kind = attrs.get("channelType")
    if isinstance(kind, str) and kind.strip().lower() in CHANNELS:
        return CHANNELS[kind.strip().lower()]
    name = _text(params, "TaskChannelUniqueName").lower()
    if name in CHANNELS:
        return CHANNELS[name]
    if name in ("default", "") and isinstance(attrs.get("call_sid"), str) and attrs["call_sid"]:
        return "voice"
    return None


def caller(attrs: dict) -> str:
    """The customer's address in the task's attributes: ``from`` (or ``caller``); on an outbound call the
    number called (``outbound_to``, ``to``). Empty for an anonymous or withheld caller and for a web chat."""
    if str(attrs.get("channelType", "")).lower() in ("web", "webchat"):
        return ""  # a web chat's ``from`` is the name the visitor typed (Flex's default: "Customer"), not an address
    names = ("outbound_to", "to") if str(attrs.get("direction", "")).lower() == "outbound" else ("from", "caller")
    for name in names:
        value = attrs.get(name)
        if isinstance(value, str) and value.strip().lower() not in NO_CALLER:
            return value.strip()
    return ""


def agent_state(activity: str, state_names: Mapping[str, Any] | None) -> tuple[str, str]:
    """(state, reason) of a worker's activity: the source's state names (exact, then in any case), else
    Available → available, Offline → logged_out, any other → paused with the activity as the reason."""
    names = state_names or {}
    state = names.get(activity)
    if state is None:
        folded = {str(k).strip().lower(): v for k, v in names.items()}
        state = folded.get(activity.lower(), DEFAULT_STATE_NAMES.get(activity.lower(), "paused"))
    if state not in AGENT_STATES:
        raise CallbackError(
            "WorkerActivityName",
            f"the source's state names map {activity!r} to {state!r}, which is not an agent state "
            f"(one of {', '.join(AGENT_STATES)}): correct them in the admin (event sources)",
        )
    return state, (activity[:100] if state == "paused" else "")


def _offer(params: Mapping[str, Any], task: str, attrs: dict, at: datetime, event_type: str, hash_customer):
    """The task's offer to the queue the callback names, or None when it names none."""
    queue = _text(params, "TaskQueueName")
    if not queue:
        return None
    entered = _text(params, "TaskQueueEnteredDate")
    if entered:
        offered_at = _epoch(entered, "TaskQueueEnteredDate")
    elif event_type in ("task-queue.entered", "task.created"):
        offered_at = at
    elif _text(params, "TaskDateCreated"):
        offered_at = _epoch(_text(params, "TaskDateCreated"), "TaskDateCreated")
    else:
        return None  # a later callback without the time it entered the queue: the offer's own callback has it
    kind = channel(params, attrs)
    if kind is None:
        return None
    event = {
        "id": f"{task}:offered:{_text(params, 'TaskQueueSid') or queue}:{int(offered_at.timestamp())}",
        "type": "contact.offered",
        "at": offered_at.isoformat(),
        "contact_id": task,
        "queue": queue,
        "channel": kind,
    }
    who = caller(attrs)
    if who and hash_customer is not None:
        event["customer_ref"] = hash_customer(who)
    return event


def callback_events(
    params: Mapping[str, Any],
    *,
    state_names: Mapping[str, Any] | None = None,
    hash_customer: Callable[[str], str] | None = None,
) -> Mapped:
    """The ingest events of one TaskRouter event callback (its form parameters, one value each); see the
    module docstring. Raises ``CallbackError`` naming the parameter that is missing or wrong."""
    event_type = _text(params, "EventType")
    if not event_type:
        raise CallbackError("EventType", "is required: not a TaskRouter event callback")
    if event_type not in MAPPED:
        if event_type in NOT_MAPPED:
            return Mapped(event_type, skipped=f"{event_type} is not mapped")
        return Mapped(event_type, skipped=f"unknown event type {event_type[:60]!r}", unknown=True)
    at = event_time(params, event_type)
    when = at.isoformat()
    sid = _text(params, "Sid") or (
        f"{event_type}:{_text(params, 'ResourceSid') or _text(params, 'TaskSid') or _text(params, 'WorkerSid')}:"
        f"{_text(params, 'TimestampMs') or _text(params, 'Timestamp')}"
    )

    if event_type == "worker.activity.update":
        worker = _required(params, "WorkerName", event_type)
        state, reason = agent_state(_required(params, "WorkerActivityName", event_type), state_names)
        event = {"id": f"{sid}:state", "type": "agent.state", "at": when, "agent": worker, "state": state}
        if reason:
            event["reason"] = reason
        return Mapped(event_type, [event])

    task = _required(params, "TaskSid", event_type)
    attrs = attributes(params)
    events: list[dict] = []
    offer = _offer(params, task, attrs, at, event_type, hash_customer)
    if offer is not None:
        events.append(offer)

    def contact(kind: str, **extra) -> None:
        events.append({"id": f"{sid}:{kind.split('.')[1]}", "type": kind, "at": when, "contact_id": task, **extra})

    def worker_state(state: str, reason: str = "") -> None:
        event = {"id": f"{sid}:state", "type": "agent.state", "at": when,
                 "agent": _required(params, "WorkerName", event_type), "state": state}  # fmt: skip
        if reason:
            event["reason"] = reason
        events.append(event)

    single_task = channel(params, attrs) in SINGLE_TASK_CHANNELS
    if event_type == "reservation.accepted":
        contact("contact.answered", agent=_required(params, "WorkerName", event_type))
        if single_task:
            worker_state("on_contact")
    elif event_type == "reservation.wrapup":
        if single_task:
            worker_state("acw")
    elif event_type == "reservation.completed":
        if _text(params, "WorkerActivityName"):
            worker_state(*agent_state(_text(params, "WorkerActivityName"), state_names))
    elif event_type == "task.canceled":
        contact("contact.abandoned")
    elif event_type == "task.wrapup":
        contact("contact.ended")
    elif event_type == "task.completed":
        contact("contact.ended")
        contact("contact.wrapup_ended")
    elif event_type == "task.transfer-initiated":
        if _text(params, "TransferType").upper() == "WORKER" and _text(params, "TransferTo"):
            contact("contact.transferred", to_agent=_text(params, "TransferTo")[:100])
    if not events:
        if _text(params, "TaskQueueName") and channel(params, attrs) is None:
            name = _text(params, "TaskChannelUniqueName")
            return Mapped(event_type, skipped=f"task channel {name[:60]!r} is not one KCC Live maps to a channel")
        if event_type == "task.created":
            return Mapped(
                event_type, skipped="task.created names no queue yet: the offer comes with task-queue.entered"
            )
        return Mapped(event_type, skipped=f"{event_type} gives no event here (see the mapping)")
    return Mapped(event_type, events)
