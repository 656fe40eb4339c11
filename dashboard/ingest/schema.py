"""The events KCC Live takes in, and their validation.

Validation is plain Python rather than a DRF serializer per event: a batch holds up to 5,000 events and
must be checked in milliseconds. Each event is judged on its own; a rejection names the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dashboard.core.errors import FieldError
from dashboard.core.models import AgentState, Channel

MAX_BATCH = 5000
MAX_ID_LENGTH = 200
MAX_NAME_LENGTH = 100
MAX_TEXT_LENGTH = 200

CONTACT_TYPES = (
    "contact.offered",
    "contact.answered",
    "contact.abandoned",
    "contact.transferred",
    "contact.ended",
    "contact.wrapup_ended",
    "callback.requested",
    "callback.completed",
)
AGENT_TYPES = ("agent.state",)
EVENT_TYPES = CONTACT_TYPES + AGENT_TYPES

# Order of events of one contact that carry the same timestamp: the natural order of a contact's life.
TYPE_RANK = {t: i for i, t in enumerate(CONTACT_TYPES)}
TYPE_RANK["contact.abandoned"] = TYPE_RANK["contact.answered"]  # one or the other, never both

CHANNELS = frozenset(Channel.values)
AGENT_STATES = frozenset(AgentState.values)

# Fields per type: (name, kind, required). Kinds: str (non-empty text), text (optional text),
# channel, state, seconds (non-negative number), datetime (ISO-8601 with offset).
FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "contact.offered": (
        ("contact_id", "id", True),
        ("queue", "name", True),
        ("channel", "channel", True),
        ("customer_ref", "text", False),
        ("reason", "text", False),
    ),
    "contact.answered": (("contact_id", "id", True), ("agent", "name", True)),
    "contact.abandoned": (("contact_id", "id", True),),
    "contact.transferred": (("contact_id", "id", True), ("to_queue", "name", False), ("to_agent", "name", False)),
    "contact.ended": (("contact_id", "id", True), ("talk_s", "seconds", False), ("hold_s", "seconds", False)),
    "contact.wrapup_ended": (
        ("contact_id", "id", True),
        ("disposition", "text", False),
        ("reason", "text", False),
        ("acw_s", "seconds", False),
    ),
    "callback.requested": (("contact_id", "id", True), ("promised_by", "datetime", True)),
    "callback.completed": (("contact_id", "id", True),),
    "agent.state": (("agent", "name", True), ("state", "state", True), ("reason", "text", False)),
}


@dataclass(frozen=True, slots=True)
class ValidEvent:
    event_id: str
    type: str
    at: datetime
    contact_id: str | None
    agent: str | None
    payload: dict[str, Any]


def parse_datetime(value: Any, field: str) -> datetime:
    """An aware datetime from an ISO-8601 string with a UTC offset (``Z`` allowed)."""
    if not isinstance(value, str) or not value:
        raise FieldError(field, "must be an ISO-8601 date-time string with a UTC offset")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"{value!r} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FieldError(field, f"{value!r} has no UTC offset (write e.g. 2026-11-26T09:30:00+01:00)")
    return parsed


def _check(kind: str, name: str, value: Any) -> Any:
    if kind in ("id", "name", "text"):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise FieldError(name, "must be a string")
        value = str(value).strip()
        limit = {"id": MAX_ID_LENGTH, "name": MAX_NAME_LENGTH, "text": MAX_TEXT_LENGTH}[kind]
        if kind != "text" and not value:
            raise FieldError(name, "must not be empty")
        if len(value) > limit:
            raise FieldError(name, f"is longer than {limit} characters")
        return value
    if kind == "channel":
        if value not in CHANNELS:
            raise FieldError(name, f"{value!r} is not a channel; one of {', '.join(sorted(CHANNELS))}")
        return value
    if kind == "state":
        if value not in AGENT_STATES:
            raise FieldError(name, f"{value!r} is not an agent state; one of {', '.join(sorted(AGENT_STATES))}")
        return value
    if kind == "seconds":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise FieldError(name, "must be a number of seconds")
        if value < 0:
            raise FieldError(name, "must not be negative")
        return float(value)
    if kind == "datetime":
        parse_datetime(value, name)
        return value
    raise AssertionError(kind)


def validate_event(raw: Any) -> ValidEvent:
    """Check one raw event; raises FieldError naming the first wrong field."""
    if not isinstance(raw, dict):
        raise FieldError("event", "must be a JSON object")
    event_id = raw.get("id")
    if event_id is None:
        raise FieldError("id", "is required")
    event_id = _check("id", "id", event_id)
    event_type = raw.get("type")
    if event_type not in FIELDS:
        if event_type is None:
            raise FieldError("type", "is required")
        raise FieldError("type", f"{event_type!r} is not an event type; one of {', '.join(EVENT_TYPES)}")
    if "at" not in raw:
        raise FieldError("at", "is required")
    at = parse_datetime(raw["at"], "at")
    payload: dict[str, Any] = {}
    for name, kind, required in FIELDS[event_type]:
        value = raw.get(name)
        if value is None or (kind == "text" and value == ""):
            if required:
                raise FieldError(name, f"is required for {event_type}")
            continue
        payload[name] = _check(kind, name, value)
    if event_type == "contact.transferred" and not ("to_queue" in payload or "to_agent" in payload):
        raise FieldError("to_queue", "contact.transferred needs to_queue or to_agent")
    return ValidEvent(
        event_id=event_id,
        type=event_type,
        at=at,
        contact_id=payload.get("contact_id"),
        agent=payload.get("agent"),
        payload=payload,
    )
