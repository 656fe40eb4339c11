"""Import of contact records (history from another system): one CSV row per contact, turned into the
events it stands for and sent through the one ingest service, so imported contacts land in the same event
log and derived tables as live ones; then the intervals they touch are aggregated again.

Idempotent on ``contact_id``: every event id is the contact id plus the event's kind, from one source
(``import``), so a row imported again is a duplicate and changes nothing. A bad row is reported with its
line number and field, and the good rows are kept. Columns: see ``IMPORT_COLUMNS`` and docs/reports.md.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from dashboard.core.audit import audit_record
from dashboard.core.errors import FieldError
from dashboard.core.models import MAX_HISTORY_DAYS, Channel, Contact, NewNames, Source
from dashboard.ingest.schema import CHANNELS, MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_TEXT_LENGTH, parse_datetime
from dashboard.ingest.services import events_ingest
from dashboard.intervals.public import intervals_after_import

IMPORT_COLUMNS = (
    "contact_id",
    "channel",
    "queue",
    "offered_at",
    "answered_at",
    "abandoned_at",
    "ended_at",
    "agent",
    "talk_s",
    "hold_s",
    "acw_s",
    "transferred_to",
    "reason",
    "customer_ref",
)
REQUIRED = ("contact_id", "channel", "queue", "offered_at")
SOURCE_NAME = "import"
IMPORT_HISTORY_DAYS = MAX_HISTORY_DAYS
ROWS_PER_BATCH = 3000  # at most 6 events a row: under the 20,000 of an import's batch (MAX_IMPORT_BATCH)
MAX_ERRORS = 1000  # errors listed in full; beyond this only counted
FIELDS_ERROR = "__fields__"


@dataclass
class ImportResult:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    first_offered: datetime | None = None
    last_offered: datetime | None = None
    reaggregated: dict[str, int] = field(default_factory=dict)

    def error(self, line: int, field_name: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "field": field_name, "error": f"line {line}, {field_name}: {message}"})

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.error_count,
            "errors": self.errors,
            "first_offered": self.first_offered.isoformat() if self.first_offered else None,
            "last_offered": self.last_offered.isoformat() if self.last_offered else None,
            "reaggregated": self.reaggregated,
        }


class ImportFileError(FieldError):
    """The file as a whole cannot be read (no header, missing columns): nothing was imported."""


def _text(row: dict, name: str, limit: int, *, required: bool = False) -> str:
    value = (row.get(name) or "").strip()
    if required and not value:
        raise FieldError(name, "must not be empty")
    if len(value) > limit:
        raise FieldError(name, f"is longer than {limit} characters")
    return value


def _time(row: dict, name: str) -> datetime | None:
    value = (row.get(name) or "").strip()
    return parse_datetime(value, name) if value else None


def _seconds(row: dict, name: str) -> float | None:
    value = (row.get(name) or "").strip()
    if not value:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise FieldError(name, f"{value!r} is not a number of seconds") from None
    if not math.isfinite(number) or number < 0:
        raise FieldError(name, f"{value!r} must be 0 or more seconds")
    if number > settings.KCC_EVENT_MAX_DURATION_S:
        raise FieldError(
            name, f"{value!r} s is more than the {settings.KCC_EVENT_MAX_DURATION_S:g} s a duration may last"
        )
    return number


def row_events(row: dict) -> tuple[list[dict], datetime]:
    """The events one contact record stands for (ids from its contact id), and its offer time.

    Raises ``FieldError`` naming the field of the first problem. Rules: a contact is answered or
    abandoned, not both; it needs an outcome (answered, abandoned or ended: one that ended unanswered is
    an abandon); times do not go back (answered and abandoned not before offered, ended not before
    answered); an answered contact names its agent; after-call work needs the end; ``transferred_to``
    (the queue or agent the contact was passed on to when this visit ended) needs an answered contact.
    """
    contact_id = _text(row, "contact_id", MAX_ID_LENGTH, required=True)
    channel = _text(row, "channel", 20, required=True).lower()
    if channel not in CHANNELS:
        raise FieldError("channel", f"{channel!r} is not a channel; one of {', '.join(Channel.values)}")
    queue = _text(row, "queue", MAX_NAME_LENGTH, required=True)
    offered = _time(row, "offered_at")
    if offered is None:
        raise FieldError("offered_at", "must not be empty (ISO-8601 with offset, e.g. 2026-11-24T09:30:00+01:00)")
    answered, abandoned, ended = _time(row, "answered_at"), _time(row, "abandoned_at"), _time(row, "ended_at")
    agent = _text(row, "agent", MAX_NAME_LENGTH)
    talk, hold, acw = _seconds(row, "talk_s"), _seconds(row, "hold_s"), _seconds(row, "acw_s")
    transferred_to = _text(row, "transferred_to", MAX_NAME_LENGTH)
    reason = _text(row, "reason", MAX_TEXT_LENGTH)
    customer_ref = _text(row, "customer_ref", MAX_TEXT_LENGTH)
    if answered and abandoned:
        raise FieldError("abandoned_at", "a contact is answered or abandoned, not both")
    if not (answered or abandoned or ended):
        raise FieldError("answered_at", "the contact has no outcome: give answered_at, abandoned_at or ended_at")
    for name, at in (("answered_at", answered), ("abandoned_at", abandoned), ("ended_at", ended)):
        if at is not None and at < offered:
            raise FieldError(name, f"{at.isoformat()} is before offered_at {offered.isoformat()}")
    if answered and ended and ended < answered:
        raise FieldError("ended_at", f"{ended.isoformat()} is before answered_at {answered.isoformat()}")
    if answered and not agent:
        raise FieldError("agent", "an answered contact names the agent who answered it")
    if acw is not None and not (answered and ended):
        raise FieldError("acw_s", "after-call work follows an answered contact's end: give answered_at and ended_at")
    if transferred_to and not answered:
        raise FieldError("transferred_to", "only an answered contact is transferred in a contact record")
    if (talk is not None or hold is not None) and not (answered and ended):
        raise FieldError("talk_s" if talk is not None else "hold_s", "talk and hold need answered_at and ended_at")

    def event(kind: str, at: datetime, **fields) -> dict:
        # ``at`` as parsed above: the ingest takes an importer's aware datetime as it is (same checks).
        return {"id": f"{contact_id}:{kind.split('.')[1]}", "type": kind, "at": at,
                "contact_id": contact_id, **fields}  # fmt: skip

    offered_fields = {"queue": queue, "channel": channel}
    if reason:
        offered_fields["reason"] = reason
    if customer_ref:
        offered_fields["customer_ref"] = customer_ref
    events = [event("contact.offered", offered, **offered_fields)]
    if answered:
        events.append(event("contact.answered", answered, agent=agent))
    if abandoned:
        events.append(event("contact.abandoned", abandoned))
    end_at = ended or answered or abandoned
    if transferred_to:
        events.append(event("contact.transferred", end_at, to_agent=transferred_to))
    if ended:
        extra = {k: v for k, v in (("talk_s", talk), ("hold_s", hold)) if v is not None}
        events.append(event("contact.ended", ended, **extra))
        if acw is not None:
            try:
                wrapup_ended = ended + timedelta(seconds=acw)
            except OverflowError:
                raise FieldError("acw_s", f"{acw:g} s after ended_at is beyond the calendar") from None
            events.append(event("contact.wrapup_ended", wrapup_ended, acw_s=acw))
    return events, offered


def csv_rows(stream: IO[str]) -> Iterator[tuple[int, dict]]:
    """(line number, row) of a CSV file with a header row (comma or semicolon separated; a UTF-8 BOM is
    ignored; blank lines are skipped). Raises ``ImportFileError`` when the header lacks a required column.
    A row with more or fewer fields than the header comes with the key ``FIELDS_ERROR``."""
    first = stream.readline().lstrip("\ufeff")
    if not first.strip():
        raise ImportFileError("header", "the file is empty; line 1 names the columns")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    except csv.Error as error:
        raise ImportFileError("header", f"line 1 is not readable as CSV: {error}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFileError(
            "header", f"line 1 lacks the column(s) {', '.join(missing)}; columns: {', '.join(IMPORT_COLUMNS)}"
        )
    unknown = [h for h in header if h not in IMPORT_COLUMNS]
    if unknown:
        raise ImportFileError("header", f"line 1 has unknown column(s) {', '.join(unknown)}")
    reader = csv.reader(stream, delimiter=delimiter)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a field beyond the csv module's limit, a broken quote: stop here
            yield reader.line_num + 1, {FIELDS_ERROR: f"is not readable as CSV from here on: {error}"}
            return
        line = reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            yield line, {FIELDS_ERROR: f"has {len(values)} fields where the header names {len(header)}"}
            continue
        yield line, dict(zip(header, values, strict=True))


def contacts_import(
    *, rows: Iterable[tuple[int, dict]], now: datetime | None = None, reaggregate: bool = True
) -> ImportResult:
    """Import contact records given as (line number, row) pairs; see the module docstring. After the
    rows are in, the intervals they touch (and the 7 days after) are aggregated again."""
    now = now or timezone.now()
    source = history_source()
    result = ImportResult()
    pending: list[tuple[int, list[dict]]] = []

    def flush():
        batch = [e for _, events, _ in pending for e in events]
        ingest = events_ingest(source=source, events=batch, now=now, bulk_import=True)
        position = 0
        for line, events, offered in pending:
            statuses = ingest.results[position : position + len(events)]
            position += len(events)
            rejected = next((s for s in statuses if s["status"] == "rejected"), None)
            if rejected:
                result.error(line, rejected.get("field") or "-", rejected["reason"])
                continue  # a rejected row (a year-1 date, say) must not widen what is aggregated again
            if statuses[0]["status"] == "duplicate":
                result.duplicates += 1
            else:
                result.imported += 1
            result.first_offered = min(offered, result.first_offered or offered)
            result.last_offered = max(offered, result.last_offered or offered)
        pending.clear()

    for line, row in rows:
        result.rows += 1
        if FIELDS_ERROR in row:
            result.error(line, "-", row[FIELDS_ERROR])
            continue
        try:
            events, offered = row_events(row)
        except FieldError as error:
            result.error(line, error.field, error.message)
            continue
        pending.append((line, events, offered))
        if len(pending) >= ROWS_PER_BATCH:
            flush()
    if pending:
        flush()
    if reaggregate and result.first_offered is not None and (result.imported or result.duplicates):
        result.reaggregated = intervals_after_import(
            offered_from=result.first_offered, offered_until=result.last_offered, now=now
        )
    audit_record(
        operation="import",
        model=Contact,
        what=f"contact records: {result.imported} imported of {result.rows} rows",
        details={
            "rows": result.rows,
            "imported": result.imported,
            "duplicates": result.duplicates,
            "rejected": result.error_count,
            "first_offered": result.first_offered.isoformat() if result.first_offered else None,
            "last_offered": result.last_offered.isoformat() if result.last_offered else None,
        },
    )
    return result


def contacts_import_csv(*, stream: IO[str], now: datetime | None = None) -> ImportResult:
    """Import a CSV file of contact records (see ``csv_rows`` and ``contacts_import``)."""
    return contacts_import(rows=csv_rows(stream), now=now)


def history_source(name: str = SOURCE_NAME) -> Source:
    """The source of an import of history, created when missing: it accepts events up to a century back
    (``history_days``, editable in the admin; the Anonymous Bank's 1999 records come through the contact
    import's), and the queues and agents its records name are created. An existing source is used as it is."""
    source = Source.objects.filter(name=name).first()
    if source is None:
        source = Source(
            name=name, new_queues=NewNames.CREATE, new_agents=NewNames.CREATE, history_days=IMPORT_HISTORY_DAYS
        )
        source.issue_token()  # nobody needs it: imports run in-process
        source.save()
    return source


def outcomes_count(result, pending: list[tuple[object, list[dict]]], statuses: list[dict], *, where: str) -> None:
    """Add the ingest's answer for a file import's batch to its ``result`` (``accepted``, ``duplicates``,
    ``rejected`` with the first ``MAX_ERRORS`` rejections, and the span ``first_at``–``last_at`` of what
    was stored): ``pending`` holds the events of each line or record, in the order they were sent, and
    ``where`` names that place in a rejection (``line``, ``record``)."""
    position = 0
    for place, events in pending:
        for event, status in zip(events, statuses[position : position + len(events)], strict=True):
            if status["status"] == "rejected":
                result.rejected += 1
                if len(result.rejections) < MAX_ERRORS:
                    result.rejections.append(
                        {where: place, "field": status.get("field") or "-", "reason": status["reason"]}
                    )
                continue
            if status["status"] == "duplicate":
                result.duplicates += 1
            else:
                result.accepted += 1
            at = datetime.fromisoformat(event["at"])
            result.first_at = min(at, result.first_at or at)
            result.last_at = max(at, result.last_at or at)
        position += len(events)
