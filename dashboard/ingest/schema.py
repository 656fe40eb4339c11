"""The events KCC Live takes in, and their validation.

Validation is plain Python rather than a DRF serializer per event: a batch holds up to 5,000 events and
must be checked in milliseconds. Each event is judged on its own; a rejection names the field.

An accepted event must never break a later step (the log, the fold, the live state in Redis, the interval
aggregation, the reports), so validation refuses every value those cannot carry: text with NUL characters
or unpaired surrogates, text longer than its column, times outside a window around the present (see
``Limits``), offsets PostgreSQL does not take, durations beyond a week, non-finite numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import timezone

from dashboard.core.errors import FieldError
from dashboard.core.models import AgentState, Channel

MAX_BATCH = 5000
# A file importer's batches (``events_ingest(bulk_import=True)``): larger, for fewer transactions and fewer
# contacts whose events a batch boundary splits; in-process, so no request body limits them.
MAX_IMPORT_BATCH = 20_000
MAX_ID_LENGTH = 200
MAX_NAME_LENGTH = 100
MAX_TEXT_LENGTH = 200
# PostgreSQL's timestamptz takes UTC offsets up to 15:59 either way.
MAX_OFFSET = timedelta(hours=15, minutes=59)
_MINUTE = timedelta(minutes=1)

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

# Fields per type: (name, kind, required). Kinds: id (non-empty, 200 characters), name (non-empty, 100),
# text (optional, 200), short (optional, 100: an agent state's reason), channel, state, seconds
# (non-negative number, at most Limits.max_duration_s), promise (ISO-8601 with offset, within the window).
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
    "callback.requested": (("contact_id", "id", True), ("promised_by", "promise", True)),
    "callback.completed": (("contact_id", "id", True),),
    "agent.state": (("agent", "name", True), ("state", "state", True), ("reason", "short", False)),
}


class ValidEvent(NamedTuple):
    """An event that passed validation (a named tuple: made hundreds of thousands of times by an import)."""

    event_id: str
    type: str
    at: datetime
    contact_id: str | None
    agent: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Limits:
    """The window of time and the bounds an event must keep to (from the settings, see kcc/settings.py)."""

    now: datetime
    earliest: datetime  # ``at`` and ``promised_by`` not before this
    latest: datetime  # ``at`` not after this
    promise_latest: datetime  # ``promised_by`` not after this
    max_duration_s: float
    history_days: int

    @classmethod
    def at(cls, now: datetime | None = None, *, history_days: int | None = None) -> Limits:
        """The limits around ``now`` (default: the present); ``history_days`` (a source's own) widens
        how far back events may lie."""
        now = (now or timezone.now()).astimezone(UTC)
        days = max(settings.KCC_EVENT_MAX_AGE_DAYS, history_days or 0)
        return cls(
            now=now,
            earliest=now - timedelta(days=days),
            latest=now + timedelta(days=settings.KCC_EVENT_MAX_AHEAD_DAYS),
            promise_latest=now + timedelta(days=settings.KCC_PROMISE_MAX_AHEAD_DAYS),
            max_duration_s=settings.KCC_EVENT_MAX_DURATION_S,
            history_days=days,
        )


def _show(value: Any, limit: int = 60) -> str:
    """A value as it may appear in a message: its repr, cut short (a datetime as its ISO-8601 text's)."""
    text = repr(value.isoformat() if isinstance(value, datetime) else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _storable(value: str, field: str) -> str:
    """``value`` unless the database cannot store it (NUL characters, unpaired surrogates)."""
    if "\x00" in value:
        raise FieldError(field, "contains a NUL character (\\u0000), which cannot be stored")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise FieldError(field, "contains an unpaired surrogate: not valid Unicode text") from None
    return value


def parse_datetime(value: Any, field: str) -> datetime:
    """An aware datetime from an ISO-8601 string with a UTC offset (``Z`` allowed) that PostgreSQL can
    store: an offset of whole minutes up to ±15:59, and a UTC time within years 1–9999."""
    if not isinstance(value, str) or not value:
        raise FieldError(field, "must be an ISO-8601 date-time string with a UTC offset")
    _storable(value, field)
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"{_show(value)} is not an ISO-8601 date-time") from None
    return _storable_moment(parsed, value, field)


def _storable_moment(parsed: datetime, value: Any, field: str) -> datetime:
    """``parsed`` (read from ``value``) unless PostgreSQL cannot store it (see ``parse_datetime``)."""
    offset = parsed.utcoffset()
    if parsed.tzinfo is None or offset is None:
        raise FieldError(field, f"{_show(value)} has no UTC offset (write e.g. 2026-11-26T09:30:00+01:00)")
    if abs(offset) > MAX_OFFSET or offset % _MINUTE:
        raise FieldError(field, f"{_show(value)} has a UTC offset outside -15:59 … +15:59 (whole minutes)")
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise FieldError(field, f"{_show(value)} lies outside the years 1–9999 in UTC") from None
    return parsed


def _within(value: datetime, field: str, earliest: datetime, latest: datetime, limits: Limits, ahead: int) -> datetime:
    moment = value.astimezone(UTC)
    if moment < earliest:
        raise FieldError(
            field,
            f"{value.isoformat()} is more than {limits.history_days} days before now "
            f"({limits.now:%Y-%m-%d %H:%M} UTC); an import of older history needs a source whose "
            "history days reach that far (admin: event sources)",
        )
    if moment > latest:
        raise FieldError(
            field, f"{value.isoformat()} is more than {ahead} day(s) after now ({limits.now:%Y-%m-%d %H:%M} UTC)"
        )
    return moment


_TEXT_LIMITS = {"id": MAX_ID_LENGTH, "name": MAX_NAME_LENGTH, "text": MAX_TEXT_LENGTH, "short": MAX_NAME_LENGTH}


def _plain_text(value: Any, limit: int, required: bool) -> str | None:
    """The common case of ``_check``'s text kinds, without its conversions: a plain ASCII string without NUL
    that fits, stripped; None for anything else (``_check`` then decides, and says what is wrong)."""
    if value.__class__ is not str or not value.isascii() or "\x00" in value:
        return None
    value = value.strip()
    if len(value) > limit or (required and not value):
        return None
    return value


def _check(kind: str, name: str, value: Any, limits: Limits) -> Any:
    limit = _TEXT_LIMITS.get(kind)
    if limit is not None:
        if value.__class__ is not str:  # the common case (a plain string) skips the conversions
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise FieldError(name, "must be a string")
            try:
                value = str(value)
            except ValueError as error:  # an integer of thousands of digits
                raise FieldError(name, f"is longer than {MAX_ID_LENGTH} characters") from error
        value = _storable(value, name).strip()
        if not value and kind in ("id", "name"):
            raise FieldError(name, "must not be empty")
        if len(value) > limit:
            raise FieldError(name, f"is longer than {limit} characters")
        return value
    if kind == "channel":
        if not isinstance(value, str) or value not in CHANNELS:
            raise FieldError(name, f"{_show(value)} is not a channel; one of {', '.join(sorted(CHANNELS))}")
        return value
    if kind == "state":
        if not isinstance(value, str) or value not in AGENT_STATES:
            raise FieldError(name, f"{_show(value)} is not an agent state; one of {', '.join(sorted(AGENT_STATES))}")
        return value
    if kind == "seconds":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError(name, "must be a number of seconds")
        if isinstance(value, float) and not math.isfinite(value):
            raise FieldError(name, f"{_show(value)} is not a finite number of seconds")
        if value < 0:
            raise FieldError(name, "must not be negative")
        if value > limits.max_duration_s:
            raise FieldError(name, f"{_show(value)} s is more than the {limits.max_duration_s:g} s a duration may last")
        return float(value)
    if kind == "promise":
        promised = parse_datetime(value, name)
        _within(promised, name, limits.earliest, limits.promise_latest, limits, settings.KCC_PROMISE_MAX_AHEAD_DAYS)
        return value
    raise AssertionError(kind)


def validate_event(raw: Any, limits: Limits | None = None) -> ValidEvent:
    """Check one raw event against ``limits`` (default: those around the present); raises FieldError
    naming the first wrong field. The event's ``at`` comes back in UTC. ``at`` is an ISO-8601 string, or
    (from an importer in this process) an aware ``datetime``, which is held to the same bounds."""
    limits = limits or Limits.at()
    if not isinstance(raw, dict):
        raise FieldError("event", "must be a JSON object")
    event_id = raw.get("id")
    if event_id is None:
        raise FieldError("id", "is required")
    event_id = _plain_text(event_id, MAX_ID_LENGTH, True) or _check("id", "id", event_id, limits)
    event_type = raw.get("type")
    if not isinstance(event_type, str) or event_type not in FIELDS:
        if event_type is None:
            raise FieldError("type", "is required")
        raise FieldError("type", f"{_show(event_type)} is not an event type; one of {', '.join(EVENT_TYPES)}")
    if "at" not in raw:
        raise FieldError("at", "is required")
    raw_at = raw["at"]
    # An in-process importer may give the aware datetime it parsed itself: checked, not written out and read again.
    parsed = _storable_moment(raw_at, raw_at, "at") if raw_at.__class__ is datetime else parse_datetime(raw_at, "at")
    at = parsed.astimezone(UTC)
    if not limits.earliest <= at <= limits.latest:  # ``_within`` says why (the settings read only then)
        _within(parsed, "at", limits.earliest, limits.latest, limits, settings.KCC_EVENT_MAX_AHEAD_DAYS)
    payload: dict[str, Any] = {}
    for name, kind, required in FIELDS[event_type]:
        value = raw.get(name)
        if value is None or (kind in ("text", "short") and value == ""):
            if required:
                raise FieldError(name, f"is required for {event_type}")
            continue
        limit = _TEXT_LIMITS.get(kind)
        checked = None if limit is None else _plain_text(value, limit, kind in ("id", "name"))
        payload[name] = checked if checked is not None else _check(kind, name, value, limits)
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
