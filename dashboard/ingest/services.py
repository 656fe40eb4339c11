"""Event ingest: the one way events enter KCC Live (API, importers and the simulator all call it).

1. Each event is validated on its own; a rejection names the field.
2. Valid events are appended to the log, idempotently on (source, event id): a resent id is a duplicate.
   The one exception to "append-only": an ACD that sends a record again, updated (Amazon Connect's contact
   records), has its batches ingested with ``supersede``: the events of a record's newer revision replace
   those of its older one in the log, in the same transaction (see ``events_ingest``).
3. The contacts and agents the new events touch are derived again from their whole log (contacts) or
   from the last state before the new events (agents), under a per-contact / per-agent lock, so
   out-of-order and duplicated events give the same result as a rebuild from the log.
4. After the batch commits, the live state in Redis moves by what changed (see
   ``dashboard.live.services``) and the live publisher is woken. A batch the database rolls back never
   reaches Redis.

A bad event never costs its batch: validation (``schema``) refuses what the rest cannot carry before the
transaction begins; a contact whose fold fails or would pass its bounds (visits, events) has this batch's
events rejected and keeps what it had; and any other unexpected error splits the batch in halves until it
is down to the events that cause it, which alone are rejected. A deadlock or serialization failure
(PostgreSQL) or "database is locked" (SQLite) is retried a few times; every lock is taken in one global
order (the log's rows sorted by event id, then the contacts' and agents' advisory locks sorted).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

import orjson
import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from dashboard.core import observe
from dashboard.core.bulk import CHUNK, insert_rows, update_column
from dashboard.core.errors import FieldError
from dashboard.core.models import (
    Agent,
    AgentStateSpan,
    Contact,
    Event,
    NewNames,
    Queue,
    Source,
    contact_key,
    default_namespace,
)
from dashboard.ingest.admission import names_admit
from dashboard.ingest.derive import LoggedEvent, Span, Visit, fold_agent_states, fold_contact
from dashboard.ingest.schema import MAX_BATCH, MAX_IMPORT_BATCH, Limits, ValidEvent, validate_event
from dashboard.ingest.sources import source_delivery_record
from dashboard.live.public import LiveChanges, QueueRule, live_apply, live_next_version, notify_changed, visit_counts

log = logging.getLogger(__name__)
# One line per batch (source, size, outcome): on in the JSON logs of production, quiet on a console
# (settings.LOGGING).
batch_log = logging.getLogger("dashboard.ingest.batches")


@dataclass
class IngestResult:
    """Per event (in the order given): ``{"index", "id", "status", "field"?, "reason"?}``."""

    results: list[dict[str, Any]] = field(default_factory=list)
    live_version: int | None = None  # the live-state version that holds this batch (None: nothing new)

    def _count(self, status: str) -> int:
        return sum(1 for r in self.results if r["status"] == status)

    @property
    def accepted(self) -> int:
        return self._count("accepted")

    @property
    def duplicates(self) -> int:
        return self._count("duplicate")

    @property
    def rejected(self) -> int:
        return self._count("rejected")


def events_ingest(
    *,
    source: Source,
    events: list[Any],
    now: datetime | None = None,
    supersede: bool = False,
    with_batch: Callable[[], None] | None = None,
    bulk_import: bool = False,
) -> IngestResult:
    """Validate, log and apply a batch of events from ``source``; see the module docstring. Commits
    on its own (inside a caller's transaction it raises ``RuntimeError``), so that when it returns the
    batch is in the database and its ``live_version`` in Redis.

    With ``supersede``, the batch holds records that an ACD may send again, updated (Amazon Connect's
    contact records): a contact event whose id reads ``<record>:<kind>@<revision>`` belongs to revision
    ``<revision>`` (a string that sorts in time order) of that record of its contact, and only the newest
    revision of a record is kept. Its events replace those of older revisions in the log, in the same
    transaction; the events of a revision older than one received before (or than another in this batch)
    are answered as duplicates and stored nowhere. So a record sent again, updated, replaces the earlier
    one's figures and is never counted twice.

    ``with_batch`` (a file reader's position, say) runs inside the transaction that stores the batch, so
    the two commit together or not at all; when nothing in the batch is valid it runs in a transaction of
    its own. Should an unexpected error split the batch, it runs with the last part stored.

    ``bulk_import`` (a file importer's batches, which can be imported again: they are idempotent): on
    PostgreSQL the batch's commit does not wait for its write-ahead log to reach the disk (asynchronous
    commit). A crash may lose the last batches committed, never corrupt anything: the import is run again
    (a follower's position commits in the same transaction, so it is lost with them and they are read again).
    Such a batch may hold up to ``MAX_IMPORT_BATCH`` events (others ``MAX_BATCH``).
    """
    most = MAX_IMPORT_BATCH if bulk_import else MAX_BATCH
    if len(events) > most:
        raise FieldError("events", f"a batch holds at most {most} events, this one has {len(events)}")
    if connection.in_atomic_block and not getattr(connection.atomic_blocks[-1], "_from_testcase", False):
        # Django's own durability check, made before the work: inside, the error would be taken for a
        # poison event and the batch split down to single events.
        raise RuntimeError("events_ingest commits on its own: call it outside a transaction")
    started = time.perf_counter()
    received_at = now or timezone.now()
    limits = Limits.at(received_at, history_days=source.history_days)
    results: list[dict[str, Any] | None] = [None] * len(events)
    valid: list[tuple[int, ValidEvent]] = []
    first_index: dict[str, int] = {}
    valid_ids: dict[int, str] = {}
    for index, raw in enumerate(events):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        try:
            event = validate_event(raw, limits)
        except FieldError as error:
            results[index] = _rejected(index, raw_id, error.field, str(error))
            continue
        if event.event_id in first_index:
            results[index] = {
                "index": index,
                "id": event.event_id,
                "status": "duplicate",
                "reason": f"id {event.event_id!r} already appears at index {first_index[event.event_id]} of this batch",
            }
            continue
        first_index[event.event_id] = index
        valid_ids[index] = event.event_id
        valid.append((index, event))
    for index, error in names_admit(source, valid).items():
        results[index] = {
            "index": index,
            "id": valid_ids[index],
            "status": "rejected",
            "field": error.field,
            "reason": str(error),
        }
    valid = [(index, event) for index, event in valid if results[index] is None]
    if supersede:
        valid = _newest_revisions(valid, results)

    if valid:
        versions = _store(
            source, valid, received_at, results, supersede, with_batch=with_batch, bulk_import=bulk_import
        )
    else:
        versions = []
        if with_batch is not None:
            with transaction.atomic(durable=True):
                with_batch()
    result = IngestResult(results=results, live_version=max(versions, default=None))
    if source.pk is not None:
        source_delivery_record(source.pk, delivered=result.accepted, rejected=result.rejected, at=received_at)
    seconds = time.perf_counter() - started
    observe.observe("ingest_batch_seconds", seconds)
    batch_log.info(
        "batch of %d from %s: %d accepted, %d rejected, in %.3f s",
        len(events), source.name, result.accepted, result.rejected, seconds,
        extra={"source": source.name, "batch_size": len(events), "accepted": result.accepted,
               "rejected": result.rejected, "seconds": round(seconds, 4)},
    )  # fmt: skip
    return result


def _rejected(index: int, raw_id: Any, field_name: str, reason: str) -> dict[str, Any]:
    return {
        "index": index,
        "id": raw_id if isinstance(raw_id, str) or (isinstance(raw_id, int) and not isinstance(raw_id, bool)) else None,
        "status": "rejected",
        "field": field_name,
        "reason": reason,
    }


def revision_of(contact_id: str | None, event_id: str) -> tuple[tuple[str, str], str] | None:
    """((contact id, record), revision) of a contact event whose id reads ``<record>:<kind>@<revision>``;
    None for any other event (it is never superseded)."""
    if contact_id is None or "@" not in event_id:
        return None
    head, _, revision = event_id.rpartition("@")
    return (contact_id, head.partition(":")[0]), revision


def _newest_revisions(valid: list[tuple[int, ValidEvent]], results: list) -> list[tuple[int, ValidEvent]]:
    """``valid`` without the events of a record's older revisions in this batch (answered as duplicates)."""
    newest: dict[tuple[str, str], str] = {}
    founds = [revision_of(event.contact_id, event.event_id) for _, event in valid]
    for found in founds:
        if found is not None and found[1] > newest.get(found[0], ""):
            newest[found[0]] = found[1]
    kept = []
    for (index, event), found in zip(valid, founds, strict=True):
        if found is not None and found[1] < newest[found[0]]:
            results[index] = {
                "index": index,
                "id": event.event_id,
                "status": "duplicate",
                "reason": f"superseded by revision {newest[found[0]]!r} of record {found[0][1]!r} in this batch",
            }
            continue
        kept.append((index, event))
    return kept


def _store(
    source: Source,
    valid: list[tuple[int, ValidEvent]],
    received_at: datetime,
    results: list,
    supersede: bool = False,
    with_batch: Callable[[], None] | None = None,
    bulk_import: bool = False,
) -> list[int]:
    """Log and apply ``valid`` events, writing each one's result; returns the live versions written.

    An unexpected error (not the database being unreachable or overloaded: that goes up to the caller,
    and the API answers 503) splits the events in halves, each stored on its own, until the error is
    down to single events: those are rejected and every other event is kept. ``with_batch`` goes with
    the last part (see ``events_ingest``)."""
    try:
        inserted, refused, changes, stale = _store_with_retry(
            source, [e for _, e in valid], received_at, supersede, with_batch=with_batch, bulk_import=bulk_import
        )
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        if len(valid) > 1:
            middle = len(valid) // 2
            return _store(source, valid[:middle], received_at, results, supersede, bulk_import=bulk_import) + _store(
                source, valid[middle:], received_at, results, supersede, with_batch=with_batch, bulk_import=bulk_import
            )
        if with_batch is not None:
            with transaction.atomic(durable=True):
                with_batch()
        index, event = valid[0]
        log.exception("event %r of source %s could not be stored", event.event_id, source.name)
        results[index] = _rejected(
            index, event.event_id, "event", f"event: could not be stored ({type(error).__name__}: {error})"
        )
        return []
    versions = []
    if changes is not None:
        # After commit, so Redis never counts a batch the database rolled back. The version taken
        # inside the transaction orders this write against other batches and against a rebuild of
        # the live state (see ``live_rebuild``): it is neither lost nor counted twice.
        live_apply(changes)
        versions.append(changes.version)
        _notify_publisher()
    for index, event in valid:
        key = source.contact_key(event.contact_id) if refused and event.contact_id is not None else None
        if key in refused and event.event_id in inserted:
            results[index] = _rejected(index, event.event_id, "contact_id", refused[key])
        elif event.event_id in inserted:
            results[index] = {"index": index, "id": event.event_id, "status": "accepted"}
        elif event.event_id in stale:
            results[index] = {
                "index": index,
                "id": event.event_id,
                "status": "duplicate",
                "reason": f"superseded: {source.name} sent a newer revision of this record before ({stale[event.event_id]!r})",
            }
        else:
            results[index] = {
                "index": index,
                "id": event.event_id,
                "status": "duplicate",
                "reason": f"id {event.event_id!r} was received from {source.name} before",
            }
    return versions


RETRIES = 5  # attempts of one batch that meets a deadlock, a serialization failure or a locked database


def _retryable(error: OperationalError) -> bool:
    """A failure that a new attempt of the same transaction may not meet: PostgreSQL's deadlock or
    serialization failure, SQLite's locked database."""
    if getattr(error.__cause__, "sqlstate", None) in ("40P01", "40001"):
        return True
    return "database is locked" in str(error) or "database table is locked" in str(error)


def _store_with_retry(
    source: Source,
    events: list[ValidEvent],
    received_at: datetime,
    supersede: bool = False,
    with_batch: Callable[[], None] | None = None,
    bulk_import: bool = False,
) -> tuple[dict[str, int], dict[str, str], LiveChanges | None, dict[str, str]]:
    """One transaction: log the events, derive what they touch. Returns the ids that were new, the
    contacts refused (contact id → reason; their events of this batch are taken out of the log again),
    the live changes to apply after commit, and (``supersede``) the ids not stored because a newer
    revision of their record was stored before (id → that revision)."""
    for attempt in range(1, RETRIES + 1):
        try:
            # Durable: leaving the block means the batch is committed (a caller's transaction around it
            # would make the Redis write after it precede the real commit, so it is refused).
            with transaction.atomic(durable=True):
                if bulk_import and connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit = off")
                to_log, stale, replaced = _supersede(source, events) if supersede else (events, {}, [])
                inserted = _log_append(source, to_log, received_at)
                new_events = [e for e in to_log if e.event_id in inserted]
                refused: dict[str, str] = {}
                changes = (
                    state_apply(
                        new_events,
                        now=received_at,
                        source=source,
                        refused=refused,
                        also_contact_ids={row.contact_id for row in replaced},
                        logged_ids=inserted,
                    )
                    if new_events or replaced
                    else None
                )
                if refused:
                    _log_remove(
                        source,
                        [
                            e.event_id
                            for e in new_events
                            if e.contact_id is not None and source.contact_key(e.contact_id) in refused
                        ],
                    )
                    # A refused contact keeps what it had: the older revision's events go back into the log.
                    Event.objects.bulk_create([r for r in replaced if source.contact_key(r.contact_id) in refused])
                if with_batch is not None:
                    with_batch()
            return inserted, refused, changes, stale
        except OperationalError as error:
            if attempt == RETRIES or not _retryable(error):
                raise
            log.warning("batch of %d events from %s: %s; attempt %d of %d", len(events), source.name, error,
                        attempt + 1, RETRIES)  # fmt: skip
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
    raise AssertionError("unreachable")


def _notify_publisher() -> None:
    try:
        notify_changed("events")
    except redis.RedisError:
        log.warning("could not notify the live publisher; it refreshes on its own within seconds")


def _supersede(source: Source, events: list[ValidEvent]) -> tuple[list[ValidEvent], dict[str, str], list[Event]]:
    """Inside the ingest transaction, before the log insert: the events of records whose newer revision
    is logged already are taken out (returned as id → that revision), and the logged events of their
    records' older revisions are deleted from the log (returned, to be put back should the contact be
    refused). The contacts are locked first, so two revisions of one record arriving at once are
    ordered; a deadlock with a batch that logged events of the same contact first is retried."""
    revisions: dict[tuple[str, str], str] = {}
    for event in events:
        found = revision_of(event.contact_id, event.event_id)
        if found is not None:
            revisions[found[0]] = found[1]
    if not revisions:
        return events, {}, []
    contact_ids = sorted({contact_id for contact_id, _ in revisions})
    _lock([f"c:{source.contact_key(c)}" for c in contact_ids])
    logged: dict[tuple[str, str], str] = {}
    older_pks: list[int] = []
    for pk, contact_id, event_id in _revisions_logged(source, contact_ids):
        found = revision_of(contact_id, event_id)
        if found is None or found[0] not in revisions:
            continue
        key, revision = found
        logged[key] = max(revision, logged.get(key, ""))
        if revision < revisions[key]:
            older_pks.append(pk)
    if not logged:  # no revision of these records logged before (an import's usual case): nothing to do
        return events, {}, []
    older: list[Event] = []
    for pks in _chunks(older_pks):
        older += Event.objects.filter(pk__in=pks)
    stale_keys = {key for key, revision in revisions.items() if logged.get(key, "") > revision}
    stale: dict[str, str] = {}
    kept: list[ValidEvent] = []
    for event in events:
        found = revision_of(event.contact_id, event.event_id)
        if found is not None and found[0] in stale_keys:
            stale[event.event_id] = logged[found[0]]
        else:
            kept.append(event)
    older = [row for row in older if revision_of(row.contact_id, row.event_id)[0] not in stale_keys]
    for rows in _chunks(older):
        Event.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return kept, stale, older


def _revisions_logged(source: Source, contact_ids: list[str]) -> list[tuple[int, str, str]]:
    """(id, contact id, event id) of ``source``'s logged events of these contacts (ids as the source sent
    them) whose event id names a revision (``@``)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Event._meta.db_table)
        with connection.cursor() as cursor:
            # Each contact probed in the index on contact_id (see ``_contact_events``).
            cursor.execute(
                f"SELECT e.id, e.contact_id, e.event_id FROM unnest(%s::text[]) AS c(id) CROSS JOIN LATERAL "
                f"(SELECT x.id, x.contact_id, x.event_id, x.source_id FROM {table} x "
                "WHERE x.contact_id = c.id OFFSET 0) AS e WHERE e.source_id = %s AND strpos(e.event_id, '@') > 0",
                [contact_ids, source.pk],
            )
            return cursor.fetchall()
    rows: list[tuple[int, str, str]] = []
    for ids in _chunks(contact_ids):
        rows += Event.objects.filter(source=source, contact_id__in=ids, event_id__contains="@").values_list(
            "id", "contact_id", "event_id"
        )
    return rows


EVENT_COLUMNS = ["source_id", "event_id", "type", "at", "contact_id", "agent", "payload", "received_at"]


def _log_append(source: Source, events: list[ValidEvent], received_at: datetime) -> dict[str, int]:
    """Append to the log; returns the ids that were new (the rest were sent before), each with its row's
    primary key (its arrival order), so that the derivation need not read them back. The rows go in
    sorted by event id: two batches that share ids then wait for each other's unique-index entries in
    one order, and cannot deadlock on them."""
    rows = [
        (source.id, e.event_id, e.type, e.at, e.contact_id, e.agent, e.payload, received_at)
        for e in sorted(events, key=lambda e: e.event_id)
    ]
    returned = insert_rows(
        Event, EVENT_COLUMNS, rows, ignore_conflicts_on=["source_id", "event_id"], returning=("event_id", "id")
    )
    return dict(returned)


def _log_remove(source: Source, event_ids: list[str]) -> None:
    """Take this batch's just-logged events out of the log again (those of refused contacts)."""
    for ids in _chunks(event_ids):
        Event.objects.filter(source=source, event_id__in=ids).delete()


def _lock(names: list[str]) -> None:
    """Serialise derivations of the same contacts and agents across processes (PostgreSQL; SQLite's
    IMMEDIATE transactions are serial already). Locks are taken in one order, so no deadlock."""
    if connection.vendor != "postgresql" or not names:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(n, 0) AS h "
            "FROM unnest(%s::text[]) AS n ORDER BY 1) AS locks",
            [names],
        )


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def state_apply(
    new_events: list[ValidEvent],
    *,
    now: datetime,
    source: Source,
    refused: dict[str, str] | None = None,
    also_contact_ids: set[str] | frozenset[str] = frozenset(),
    logged_ids: dict[str, int] | None = None,
) -> LiveChanges:
    """Derive again the contacts and agent spans that ``new_events`` touch (inside the ingest
    transaction, after the events are logged) and return the live-state changes to apply after commit.
    With ``refused``, a contact whose fold fails or passes its bounds is left as it was and named there
    with the reason (the caller takes its new events out of the log).

    The changes' version is taken under the contacts' and agents' locks, so a later derivation of the
    same contact or agent gets a larger one; and after the log insert, so a rebuild of the live state
    (which locks the log first) sees every batch of a lower version in the database it reads. Contacts
    are ``source``'s: their ids are kept in its namespace (``Source.contact_key``). ``also_contact_ids``
    (ids as the source sent them) are derived again too: contacts whose logged events were replaced.
    ``logged_ids`` (event id → the log's primary key, as ``_log_append`` returns them) are the new events'
    rows: the contacts' derivation takes those from memory and reads only their older events."""
    key_of: dict[str, str] = {}  # the source's contact id → its stored id, worked out once per contact
    for e in new_events:
        if e.contact_id is not None and e.contact_id not in key_of:
            key_of[e.contact_id] = source.contact_key(e.contact_id)
    contact_ids = sorted(set(key_of.values()) | {source.contact_key(c) for c in also_contact_ids})
    agent_first: dict[str, datetime] = {}
    for e in new_events:
        if e.type == "agent.state":
            agent_first[e.agent] = min(e.at, agent_first.get(e.agent, e.at))
    _lock([f"c:{c}" for c in contact_ids] + [f"a:{a}" for a in sorted(agent_first)])
    changes = LiveChanges(version=live_next_version())
    if contact_ids:
        fresh: dict[str, list[LoggedEvent]] | None = None
        if logged_ids is not None:
            fresh = defaultdict(list)
            for e in new_events:
                if e.contact_id is not None:
                    fresh[key_of[e.contact_id]].append(
                        LoggedEvent(seq=logged_ids[e.event_id], type=e.type, at=e.at, payload=e.payload)
                    )
        contacts_rederive(contact_ids, changes=changes, now=now, source=source, refused=refused, fresh=fresh)
    if agent_first:
        agents_rederive(agent_first, changes=changes, source=source)
    return changes


def _logged(rows) -> list[LoggedEvent]:
    return [
        LoggedEvent(seq=pk, type=kind, at=at, payload=payload if isinstance(payload, dict) else json.loads(payload))
        for pk, kind, at, payload in rows
    ]


def _new_names(source: Source | None, policy: str) -> dict[str, Any]:
    """How a queue or agent that ``source``'s events name is created (``names_admit`` let it in): by
    that source, quarantined when its settings say so. Without a source (a rebuild from the log), a
    name the log holds is created as before."""
    if source is None:
        return {}
    return {"created_by_source": source, "quarantined": policy == NewNames.QUARANTINE}


def queues_resolve(visits: list[Visit], *, source: Source | None = None) -> dict[str, Queue]:
    """The queues the visits name; a queue the ACD names that is not configured yet is created with
    default targets (from the visit's channel), as ``source``'s settings say (``ingest.admission``)."""
    names = {v.queue for v in visits}
    queues = {q.name: q for q in Queue.objects.filter(name__in=names)}
    for visit in visits:
        if visit.queue not in queues:
            queues[visit.queue], _ = Queue.objects.get_or_create(
                name=visit.queue,
                defaults={"channel": visit.channel, **_new_names(source, source and source.new_queues)},
            )
    return queues


def agents_resolve(logins: set[str], *, source: Source | None = None) -> dict[str, int]:
    """The agents' ids by login id; an agent the ACD names that is not configured yet is created, as
    ``source``'s settings say (``ingest.admission``)."""
    agents = dict(Agent.objects.filter(login_id__in=logins).values_list("login_id", "id"))
    missing = sorted(logins - agents.keys())
    if missing:
        # One statement for all of them (a month's import names hundreds); one created meanwhile by
        # another batch is left as it is, as get_or_create would.
        new_names = _new_names(source, source and source.new_agents)
        Agent.objects.bulk_create(
            [Agent(login_id=login, name=login, **new_names) for login in missing], ignore_conflicts=True
        )
        created = list(Agent.objects.filter(login_id__in=missing))
        agents.update((agent.login_id, agent.id) for agent in created)
        for agent in created:  # what a save would have said: the audit log records who created it
            post_save.send(sender=Agent, instance=agent, created=True, update_fields=None, raw=False, using="default")
    return agents


CONTACT_FIELDS = [f.name for f in Contact._meta.concrete_fields if f.name not in ("id", "queue", "agent")]
# What the live-state difference needs of a stored visit.
STORED_VISIT_FIELDS = [
    "contact_id",
    "seq",
    "queue_id",
    "offered_at",
    "answered_at",
    "abandoned_at",
    "ended_at",
    "transferred_at",
    "talk_s",
    "hold_s",
    "acw_s",
    "callback_promised_by",
    "callback_completed_at",
    "agent_id",
]


def _namespaces() -> dict[int, str]:
    """Each source's contact namespace, by source id."""
    return {
        pk: ns or default_namespace(name)
        for pk, ns, name in Source.objects.values_list("id", "contact_namespace", "name")
    }


def contact_keys_logged() -> list[str]:
    """The stored ids (``<namespace>:<id>``) of every contact the log holds, sorted."""
    namespaces = _namespaces()
    pairs = Event.objects.exclude(contact_id=None).values_list("source_id", "contact_id").distinct()
    return sorted({contact_key(namespaces[source_id], contact_id) for source_id, contact_id in pairs})


def _contact_events(contact_ids: list[str], *, besides: set[int] | frozenset[int] = frozenset()):
    """(contact_id, id, type, at, payload) of every logged event of these contacts but those whose primary
    key is in ``besides``; ``contact_ids`` are stored ids (``<namespace>:<id>``): an event counts when its
    source is of that namespace."""
    wanted = set(contact_ids)
    raw_ids = sorted({key.split(":", 1)[1] for key in contact_ids})
    namespaces = _namespaces()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Event._meta.db_table)
        with connection.cursor() as cursor:
            # First only the ids of the contacts' rows, each contact probed in the index on contact_id (the
            # fence, OFFSET 0, keeps the planner from a scan of the whole log, which its estimates of a log
            # growing by an import would choose); the batch's own rows, most of them, are left out here.
            cursor.execute(
                f"SELECT e.id FROM unnest(%s::text[]) AS c(id) CROSS JOIN LATERAL "
                f"(SELECT x.id FROM {table} x WHERE x.contact_id = c.id OFFSET 0) AS e",
                [raw_ids],
            )
            older = sorted({pk for (pk,) in cursor.fetchall()} - besides)
            found = []
            if older:
                cursor.execute(
                    f"SELECT source_id, contact_id, id, type, at, payload FROM {table} WHERE id = ANY(%s)", [older]
                )
                found = cursor.fetchall()
    else:
        found = []
        for ids in _chunks(raw_ids):
            found += Event.objects.filter(contact_id__in=ids).values_list(
                "source_id", "contact_id", "id", "type", "at", "payload"
            )
        found = [row for row in found if row[2] not in besides]
    rows = []
    for source_id, contact_id, *rest in found:
        key = contact_key(namespaces[source_id], contact_id)
        if key in wanted:
            rows.append((key, *rest))
    return rows


def _contacts_delete(contact_ids: list[str], *, returning: bool) -> list[SimpleNamespace]:
    """Delete the stored visits of these contacts; with ``returning``, give back what the live-state
    difference needs of them (one statement on PostgreSQL)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Contact._meta.db_table)
        # The stored names are the column names (a foreign key's column is <name>_id).
        tail = f" RETURNING {', '.join(map(connection.ops.quote_name, STORED_VISIT_FIELDS))}" if returning else ""
        with connection.cursor() as cursor:
            # Each contact probed in the index on contact_id (see ``_contact_events``).
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT v.id FROM unnest(%s::text[]) AS c(id) CROSS JOIN LATERAL "
                f"(SELECT x.id FROM {table} x WHERE x.contact_id = c.id OFFSET 0) AS v){tail}",
                [contact_ids],
            )
            return (
                [SimpleNamespace(**dict(zip(STORED_VISIT_FIELDS, row, strict=True))) for row in cursor.fetchall()]
                if returning
                else []
            )
    old = []
    for ids in _chunks(contact_ids):
        if returning:
            old += [
                SimpleNamespace(**row)
                for row in Contact.objects.filter(contact_id__in=ids).values(*STORED_VISIT_FIELDS)
            ]
        Contact.objects.filter(contact_id__in=ids).delete()
    return old


def contacts_rederive(
    contact_ids: list[str],
    *,
    changes: LiveChanges | None,
    now: datetime,
    source: Source | None = None,
    refused: dict[str, str] | None = None,
    fresh: dict[str, list[LoggedEvent]] | None = None,
) -> int:
    """Fold the whole log of each contact again and replace its stored visits. Returns the number of
    visits written. With ``changes``, records the live-state difference between before and after.
    ``contact_ids`` are stored ids (``<namespace>:<id>``); ``source`` is the one whose new events
    these are (its settings decide how a queue or agent they name is created). With ``refused``, see
    ``state_apply``. ``fresh``: events of these contacts just logged in this transaction, as logged (their
    primary keys as ``seq``): not read back from the log."""
    by_contact: dict[str, list[LoggedEvent]] = defaultdict(list)
    besides = frozenset(e.seq for events in (fresh or {}).values() for e in events)
    for contact_id, *rest in _contact_events(contact_ids, besides=besides):
        by_contact[contact_id].extend(_logged([rest]))
    for contact_id, events in (fresh or {}).items():
        by_contact[contact_id].extend(events)
    visits = _fold_contacts(contact_ids, by_contact, refused)
    if refused:
        contact_ids = [c for c in contact_ids if c not in refused]
    queues = queues_resolve(visits, source=source)
    agents = agents_resolve({v.agent for v in visits if v.agent}, source=source)
    old_by_contact: dict[str, list[SimpleNamespace]] = defaultdict(list)
    for row in _contacts_delete(contact_ids, returning=changes is not None):
        old_by_contact[row.contact_id].append(row)
    values = attrgetter(*CONTACT_FIELDS)
    insert_rows(
        Contact,
        ["queue_id", "agent_id", *CONTACT_FIELDS],
        [(queues[v.queue].id, agents[v.agent] if v.agent else None, *values(v)) for v in visits],
    )
    if changes is not None:
        queue_ids = {name: q.id for name, q in queues.items()}
        rules = {q.id: QueueRule.of(q) for q in Queue.objects.all()}
        new_by_contact: dict[str, list[Visit]] = defaultdict(list)
        for v in visits:
            new_by_contact[v.contact_id].append(v)
        for contact_id in contact_ids:
            old, new = old_by_contact.get(contact_id, []), new_by_contact.get(contact_id, [])
            for visit in old:
                if not changes.counted(visit.offered_at, now=now):  # a day the live state does not keep
                    continue
                rule = rules[visit.queue_id]
                changes.add_counts(rule, visit.offered_at, -visit_counts(visit, rule), now=now, agent_id=visit.agent_id)
            for visit in new:
                if not changes.counted(visit.offered_at, now=now):
                    continue
                rule = rules[queues[visit.queue].id]
                agent_id = agents[visit.agent] if visit.agent else None
                changes.add_counts(rule, visit.offered_at, visit_counts(visit, rule), now=now, agent_id=agent_id)
            changes.contact(contact_id, old, new, queue_ids, agents)
    return len(visits)


def _fold_contacts(
    contact_ids: list[str], by_contact: dict[str, list[LoggedEvent]], refused: dict[str, str] | None
) -> list[Visit]:
    """The visits of each contact. With ``refused``, a contact of more events or visits than the
    settings allow, or whose fold raises, is left out and named there with the reason (a rebuild, with
    no ``refused``, folds everything: the log holds only what ingest accepted)."""
    if refused is None:
        return [v for contact_id in contact_ids for v in fold_contact(contact_id, by_contact.get(contact_id, []))]
    max_events, max_visits = settings.KCC_CONTACT_MAX_EVENTS, settings.KCC_CONTACT_MAX_VISITS
    visits: list[Visit] = []
    for contact_id in contact_ids:
        events = by_contact.get(contact_id, [])
        if len(events) > max_events:
            refused[contact_id] = (
                f"contact_id: contact {contact_id!r} would have {len(events)} events; at most {max_events} per "
                "contact (KCC_CONTACT_MAX_EVENTS)"
            )
            continue
        try:
            folded = fold_contact(contact_id, events)
        except Exception as error:
            log.exception("the events of contact %r cannot be folded", contact_id)
            refused[contact_id] = (
                f"contact_id: the events of contact {contact_id!r} could not be folded together "
                f"({type(error).__name__}: {error}); this batch's events of it were not kept"
            )
            continue
        if len(folded) > max_visits:
            refused[contact_id] = (
                f"contact_id: contact {contact_id!r} would have {len(folded)} visits; at most {max_visits} per "
                "contact (KCC_CONTACT_MAX_VISITS)"
            )
            continue
        visits += folded
    return visits


def _agent_state_events(since: dict[str, datetime | None]):
    """(agent, id, type, at, payload) of each agent's state events after its ``since`` (all if None).

    On PostgreSQL one join against the agents as a JSON parameter; hundreds of agents in a batch would
    otherwise make a statement of hundreds of OR-ed conditions.
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Event._meta.db_table)
        rows = [{"agent": a, "since": t.isoformat() if t else "-infinity"} for a, t in since.items()]
        with connection.cursor() as cursor:
            cursor.execute(
                # Each agent probed in the index on (agent, at); the fence (OFFSET 0) keeps the planner from
                # a scan of the whole log (see ``_contact_events``).
                f"SELECT e.agent, e.id, e.type, e.at, e.payload "
                "FROM jsonb_to_recordset(%s::jsonb) AS a(agent text, since timestamptz) CROSS JOIN LATERAL "
                f"(SELECT x.agent, x.id, x.type, x.at, x.payload FROM {table} x "
                "WHERE x.agent = a.agent AND x.at > a.since AND x.type = 'agent.state' OFFSET 0) AS e",
                [orjson.dumps(rows).decode()],
            )
            return cursor.fetchall()
    condition = Q()
    for login, t in since.items():
        condition |= Q(agent=login, at__gt=t) if t else Q(agent=login)
    return Event.objects.filter(condition, type="agent.state").values_list("agent", "id", "type", "at", "payload")


def agents_rederive(
    agent_first: dict[str, datetime], *, changes: LiveChanges | None, source: Source | None = None
) -> int:
    """Re-fold each agent's state events from the last span that began before its earliest new event
    (everything before that span cannot change). Returns the number of spans written."""
    agents = agents_resolve(set(agent_first), source=source)
    by_id = {agents[login]: login for login in agent_first}
    anchors: dict[str, AgentStateSpan] = {}
    # The span an earliest new event falls into is the anchor: it keeps its start and state.
    candidates = AgentStateSpan.objects.filter(agent_id__in=by_id).filter(
        Q(end=None) | Q(end__gte=min(agent_first.values()))
    )
    candidates = list(candidates.order_by("start"))
    for span in candidates:
        login = by_id[span.agent_id]
        if span.start < agent_first[login]:
            anchors[login] = span
    by_agent: dict[str, list[LoggedEvent]] = defaultdict(list)
    since = {login: anchors[login].start if login in anchors else None for login in agent_first}
    for login, *rest in _agent_state_events(since):
        by_agent[login].extend(_logged([rest]))
    # Every span from the anchor on has an end after the earliest new event, so it is a candidate.
    AgentStateSpan.objects.filter(
        pk__in=[
            span.pk
            for span in candidates
            if anchors.get(by_id[span.agent_id]) is None or span.start > anchors[by_id[span.agent_id]].start
        ]
    ).delete()
    written: list[tuple] = []
    anchor_ends: dict[int, datetime | None] = {}
    for login in agent_first:
        anchor = anchors.get(login)
        seed = [Span(anchor.state, anchor.reason, anchor.start, anchor.end, pk=anchor.pk)] if anchor else []
        spans = fold_agent_states(by_agent.get(login, []), seed)
        agent_id = agents[login]
        if anchor is not None and spans and spans[0].end != anchor.end:
            anchor_ends[anchor.pk] = spans[0].end
        written += [(agent_id, s.state, s.reason, s.start, s.end) for s in spans if s.pk is None]
        if changes is not None and spans:
            last = spans[-1]
            changes.agents.append((agent_id, last.state, last.reason, last.start.timestamp()))
    update_column(AgentStateSpan, "end", anchor_ends)
    insert_rows(AgentStateSpan, ["agent_id", "state", "reason", "start", "end"], written)
    return len(written)
