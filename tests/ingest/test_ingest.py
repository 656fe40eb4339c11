"""The ingest service against the real database and Redis: idempotence, out-of-order arrival,
partial rejection, the live state equal to a fresh computation from the database, and Redis written only
after commit (a rolled-back batch never counts; a rebuild and a batch never count it twice)."""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from dashboard.core.models import Agent, AgentStateSpan, Contact, Event, Queue
from dashboard.ingest import services as ingest_services
from dashboard.ingest.rebuild import state_rebuild
from dashboard.ingest.services import events_ingest
from dashboard.live import keys as livekeys
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from dashboard.live.services import live_rebuild
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(microsecond=0)


def at(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).isoformat()


def scenario(prefix="x"):
    """A small realistic stretch: three calls (answered, abandoned, transferred 1st → 2nd line), a
    call still waiting, and the agents' states."""
    e = []

    def add(kind, ago, **fields):
        e.append({"id": f"{prefix}{len(e)}", "type": kind, "at": at(ago), **fields})

    add("agent.state", 3600, agent="ann", state="available")
    add("agent.state", 3600, agent="bob", state="available")
    add("agent.state", 3500, agent="cas", state="available")
    add("contact.offered", 900, contact_id="c1", queue="Algemeen", channel="voice", customer_ref="K1", reason="factuur")
    add("contact.answered", 888, contact_id="c1", agent="ann")
    add("agent.state", 888, agent="ann", state="on_contact")
    add("contact.ended", 700, contact_id="c1", hold_s=15)
    add("agent.state", 700, agent="ann", state="acw")
    add("contact.wrapup_ended", 660, contact_id="c1", disposition="opgelost")
    add("agent.state", 660, agent="ann", state="paused", reason="pauze")
    add("contact.offered", 600, contact_id="c2", queue="Algemeen", channel="voice")
    add("contact.abandoned", 597, contact_id="c2")  # short abandon
    add("contact.offered", 500, contact_id="c3", queue="Algemeen", channel="voice", reason="storing")
    add("contact.answered", 470, contact_id="c3", agent="bob")
    add("agent.state", 470, agent="bob", state="on_contact")
    add("contact.transferred", 400, contact_id="c3", to_queue="Techniek")
    add("agent.state", 400, agent="bob", state="available")
    add("contact.answered", 380, contact_id="c3", agent="cas")
    add("agent.state", 380, agent="cas", state="on_contact")
    add("contact.offered", 60, contact_id="c4", queue="Algemeen", channel="voice")
    add("callback.requested", 30, contact_id="c4", promised_by=at(-7200))
    return e


@pytest.fixture
def centre():
    first = TeamFactory(name="1e lijn")
    second = TeamFactory(name="2e lijn", line="second")
    algemeen = QueueFactory(name="Algemeen", team=first)
    techniek = QueueFactory(name="Techniek", team=second, sl_threshold_s=30)
    AgentFactory(login_id="ann", team=first, skills=[algemeen])
    AgentFactory(login_id="bob", team=first, skills=[algemeen])
    AgentFactory(login_id="cas", team=second, skills=[techniek])
    return SourceFactory(name="acd")


def stored_state():
    contacts = sorted(
        Contact.objects.values_list(
            "contact_id",
            "seq",
            "queue__name",
            "offered_at",
            "answered_at",
            "abandoned_at",
            "ended_at",
            "wrapup_ended_at",
            "transferred_at",
            "agent__login_id",
            "talk_s",
            "hold_s",
            "acw_s",
            "callback_promised_by",
        )
    )
    spans = sorted(AgentStateSpan.objects.values_list("agent__login_id", "state", "reason", "start", "end"))
    return contacts, spans


def test_one_batch_gives_the_expected_contacts_and_live_figures(centre):
    result = events_ingest(source=centre, events=scenario(), now=NOW)
    assert (result.accepted, result.duplicates, result.rejected) == (len(scenario()), 0, 0)
    assert Contact.objects.count() == 5  # c1, c2, c3 in two queues, c4
    snap = live_snapshot(now=NOW)
    algemeen = next(q for q in snap["queues"] if q["name"] == "Algemeen")
    today = algemeen["today"]
    assert (today["offered"], today["answered"], today["abandoned"], today["short_abandoned"]) == (4, 2, 1, 1)
    assert today["answered_within_threshold"] == 1  # c1 after 12 s; c3 after 30 s is over 20 s
    assert today["service_level"] == 50.0  # 1 / (2 answered + 1 abandoned − 1 short)
    assert today["asa_s"] == 21.0  # (12 + 30) / 2
    assert today["transferred_out"] == 1 and today["callbacks_requested"] == 1
    assert today["handled"] == 2  # c1 ended; c3 ended in Algemeen by the transfer
    assert algemeen["waiting"] == 1 and algemeen["longest_wait_s"] == 60.0
    assert algemeen["agents"]["paused"] == 1 and algemeen["agents"]["available"] == 1
    techniek = next(q for q in snap["queues"] if q["name"] == "Techniek")
    assert techniek["today"]["offered"] == 1 and techniek["today"]["answered_within_threshold"] == 1
    assert techniek["agents"]["on_contact"] == 1
    assert algemeen["callbacks_due"] == 1 and algemeen["callbacks_overdue"] == 0
    agents = {a["login_id"]: a for t in snap["teams"] for a in t["agent_list"]}
    assert (agents["ann"]["state"], agents["ann"]["reason"], agents["ann"]["handled_today"]) == ("paused", "pauze", 1)
    assert agents["ann"]["aht_today_s"] == 228.0  # c1: 173 s talk + 15 s hold + 40 s after-call work
    assert (agents["cas"]["contact_queue"], agents["cas"]["contact_since"]) == ("Techniek", at(380))
    assert snap == live_snapshot_from_db(now=NOW)
    with_intervals = live_snapshot(now=NOW, intervals=True)
    assert with_intervals == live_snapshot_from_db(now=NOW, intervals=True)
    rows = next(q for q in with_intervals["queues"] if q["name"] == "Algemeen")["intervals"]
    assert sum(r["offered"] for r in rows) == 4 and len(rows) in (92, 96, 100)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_arrival_order_and_batching_gives_the_same_state(centre, seed):
    events = scenario()
    events_ingest(source=centre, events=events, now=NOW)
    expected_state, expected_live = stored_state(), live_snapshot(now=NOW)
    Event.objects.all().delete()
    Contact.objects.all().delete()
    AgentStateSpan.objects.all().delete()
    live_rebuild(now=NOW)

    rng = random.Random(seed)
    shuffled = events[:]
    rng.shuffle(shuffled)
    shuffled += rng.sample(events, 5)  # resent
    while shuffled:
        size = rng.randint(1, 6)
        events_ingest(source=centre, events=shuffled[:size], now=NOW)
        shuffled = shuffled[size:]
    assert stored_state() == expected_state
    assert live_snapshot(now=NOW) == expected_live == live_snapshot_from_db(now=NOW)


def test_duplicates_are_no_ops_and_reported(centre):
    events = scenario()
    events_ingest(source=centre, events=events, now=NOW)
    before = stored_state(), live_snapshot(now=NOW)
    again = events_ingest(source=centre, events=events[:3] + [events[0]], now=NOW)
    assert [r["status"] for r in again.results] == ["duplicate"] * 4
    assert "before" in again.results[0]["reason"] and "index 0" in again.results[3]["reason"]
    assert (stored_state(), live_snapshot(now=NOW)) == before
    assert Event.objects.count() == len(events)


def test_the_same_id_from_another_source_is_another_event(centre):
    other = SourceFactory(name="cti")
    event = scenario()[3]
    assert events_ingest(source=centre, events=[event]).accepted == 1
    assert events_ingest(source=other, events=[event]).accepted == 1


def test_valid_events_are_kept_when_others_are_rejected(centre):
    events = scenario()[:5]
    events.insert(2, {"id": "bad", "type": "contact.answered", "at": at(10), "contact_id": "c1"})
    result = events_ingest(source=centre, events=events, now=NOW)
    assert [r["status"] for r in result.results] == ["accepted"] * 2 + ["rejected"] + ["accepted"] * 3
    assert result.results[2] == {
        "index": 2,
        "id": "bad",
        "status": "rejected",
        "field": "agent",
        "reason": "agent: is required for contact.answered",
    }
    assert Event.objects.count() == 5


def test_unknown_queue_and_agent_are_created(centre):
    events_ingest(
        source=centre,
        events=[
            {
                "id": "n1",
                "type": "contact.offered",
                "at": at(20),
                "contact_id": "m1",
                "queue": "Nieuw",
                "channel": "whatsapp",
            },
            {"id": "n2", "type": "contact.answered", "at": at(10), "contact_id": "m1", "agent": "zoe"},
        ],
        now=NOW,
    )
    assert Queue.objects.get(name="Nieuw").channel == "whatsapp"
    assert Contact.objects.get(contact_id="acd:m1").agent == Agent.objects.get(login_id="zoe")


def test_rebuild_from_the_log_equals_live_processing(centre):
    rng = random.Random(7)
    events = scenario()
    rng.shuffle(events)
    for i in range(0, len(events), 4):
        events_ingest(source=centre, events=events[i : i + 4], now=NOW)
    state, live = stored_state(), live_snapshot(now=NOW)
    result = state_rebuild(now=NOW)
    assert result["events"] == len(events) and result["visits"] == 5
    assert stored_state() == state
    assert live_snapshot(now=NOW) == live


def test_lost_live_state_is_rebuilt_on_read(centre):
    events_ingest(source=centre, events=scenario(), now=NOW)
    live = live_snapshot(now=NOW)
    r = livekeys.client()
    r.delete(*r.scan_iter(match=f"{livekeys.root()}:*"))
    assert live_snapshot(now=NOW) == live


@pytest.mark.django_db(transaction=True)
def test_changing_a_queue_threshold_recounts_today(centre):
    events_ingest(source=centre, events=scenario(), now=NOW)
    queue = Queue.objects.get(name="Algemeen")
    before = next(q for q in live_snapshot(now=NOW)["queues"] if q["name"] == "Algemeen")["today"]
    assert before["answered_within_threshold"] == 1  # c3 waited 30 s against 20 s
    queue.sl_threshold_s = 30
    queue.save()
    after = next(q for q in live_snapshot(now=NOW)["queues"] if q["name"] == "Algemeen")["today"]
    assert after["answered_within_threshold"] == 2
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)


# --- Redis after commit ---------------------------------------------------------------------------


def live_keys() -> dict[str, str]:
    """Every live-state key and its type."""
    r = livekeys.client()
    return {key: r.type(key) for key in r.scan_iter(match=f"{livekeys.root()}:*")}


def algemeen(snapshot) -> dict:
    return next(q for q in snapshot["queues"] if q["name"] == "Algemeen")


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_commit_fails_never_reaches_redis(centre, monkeypatch):
    live_rebuild(now=NOW)  # a complete live state: nothing below is hidden by a rebuild on read
    before = live_keys()
    derive = ingest_services.state_apply

    def derive_then_dangle(new_events, *, now, **options):
        changes = derive(new_events, now=now, **options)
        # A span of an agent that does not exist: foreign keys are checked at commit (deferred on
        # SQLite and PostgreSQL alike), so the commit fails after everything in the block has run.
        AgentStateSpan.objects.create(agent_id=10**9, state="available", start=now)
        return changes

    monkeypatch.setattr(ingest_services, "state_apply", derive_then_dangle)
    failed = events_ingest(source=centre, events=scenario(), now=NOW)
    monkeypatch.undo()
    # Every attempt fails at commit, down to single events: each is rejected, saying why.
    assert {(r["status"], r["field"]) for r in failed.results} == {("rejected", "event")}
    assert all("IntegrityError" in r["reason"] for r in failed.results)
    assert not Event.objects.exists() and not Contact.objects.exists()
    # No counters, no waiting contacts, no agents; and the state is still marked complete.
    assert live_keys() == before and livekeys.loaded_key() in before

    result = events_ingest(source=centre, events=scenario(), now=NOW)
    assert result.accepted == len(scenario())
    assert livekeys.client().exists(livekeys.loaded_key())  # the figures below are the batch's own writes
    assert int(livekeys.client().get(livekeys.applied_key())) >= result.live_version
    snap = live_snapshot(now=NOW)
    queue = algemeen(snap)
    assert (queue["today"]["offered"], queue["today"]["answered"], queue["waiting"]) == (4, 2, 1)
    assert snap == live_snapshot_from_db(now=NOW)


def test_a_batch_reaching_redis_after_a_rebuild_that_read_it_counts_once(centre, monkeypatch):
    events = scenario()
    events_ingest(source=centre, events=events, now=NOW)
    expected = live_snapshot(now=NOW)
    Event.objects.all().delete()
    Contact.objects.all().delete()
    AgentStateSpan.objects.all().delete()
    live_rebuild(now=NOW)
    apply = ingest_services.live_apply

    def rebuild_then_apply(changes):
        live_rebuild(now=NOW)  # begins after the batch committed, so it reads the batch from the database
        apply(changes)  # and the batch's own changes arrive late: fenced off

    monkeypatch.setattr(ingest_services, "live_apply", rebuild_then_apply)
    first = events_ingest(source=centre, events=events[:12], now=NOW)
    monkeypatch.undo()
    r = livekeys.client()
    assert first.live_version < int(r.get(livekeys.rebuilt_key())) <= int(r.get(livekeys.applied_key()))
    assert r.exists(livekeys.loaded_key())
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)

    second = events_ingest(source=centre, events=events[12:], now=NOW)  # after the rebuild: counted on top
    assert second.live_version > int(r.get(livekeys.rebuilt_key()))
    assert r.exists(livekeys.loaded_key())
    assert live_snapshot(now=NOW) == expected == live_snapshot_from_db(now=NOW)


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_waiting_on_an_open_batch_neither_loses_nor_doubles_it(centre, monkeypatch):
    """Real concurrency: a batch holds its transaction open while a rebuild starts in another thread.
    The rebuild waits for the log (PostgreSQL's table lock, SQLite's write lock); the batch commits and
    writes Redis while the rebuild runs. Whichever reaches Redis first, the batch counts once."""
    live_rebuild(now=NOW)
    logged, release = threading.Event(), threading.Event()
    derive = ingest_services.state_apply

    def derive_and_wait(new_events, *, now, **options):
        changes = derive(new_events, now=now, **options)
        logged.set()
        assert release.wait(10)
        return changes

    monkeypatch.setattr(ingest_services, "state_apply", derive_and_wait)
    errors = []

    def run(work):
        try:
            work()
        except Exception as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    batch = threading.Thread(target=run, args=(lambda: events_ingest(source=centre, events=scenario(), now=NOW),))
    rebuild = threading.Thread(target=run, args=(lambda: live_rebuild(now=NOW),))
    batch.start()
    assert logged.wait(10)
    rebuild.start()
    rebuild.join(0.5)
    assert rebuild.is_alive()  # waiting for the batch's transaction
    release.set()
    batch.join(30)
    rebuild.join(30)
    monkeypatch.undo()
    assert not errors
    assert livekeys.client().exists(livekeys.loaded_key())
    snap = live_snapshot(now=NOW)
    assert algemeen(snap)["today"]["offered"] == 4
    assert snap == live_snapshot_from_db(now=NOW)


def _revised(revision: str, ago_end: int, talk: float, *, contact="r1", record="rec1", queue="Algemeen") -> list[dict]:
    def ev(kind, ago, **fields):
        return {"id": f"{record}:{kind.split('.')[1]}@{revision}", "type": kind, "at": at(ago), "contact_id": contact,
                **fields}  # fmt: skip

    return [ev("contact.offered", 600, queue=queue, channel="voice"), ev("contact.answered", 590, agent="ann"),
            ev("contact.ended", ago_end, talk_s=talk)]  # fmt: skip


def test_supersede_keeps_only_the_newest_revision_of_a_record_whatever_the_order():
    source = SourceFactory()
    QueueFactory(name="Algemeen")
    AgentFactory(login_id="ann")
    first = events_ingest(source=source, events=_revised("2", 400, 150.0), supersede=True)
    assert first.accepted == 3
    newer = events_ingest(source=source, events=_revised("3", 300, 250.0), supersede=True)
    assert newer.accepted == 3
    (call,) = Contact.objects.all()
    assert call.talk_s == 250 and Event.objects.count() == 3
    older = events_ingest(source=source, events=_revised("1", 500, 50.0), supersede=True)
    assert (older.accepted, older.duplicates) == (0, 3)
    assert "newer revision" in older.results[0]["reason"] and Contact.objects.get().talk_s == 250
    both = events_ingest(source=source, events=_revised("5", 200, 350.0) + _revised("4", 250, 300.0), supersede=True)
    assert (both.accepted, both.duplicates) == (3, 3) and Contact.objects.get().talk_s == 350
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)
    today = next(q for q in live_snapshot(now=NOW)["queues"] if q["name"] == "Algemeen")["today"]
    assert (today["offered"], today["answered"]) == (1, 1)


def test_without_supersede_or_without_a_revision_nothing_is_replaced():
    source = SourceFactory()
    QueueFactory(name="Algemeen")
    AgentFactory(login_id="ann")
    events_ingest(source=source, events=_revised("2", 400, 150.0))
    events_ingest(source=source, events=_revised("3", 300, 250.0))  # no supersede: both revisions stay logged
    assert Event.objects.count() == 6 and Contact.objects.get().talk_s == 150  # the first end stands
    plain = [{"id": "p1", "type": "contact.offered", "at": at(100), "contact_id": "r1", "queue": "Algemeen",
              "channel": "voice"}]  # fmt: skip
    events_ingest(source=source, events=_revised("9", 200, 1.0, record="other"), supersede=True)
    events_ingest(source=source, events=plain, supersede=True)
    assert Event.objects.count() == 10  # another record of the contact, and an id without a revision: kept


def test_a_refused_contact_keeps_the_older_revision_in_the_log(settings):
    source = SourceFactory()
    QueueFactory(name="Algemeen")
    AgentFactory(login_id="ann")
    events_ingest(source=source, events=_revised("2", 400, 150.0), supersede=True)
    settings.KCC_CONTACT_MAX_EVENTS = 2  # the newer revision's 3 events are one too many
    result = events_ingest(source=source, events=_revised("3", 300, 250.0), supersede=True)
    assert result.rejected == 3
    assert sorted(Event.objects.values_list("event_id", flat=True)) == sorted(e["id"] for e in _revised("2", 0, 0))
    assert Contact.objects.get().talk_s == 150
