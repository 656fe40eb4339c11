"""Issue 11, point 5: the same events sent twice from 4 threads, split into batches differently, gave
PostgreSQL deadlocks (500) and 29 events were never stored. Real threads, each with its own database
connection, against the real database and Redis: no error, every event stored once, the contacts as a
rebuild from the log gives them, and the live state equal to the database."""

import random
import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import OperationalError, connection

from dashboard.core.models import AgentStateSpan, Contact, Event
from dashboard.ingest import services as ingest_services
from dashboard.ingest.rebuild import state_rebuild
from dashboard.ingest.services import events_ingest
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(UTC).replace(microsecond=0)
THREADS = 4


def the_events(contacts: int, seed: int) -> list[dict]:
    """Contacts over a few queues (some new to the database) answered by a pool of agents, and the
    agents' states: events of one contact or agent end up in many batches at once."""
    rng = random.Random(seed)
    events: list[dict] = []

    def add(kind, at, **fields):
        events.append({"id": f"e{len(events)}", "type": kind, "at": at.isoformat(), **fields})

    for c in range(contacts):
        t = NOW - timedelta(seconds=rng.randint(60, 4 * 3600))
        cid = f"c{c}"
        add("contact.offered", t, contact_id=cid, queue=f"Q{c % 5}", channel="voice")
        if rng.random() < 0.8:
            agent = f"agent{rng.randrange(12)}"
            add("contact.answered", t + timedelta(seconds=20), contact_id=cid, agent=agent)
            add("agent.state", t + timedelta(seconds=20), agent=agent, state="on_contact")
            add("contact.ended", t + timedelta(seconds=200), contact_id=cid, talk_s=170)
            add("agent.state", t + timedelta(seconds=200), agent=agent, state="available")
            if rng.random() < 0.3:
                add("contact.transferred", t + timedelta(seconds=100), contact_id=cid, to_queue=f"Q{(c + 1) % 5}")
        else:
            add("contact.abandoned", t + timedelta(seconds=rng.randint(1, 90)), contact_id=cid)
    return events


def test_the_same_events_twice_from_4_threads_are_stored_once_without_error():
    source = SourceFactory(name="acd")
    events = the_events(300, seed=5)
    rng = random.Random(7)
    batches: list[list[dict]] = []
    for _round in range(2):  # every event twice, in other batches and another order
        shuffled = events[:]
        rng.shuffle(shuffled)
        i = 0
        while i < len(shuffled):
            size = rng.randint(20, 150)
            batches.append(shuffled[i : i + size])
            i += size
    rng.shuffle(batches)
    lock = threading.Lock()
    errors: list[BaseException] = []
    statuses: dict[str, int] = {"accepted": 0, "duplicate": 0, "rejected": 0}

    def work():
        try:
            while True:
                with lock:
                    if not batches:
                        return
                    batch = batches.pop()
                result = events_ingest(source=source, events=batch, now=NOW)
                with lock:
                    for r in result.results:
                        statuses[r["status"]] += 1
        except BaseException as error:  # noqa: BLE001 - any error fails the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert statuses == {"accepted": len(events), "duplicate": len(events), "rejected": 0}
    assert Event.objects.count() == len(events)
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)
    contacts = sorted(Contact.objects.values_list("contact_id", "seq", "queue__name", "answered_at", "ended_at"))
    spans = sorted(AgentStateSpan.objects.values_list("agent__login_id", "state", "start", "end"))
    state_rebuild(now=NOW)
    assert (
        sorted(Contact.objects.values_list("contact_id", "seq", "queue__name", "answered_at", "ended_at")) == contacts
    )
    assert sorted(AgentStateSpan.objects.values_list("agent__login_id", "state", "start", "end")) == spans
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)


@pytest.mark.parametrize(
    "failure",
    [
        lambda: OperationalError("deadlock detected"),
        lambda: OperationalError("database is locked"),
    ],
    ids=["postgresql_deadlock", "sqlite_locked"],
)
def test_a_batch_that_meets_a_deadlock_is_retried_and_kept(monkeypatch, failure):
    """The deadlock victim's transaction is rolled back whole; the batch is tried again and nothing is
    lost (the first attempt fails as PostgreSQL's deadlock detector or SQLite's lock timeout fails it)."""
    source = SourceFactory(name="acd")
    real_append = ingest_services._log_append
    attempts = []

    def append(*args):
        attempts.append(1)
        inserted = real_append(*args)  # the rows are in: the failure must roll them back
        if len(attempts) == 1:
            error = failure()
            cause = psycopg.errors.DeadlockDetected("deadlock detected") if "deadlock" in str(error) else None
            raise error from cause
        return inserted

    monkeypatch.setattr(ingest_services, "_log_append", append)
    events = the_events(20, seed=1)
    result = events_ingest(source=source, events=events, now=NOW)
    assert len(attempts) == 2
    assert result.accepted == len(events)
    assert Event.objects.count() == len(events)
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)


def test_a_failure_that_is_no_deadlock_is_not_retried(monkeypatch):
    source = SourceFactory(name="acd")
    attempts = []

    def append(*args):
        attempts.append(1)
        raise OperationalError("connection failed: server closed the connection unexpectedly")

    monkeypatch.setattr(ingest_services, "_log_append", append)
    with pytest.raises(OperationalError):
        events_ingest(source=source, events=the_events(2, seed=1), now=NOW)
    assert len(attempts) == 1 and Event.objects.count() == 0


def revisions(contacts: int, revision: int) -> list[dict]:
    """Revision ``revision`` of a record per contact (as Amazon Connect re-sends a contact record): the same
    call, its talk growing with the revision; ids ``<record>:<kind>@<revision>``."""
    events = []
    for c in range(contacts):
        t = NOW - timedelta(seconds=600 + c)
        for kind, at, fields in (
            ("contact.offered", t, {"queue": f"Q{c % 3}", "channel": "voice"}),
            ("contact.answered", t + timedelta(seconds=20), {"agent": f"agent{c % 4}"}),
            ("contact.ended", t + timedelta(seconds=200), {"talk_s": 100 + revision}),
        ):
            events.append({"id": f"r{c}:{kind.split('.')[1]}@{revision:04d}", "type": kind, "at": at.isoformat(),
                           "contact_id": f"c{c}", **fields})  # fmt: skip
    return events


def test_revisions_of_the_same_records_from_4_threads_leave_the_newest_counted_once():
    source = SourceFactory(name="connect", new_queues="create")
    rng = random.Random(11)
    batches = [revisions(40, r) for r in range(1, 13)] * 2  # every revision twice
    rng.shuffle(batches)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work():
        try:
            while True:
                with lock:
                    if not batches:
                        return
                    batch = batches.pop()
                events_ingest(source=source, events=batch, now=NOW, supersede=True)
        except BaseException as error:  # noqa: BLE001 - any error fails the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert Event.objects.count() == 40 * 3 and all(
        e.endswith("@0012") for e in Event.objects.values_list("event_id", flat=True)
    )
    assert set(Contact.objects.values_list("talk_s", flat=True)) == {112} and Contact.objects.count() == 40
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)
    offered = sum(q["today"]["offered"] for q in live_snapshot(now=NOW)["queues"])
    assert offered == 40


def test_a_superseding_batch_that_meets_a_deadlock_is_retried_whole(monkeypatch):
    source = SourceFactory(name="connect")
    events_ingest(source=source, events=revisions(10, 1), now=NOW, supersede=True)
    real_append = ingest_services._log_append
    attempts = []

    def append(*args):
        attempts.append(1)
        inserted = real_append(*args)
        if len(attempts) == 1:
            raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected("deadlock detected")
        return inserted

    monkeypatch.setattr(ingest_services, "_log_append", append)
    result = events_ingest(source=source, events=revisions(10, 2), now=NOW, supersede=True)
    assert len(attempts) == 2 and result.accepted == 30 and Event.objects.count() == 30
    assert set(Contact.objects.values_list("talk_s", flat=True)) == {102}
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)
