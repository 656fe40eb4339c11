"""Import of an Asterisk ``queue_log`` file (see ``dashboard.ingest.importers.queue_log`` for the format
and the mapping): its events go in batches through the one ingest service from a source of its own (by
default ``queue_log``), then the intervals they touch are aggregated again.

Idempotent: every event id comes from the line (uniqueid or agent, event name, epoch), so a file
imported again gives duplicates and changes nothing. A malformed line is reported by its number and the
rest is read; a last line without its newline is left for the next read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from django.utils import timezone

from dashboard.core.audit import audit_record
from dashboard.core.models import Contact
from dashboard.ingest.customer import customer_ref
from dashboard.ingest.importers.queue_log import Reading, read_events
from dashboard.ingest.imports import history_source, outcomes_count
from dashboard.ingest.schema import MAX_BATCH, MAX_IMPORT_BATCH
from dashboard.ingest.services import events_ingest
from dashboard.intervals.public import intervals_after_import

SOURCE_NAME = "queue_log"
EVENTS_PER_BATCH = MAX_BATCH - 1000  # a batch is cut once it reaches this; a line adds at most 2 events
IMPORT_EVENTS_PER_BATCH = MAX_IMPORT_BATCH - 1000  # the same for a file imported as a whole
# A call answered or abandoned in this file may have entered its queue in the file before (rotated):
# its interval is aggregated again when it entered within this long before the file's first line.
LOOK_BACK = timedelta(hours=1)
# The caller id's customer reference (the shared keyed hash); the old name stays importable.
caller_ref = customer_ref


@dataclass
class QueueLogResult:
    reading: Reading = field(default_factory=Reading)
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)  # {"line", "field", "reason"}
    first_at: datetime | None = None
    last_at: datetime | None = None
    reaggregated: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        r = self.reading
        return {
            "lines": r.lines,
            "mapped_lines": r.mapped,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejections": self.rejections,
            "skipped": dict(r.skipped),
            "unknown": dict(r.unknown),
            "malformed": [{"line": n, "reason": why} for n, why in r.malformed],
            "malformed_count": r.malformed_count,
            "pending": bool(r.pending),
            "reaggregated": self.reaggregated,
        }


def queue_log_import(
    *, stream: IO[str], source_name: str = SOURCE_NAME, now: datetime | None = None, reaggregate: bool = True
) -> QueueLogResult:
    """Import the queue_log lines of ``stream``; see the module docstring."""
    now = now or timezone.now()
    source = history_source(source_name)  # created when missing, reaching back as far as old files go
    result = QueueLogResult()
    pending: list[tuple[int, list[dict]]] = []
    size = 0

    def flush():
        batch = [e for _, events in pending for e in events]
        statuses = events_ingest(source=source, events=batch, now=now, bulk_import=True).results
        outcomes_count(result, pending, statuses, where="line")
        pending.clear()

    for line, events in read_events(stream, reading=result.reading, hash_caller=customer_ref):
        pending.append((line, events))
        size += len(events)
        if size >= IMPORT_EVENTS_PER_BATCH:
            flush()
            size = 0
    if pending:
        flush()
    if reaggregate and result.first_at is not None:
        result.reaggregated = intervals_after_import(
            offered_from=result.first_at - LOOK_BACK, offered_until=result.last_at, now=now, agent_states=True
        )
    reading = result.reading
    audit_record(
        operation="import",
        model=Contact,
        what=f"queue_log into {source.name}: {reading.lines} lines, {result.accepted} events accepted",
        details={
            "source": source.name,
            "lines": reading.lines,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "malformed": reading.malformed_count,
            "skipped": dict(reading.skipped),
            "unknown": dict(reading.unknown),
        },
    )
    return result
