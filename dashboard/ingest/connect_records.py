"""Amazon Connect's records into KCC Live (see ``dashboard.ingest.importers.connect`` for the formats and the
mapping): from files as Kinesis Data Firehose writes them to S3 (``import_connect_ctr``), and from Firehose's
HTTP endpoint delivery (``POST /api/v1/adapters/firehose/``). Either way the records go in batches through
the one ingest service, from a source of kind connect.

Idempotent: a contact record's event ids come from its ``ContactId`` and its ``LastUpdateTimestamp``, an
agent event's from its ``EventId``; a record sent or imported again is a duplicate, and an updated contact
record replaces the earlier one's events (``events_ingest(supersede=True)``), so it is never counted twice.
A record that is not JSON, or not a contact record or agent event, is reported by where it was (file,
record number, line) and the rest is read; records the mapping does not take are counted skips.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import logging
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from dashboard.core.audit import audit_record
from dashboard.core.models import Contact, Source, SourceKind
from dashboard.ingest.customer import customer_ref
from dashboard.ingest.importers.connect import Reading, RecordError, record_events, split_records
from dashboard.ingest.imports import history_source, outcomes_count
from dashboard.ingest.schema import MAX_BATCH, MAX_IMPORT_BATCH
from dashboard.ingest.services import events_ingest
from dashboard.ingest.sources import source_delivery_record
from dashboard.intervals.public import intervals_after_import

log = logging.getLogger(__name__)

SOURCE_NAME = "connect"
EVENTS_PER_BATCH = MAX_BATCH - 1000  # a batch is cut once it reaches this; a record adds at most 5 events
IMPORT_EVENTS_PER_BATCH = MAX_IMPORT_BATCH - 1000  # the same for files (``bulk_import``)
LOOK_BACK = timedelta(hours=1)
MAX_FILE_BYTES = 512 * 1024 * 1024  # a Firehose object is at most 128 MiB; a decompressed file beyond this is refused


@dataclass
class ConnectResult:
    reading: Reading = field(default_factory=Reading)
    mapped: int = 0
    skipped: Counter = field(default_factory=Counter)  # records not mapped, per reason
    unknown: Counter = field(default_factory=Counter)  # records of an unknown version or event type
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)  # {"record", "field", "reason"}
    files: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    reaggregated: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        """Every malformed or rejected record, as ``where: reason`` (at most MAX_ERRORS of each)."""
        return [f"{where}: {why}" for where, why in self.reading.malformed] + [
            f"{r['record']}: {r['field']}: {r['reason']}" for r in self.rejections
        ]

    def as_dict(self) -> dict:
        r = self.reading
        return {
            "files": self.files,
            "records": r.records,
            "mapped_records": self.mapped,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejections": self.rejections,
            "skipped": dict(self.skipped),
            "unknown": dict(self.unknown),
            "malformed": [{"record": where, "reason": why} for where, why in r.malformed],
            "malformed_count": r.malformed_count,
            "reaggregated": self.reaggregated,
        }


def connect_source(name: str = SOURCE_NAME) -> Source:
    """The source of an import of Connect records: created when missing, of kind connect, reaching back as
    far as old files go (see ``history_source``); an existing source is used as it is."""
    source = history_source(name)
    if source.kind == SourceKind.GENERIC and not source.events.exists():
        source.kind = SourceKind.CONNECT
        source.save(update_fields=["kind"])
    return source


def connect_records_ingest(
    *,
    source: Source,
    records: Iterable[tuple[str, Any]],
    result: ConnectResult,
    now: datetime | None = None,
    bulk_import: bool = False,
) -> ConnectResult:
    """Map ``records`` ((where, decoded JSON value) pairs) and ingest their events in batches; counts go
    to ``result`` and to the source's delivery counts. ``bulk_import``: from files, which can be imported
    again (see ``events_ingest``); never for a delivery that is acknowledged once stored."""
    now = now or timezone.now()
    names = source.state_names if isinstance(source.state_names, dict) else {}
    pending: list[tuple[str, list[dict]]] = []
    size = 0
    per_batch = IMPORT_EVENTS_PER_BATCH if bulk_import else EVENTS_PER_BATCH
    skipped = 0
    malformed_before = result.reading.malformed_count

    def flush():
        batch = [e for _, events in pending for e in events]
        statuses = events_ingest(source=source, events=batch, now=now, supersede=True, bulk_import=bulk_import).results
        outcomes_count(result, pending, statuses, where="record")
        pending.clear()

    for where, record in records:
        try:
            mapped = record_events(record, state_names=names, hash_customer=customer_ref)
        except RecordError as error:
            result.reading.bad(where, str(error))
            continue
        if not mapped.events:
            (result.unknown if mapped.unknown else result.skipped)[mapped.skipped] += 1
            skipped += 1
            continue
        result.mapped += 1
        pending.append((where, mapped.events))
        size += len(mapped.events)
        if size >= per_batch:
            flush()
            size = 0
    if pending:
        flush()
    # Records that are not JSON or not Connect's are counted as rejected (their events never existed).
    source_delivery_record(
        source.pk, skipped=skipped, rejected=result.reading.malformed_count - malformed_before, at=now
    )
    return result


# --- files -------------------------------------------------------------------------------------------------


class ConnectFileError(Exception):
    """A file that cannot be read at all (not gzip though named so, not UTF-8, too large)."""


def connect_files(path: Path) -> list[Path]:
    """The files of ``path``: itself, or every file under the directory, walked in sorted order (Firehose
    names its S3 objects by time: ``YYYY/MM/DD/HH/<stream>-…``)."""
    if path.is_dir():
        return sorted((p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")), key=str)
    return [path]


def read_text(path: Path) -> str:
    """The text of a file, gunzipped when it is gzip (by its magic bytes, whatever its name)."""
    with path.open("rb") as handle:
        head = handle.read(2)
    try:
        if head == b"\x1f\x8b":
            with gzip.open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        else:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ConnectFileError(f"not a readable gzip file ({error})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConnectFileError(f"larger than {MAX_FILE_BYTES // 2**20} MiB once decompressed")
    return data.decode("utf-8", errors="replace")


def connect_import(
    *, path: Path, source_name: str = SOURCE_NAME, now: datetime | None = None, reaggregate: bool = True
) -> ConnectResult:
    """Import the Connect records of a file or a directory of files; see the module docstring."""
    now = now or timezone.now()
    source = connect_source(source_name)
    result = ConnectResult()
    base = path if path.is_dir() else path.parent

    def records() -> Iterator[tuple[str, Any]]:
        for file in connect_files(path):
            result.files += 1
            name = str(file.relative_to(base))
            try:
                text = read_text(file)
            except ConnectFileError as error:
                result.reading.bad(name, str(error))
                continue
            yield from split_records(text, name=name, reading=result.reading)

    connect_records_ingest(source=source, records=records(), result=result, now=now, bulk_import=True)
    if reaggregate and result.first_at is not None:
        result.reaggregated = intervals_after_import(
            offered_from=result.first_at - LOOK_BACK, offered_until=result.last_at, now=now, agent_states=True
        )
    audit_record(
        operation="import",
        model=Contact,
        what=f"Amazon Connect records into {source.name}: {result.reading.records} records, {result.accepted} events accepted",
        details={
            "source": source.name,
            **{k: v for k, v in result.as_dict().items() if k not in ("rejections", "malformed")},
        },
    )
    return result


# --- Kinesis Data Firehose HTTP endpoint delivery ------------------------------------------------------------


class FirehoseRequestError(ValueError):
    """A delivery request that is not Firehose's envelope: nothing of it is stored."""


def firehose_records(body: Any, reading: Reading) -> Iterator[tuple[str, Any]]:
    """(where, record) of each record of a Firehose delivery request: its ``data`` base64-decoded, then read
    as JSON (one value, or several back to back or by line). Raises ``FirehoseRequestError`` for a body that
    is not the envelope; a record that cannot be decoded is reported in ``reading``."""
    if not isinstance(body, dict):
        raise FirehoseRequestError("body: must be a JSON object with requestId, timestamp and records")
    items = body.get("records")
    if not isinstance(items, list):
        raise FirehoseRequestError('records: must be a JSON array of {"data": <base64>}')
    for number, item in enumerate(items, start=1):
        where = f"records[{number - 1}]"
        data = item.get("data") if isinstance(item, dict) else None
        if not isinstance(data, str):
            reading.records += 1
            reading.bad(where, "must be an object with data (base64 text)")
            continue
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            reading.records += 1
            reading.bad(where, "data is not base64")
            continue
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                reading.records += 1
                reading.bad(where, "data is gzip that cannot be decompressed")
                continue
        text = raw.decode("utf-8", errors="replace")
        yield from split_records(text, name=where, reading=reading)


def firehose_ingest(*, source: Source, body: Any, now: datetime | None = None) -> ConnectResult:
    """Ingest the records of one Firehose delivery request from ``source``; see ``firehose_records``."""
    result = ConnectResult()
    connect_records_ingest(source=source, records=firehose_records(body, result.reading), result=result, now=now)
    if result.reading.malformed_count or result.rejected:
        log.warning(
            "Firehose request %s from %s: %d records, %d malformed, %d events rejected: %s",
            body.get("requestId") if isinstance(body, dict) else None,
            source.name,
            result.reading.records,
            result.reading.malformed_count,
            result.rejected,
            "; ".join(result.problems[:5]),
        )
    return result
