"""The ACD simulator: determinism, event validity, and the realism the wallboard demo relies on.

The engine tests need no database: they run a hand-built centre the size of the demo (8 queues, 42
agents). Only the last test, of the demo configuration loader, uses the database.
"""

import time as clock
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.core.errors import FieldError
from dashboard.ingest.schema import Limits, validate_event
from dashboard.simulator.engine import AgentSpec, CentreSpec, QueueSpec, Simulator, generate

TZ = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2025, 3, 3, tzinfo=TZ)
TUESDAY = MONDAY + timedelta(days=1)
CHANNELS = {"voice", "email", "chat", "whatsapp", "social", "sms", "video", "callback", "letter", "counter"}
AGENT_STATES = {"logged_out", "available", "on_contact", "acw", "paused"}
REQUIRED = {
    "contact.offered": {"contact_id", "queue", "channel"},
    "contact.answered": {"contact_id", "agent"},
    "contact.abandoned": {"contact_id"},
    "contact.transferred": {"contact_id"},
    "contact.ended": {"contact_id"},
    "contact.wrapup_ended": {"contact_id"},
    "callback.requested": {"contact_id", "promised_by"},
    "callback.completed": {"contact_id"},
    "agent.state": {"agent", "state"},
}
OPTIONAL = {
    "contact.offered": {"customer_ref", "reason"},
    "contact.transferred": {"to_queue", "to_agent"},
    "contact.ended": {"talk_s", "hold_s"},
    "contact.wrapup_ended": {"disposition"},
    "agent.state": {"reason"},
}


def demo_sized_centre() -> CentreSpec:
    """A centre like the demo configuration: 1st line on two voice queues with overflow and callbacks,
    a 2nd line that also takes the overflow queue, webcare on chat and WhatsApp, a back office on e-mail."""
    customer_hours = {d: [(time(8), time(20))] for d in range(5)} | {5: [(time(9), time(17))]}
    second_line_hours = {d: [(time(8), time(18))] for d in range(5)}
    office_hours = {d: [(time(8), time(17, 30))] for d in range(5)}
    first, second, webcare, back = "Klantenservice 1e lijn", "Specialisten 2e lijn", "Webcare & Chat", "Backoffice"
    queues = [
        QueueSpec("Algemeen", "voice", first, "first", 20, None, None, customer_hours),
        QueueSpec("Facturen", "voice", first, "first", 20, "Algemeen", 120, customer_hours),
        QueueSpec("Terugbellen", "callback", first, "first", 7200, None, None, customer_hours),
        QueueSpec("Techniek 2e lijn", "voice", second, "second", 30, None, None, second_line_hours),
        QueueSpec("Chat", "chat", webcare, "first", 45, None, None, customer_hours),
        QueueSpec("WhatsApp", "whatsapp", webcare, "first", 3600, None, None, customer_hours),
        QueueSpec("E-mail", "email", back, "back_office", 28800, None, None, office_hours),
        QueueSpec("Backoffice E-mail", "email", back, "back_office", 86400, None, None, office_hours),
    ]
    agents = []
    for n in range(1, 21):
        skills = ["Algemeen", "Facturen", "Terugbellen"]
        skills += ["WhatsApp"] if n % 4 == 0 else []
        skills += ["Chat"] if n % 5 == 1 else []
        agents.append(AgentSpec(f"kl{n:02d}", first, "first", skills))
    agents += [AgentSpec(f"sp{n:02d}", second, "second", ["Techniek 2e lijn", "Algemeen"]) for n in range(1, 9)]
    agents += [
        AgentSpec(f"wc{n:02d}", webcare, "first", ["Chat", "WhatsApp"] + (["E-mail"] if n > 4 else []))
        for n in range(1, 7)
    ]
    agents += [
        AgentSpec(f"bo{n:02d}", back, "back_office", ["E-mail", "Backoffice E-mail"] + (["WhatsApp"] if n > 6 else []))
        for n in range(1, 9)
    ]
    return CentreSpec(queues=queues, agents=agents, tz=TZ)


@pytest.fixture(scope="module")
def centre() -> CentreSpec:
    return demo_sized_centre()


@pytest.fixture(scope="module")
def tuesday(centre) -> list[dict]:
    """A whole ordinary weekday, seed 1."""
    return generate(centre, 1, TUESDAY, TUESDAY + timedelta(days=1))


@pytest.fixture(scope="module")
def week(centre) -> list[dict]:
    """Monday to Sunday, seed 2: enough contacts for the rarer things (late callbacks, weekend)."""
    return generate(centre, 2, MONDAY, MONDAY + timedelta(days=7))


def at(event: dict) -> datetime:
    return datetime.fromisoformat(event["at"])


def of_type(events: list[dict], type_: str) -> list[dict]:
    return [e for e in events if e["type"] == type_]


def visits(events: list[dict]) -> dict[str, list[tuple[str, datetime]]]:
    """Per contact, the queues it was in and when it entered each."""
    result = defaultdict(list)
    for e in events:
        if e["type"] == "contact.offered":
            result[e["contact_id"]].append((e["queue"], at(e)))
        elif e["type"] == "contact.transferred":
            result[e["contact_id"]].append((e["to_queue"], at(e)))
    return result


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_the_same_events(centre, tuesday):
    assert generate(centre, 1, TUESDAY, TUESDAY + timedelta(days=1)) == tuesday


def test_a_different_seed_gives_different_events(centre, tuesday):
    other = generate(centre, 2, TUESDAY, TUESDAY + timedelta(days=1))
    assert [(e["type"], e["at"]) for e in other] != [(e["type"], e["at"]) for e in tuesday]


def test_running_in_steps_gives_the_same_events_as_at_once(centre, tuesday):
    """Real-time operation calls run_until every half second; the result must not depend on that."""
    simulator = Simulator(centre, 1, TUESDAY)
    stepped = []
    moment = TUESDAY
    for step_s in [1, 0.5, 3600, 17, 7 * 3600, 900, 61, 86400]:
        moment = min(moment + timedelta(seconds=step_s), TUESDAY + timedelta(days=1))
        stepped += simulator.run_until(moment)
    assert stepped == tuesday
    assert simulator.run_until(TUESDAY) == []  # going back in time yields nothing


def test_ids_are_unique_and_name_seed_and_start(tuesday, centre):
    ids = [e["id"] for e in tuesday]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("sim1-20250303230000-") for i in ids)  # start in UTC
    other_start = generate(centre, 1, TUESDAY + timedelta(hours=1), TUESDAY + timedelta(hours=12))
    assert not set(ids) & {e["id"] for e in other_start}
    contact_ids = {e["contact_id"] for e in of_type(tuesday, "contact.offered")}
    assert all(c.startswith("C1-20250303230000-") for c in contact_ids)


def test_start_must_be_aware(centre):
    with pytest.raises(ValueError, match="aware"):
        Simulator(centre, 1, datetime(2025, 3, 4))


def test_a_spec_naming_unknown_queues_is_refused():
    with pytest.raises(ValueError, match="not queues"):
        CentreSpec(queues=[QueueSpec("A", "voice")], agents=[AgentSpec("x", skills=["B"])])
    with pytest.raises(ValueError, match="overflow"):
        CentreSpec(queues=[QueueSpec("A", "voice", overflow_queue="B", overflow_after_s=60)], agents=[])


# --- event validity ------------------------------------------------------------------------------


def test_every_event_has_the_fields_the_ingest_takes(tuesday):
    assert tuesday
    for e in tuesday:
        assert {"id", "type", "at"} <= e.keys()
        fields = e.keys() - {"id", "type", "at"}
        assert REQUIRED[e["type"]] <= fields, e
        assert fields <= REQUIRED[e["type"]] | OPTIONAL.get(e["type"], set()), e
        moment = at(e)
        assert moment.utcoffset() == TUESDAY.utcoffset(), e  # local time with the centre's offset
        if e["type"] == "contact.offered":
            assert e["channel"] in CHANNELS and e["reason"]
        if e["type"] == "contact.transferred":
            assert e["to_queue"]
        if e["type"] == "contact.ended":
            assert isinstance(e["talk_s"], float) and e["talk_s"] > 0 and e["hold_s"] >= 0
        if e["type"] == "callback.requested":
            assert datetime.fromisoformat(e["promised_by"]) - moment == timedelta(hours=2)
        if e["type"] == "agent.state":
            assert e["state"] in AGENT_STATES
            assert ("reason" in e) == (e["state"] == "paused" or e.get("reason") == "terugbellen"), e


def test_the_ingest_validation_accepts_every_event(tuesday):
    """Every event of a whole day passes the ingest's validation, and passes unchanged: nothing rejected,
    no field dropped or altered on the way in."""
    assert len(tuesday) > 1_000 and {e["type"] for e in tuesday} == set(REQUIRED)  # every kind of event
    rejected, altered = [], []
    limits = Limits.at(max(at(e) for e in tuesday))  # the day is history: judged as on the day it happened
    for e in tuesday:
        try:
            valid = validate_event(e, limits)
        except FieldError as error:
            rejected.append((e["id"], error.field, error.message))
            continue
        fields = {k: v for k, v in e.items() if k not in ("id", "type", "at")}
        seen = (valid.event_id, valid.type, valid.at, valid.contact_id, valid.agent, valid.payload)
        if seen != (e["id"], e["type"], at(e), e.get("contact_id"), e.get("agent"), fields):
            altered.append(e)
    assert rejected == []
    assert altered == []


def test_events_are_in_time_order_within_the_window(tuesday):
    moments = [at(e) for e in tuesday]
    assert moments == sorted(moments)
    assert TUESDAY <= moments[0] and moments[-1] < TUESDAY + timedelta(days=1)


# Per contact: the events allowed in each state of its life and the state each one leads to.
CONTACT_LIFE = {
    "new": {"contact.offered": "waiting"},
    "waiting": {
        "contact.answered": "talking",
        "contact.abandoned": "done",
        "contact.transferred": "waiting",  # overflow
        "callback.requested": "callback",
    },
    "callback": {"contact.transferred": "callback_queue"},
    "callback_queue": {"contact.answered": "callback_answered"},
    "callback_answered": {"callback.completed": "talking"},
    "talking": {"contact.ended": "ended", "contact.transferred": "waiting"},  # 1st → 2nd line
    "ended": {"contact.wrapup_ended": "done"},
    "done": {},
}


def test_each_contacts_events_come_in_a_valid_order(week):
    state = defaultdict(lambda: "new")
    for e in week:
        if e["type"] == "agent.state":
            continue
        contact = e["contact_id"]
        allowed = CONTACT_LIFE[state[contact]]
        assert e["type"] in allowed, f"{e['type']} of {contact} while {state[contact]}"
        state[contact] = allowed[e["type"]]
    finals = Counter(state.values())
    assert finals["done"] > 0.9 * sum(finals.values())  # the rest is still busy at the end of the week


# Agent states: what may follow what (a repeat of the same state and reason is never published).
AGENT_NEXT = {
    "logged_out": {"available"},
    "available": {"on_contact", "paused", "logged_out"},
    "on_contact": {"acw"},
    "acw": {"available", "paused", "logged_out"},
    "paused": {"available", "paused", "logged_out"},
}


def test_agent_states_change_plausibly(week):
    """An agent logs in before taking contacts, answers only when available (or dialling a callback),
    handles one contact at a time, and never answers while logged out or paused."""
    state = defaultdict(lambda: ("logged_out", None))
    busy_with = {}
    for e in week:
        if e["type"] == "agent.state":
            previous = state[e["agent"]]
            current = (e["state"], e.get("reason"))
            assert current != previous, e
            assert current[0] in AGENT_NEXT[previous[0]] or current[0] == previous[0], (previous, e)
            state[e["agent"]] = current
        elif e["type"] == "contact.answered":
            agent = e["agent"]
            assert state[agent] in {("available", None), ("on_contact", "terugbellen")}, (state[agent], e)
            assert agent not in busy_with, e
            busy_with[agent] = e["contact_id"]
        elif e["type"] in ("contact.ended", "contact.transferred"):
            agent = next((a for a, c in busy_with.items() if c == e["contact_id"]), None)
            if agent is not None:
                assert state[agent][0] == "on_contact", e
                del busy_with[agent]


def test_agents_work_shifts_with_breaks_and_lunch(tuesday):
    states = of_type(tuesday, "agent.state")
    reasons = Counter(e.get("reason") for e in states if e["state"] == "paused")
    assert reasons["pauze"] > 30 and reasons["lunch"] > 15
    logins = [at(e) for e in states if e["state"] == "available"]
    first_login = min(logins)
    assert time(7, 40) <= first_login.time() <= time(8, 0)
    logged_out = {e["agent"] for e in states if e["state"] == "logged_out"}
    assert len(logged_out) >= 30  # most of the 42 agents worked, and every shift ends


# --- realism -------------------------------------------------------------------------------------


def test_arrivals_peak_in_the_morning(tuesday):
    offered = of_type(tuesday, "contact.offered")
    morning = sum(1 for e in offered if 9 <= at(e).hour < 12) / 3
    evening = sum(1 for e in offered if 18 <= at(e).hour < 20) / 2
    assert morning > 2.5 * evening


def test_voice_and_chat_arrive_only_while_open_email_also_at_night(week):
    for e in of_type(week, "contact.offered"):
        moment = at(e)
        if e["channel"] in ("voice", "chat"):
            assert moment.weekday() < 6, e
            opens, closes = (time(9), time(17)) if moment.weekday() == 5 else (time(8), time(20))
            if e["queue"] == "Techniek 2e lijn":
                opens, closes = time(8), time(18)
            assert opens <= moment.time() < closes, e
    async_at_night = [e for e in of_type(week, "contact.offered") if e["channel"] == "email" and at(e).hour < 6]
    sunday_mail = [e for e in of_type(week, "contact.offered") if e["channel"] == "email" and at(e).weekday() == 6]
    assert async_at_night and sunday_mail


def test_monday_is_busier_than_friday_and_the_weekend_is_quiet(week):
    per_day = Counter(at(e).weekday() for e in of_type(week, "contact.offered"))
    assert per_day[0] > per_day[4] > per_day[5] > per_day[6]


def test_voice_talk_time_is_plausible(tuesday):
    voice = {e["contact_id"] for e in of_type(tuesday, "contact.offered") if e["channel"] == "voice"}
    talk = [e["talk_s"] for e in of_type(tuesday, "contact.ended") if e["contact_id"] in voice]
    assert len(talk) > 500
    assert 180 <= sum(talk) / len(talk) <= 300
    held = [e["hold_s"] for e in of_type(tuesday, "contact.ended") if e["contact_id"] in voice and e["hold_s"] > 0]
    assert 0.05 * len(talk) < len(held) < 0.5 * len(talk)


def test_after_call_work_follows_each_handled_contact(tuesday):
    ended = {e["contact_id"]: at(e) for e in of_type(tuesday, "contact.ended")}
    acw = [(at(e) - ended[e["contact_id"]]).total_seconds() for e in of_type(tuesday, "contact.wrapup_ended")]
    assert acw and min(acw) > 0
    assert 20 <= sum(acw) / len(acw) <= 90


def test_some_callers_abandon_some_within_seconds(tuesday):
    entered = visits(tuesday)
    waits = [(at(e) - entered[e["contact_id"]][-1][1]).total_seconds() for e in of_type(tuesday, "contact.abandoned")]
    offered = len(of_type(tuesday, "contact.offered"))
    assert 0.01 * offered < len(waits) < 0.2 * offered
    assert any(w < 5 for w in waits) and any(w > 60 for w in waits)


def test_facturen_overflows_to_algemeen_after_two_minutes(week):
    entered = visits(week)
    overflows = [
        e
        for e in of_type(week, "contact.transferred")
        if e["to_queue"] == "Algemeen" and entered[e["contact_id"]][0][0] == "Facturen"
    ]
    assert overflows
    for e in overflows:
        assert (at(e) - entered[e["contact_id"]][0][1]) == timedelta(seconds=120)


def test_first_line_transfers_some_calls_to_the_second_line(tuesday):
    answered = {e["contact_id"]: e["agent"] for e in of_type(tuesday, "contact.answered")}
    to_second = [e for e in of_type(tuesday, "contact.transferred") if e["to_queue"] == "Techniek 2e lijn"]
    first_line_answered = [c for c, agent in answered.items() if agent.startswith("kl")]
    assert 0.03 * len(first_line_answered) < len(to_second) < 0.15 * len(first_line_answered)
    # a transferred caller waits again and a 2nd-line agent answers
    answered_after = defaultdict(list)
    for e in of_type(tuesday, "contact.answered"):
        answered_after[e["contact_id"]].append(e["agent"])
    second_line = [answered_after[e["contact_id"]][-1] for e in to_second if len(answered_after[e["contact_id"]]) == 2]
    assert second_line and all(agent.startswith("sp") for agent in second_line)


def test_callbacks_are_requested_and_mostly_kept(week):
    requested = {e["contact_id"]: datetime.fromisoformat(e["promised_by"]) for e in of_type(week, "callback.requested")}
    completed = {e["contact_id"]: at(e) for e in of_type(week, "callback.completed")}
    assert len(requested) > 20
    assert set(completed) <= set(requested)
    late = [c for c, moment in completed.items() if moment > requested[c]]
    assert 0 < len(late) < 0.3 * len(completed)
    # the callback waits in the callback queue
    entered = visits(week)
    assert all(entered[c][-1][0] == "Terugbellen" for c in completed)


def test_no_callbacks_without_a_callback_queue(centre):
    queues = [q for q in centre.queues if q.channel != "callback"]
    agents = [AgentSpec(a.login_id, a.team, a.line, [s for s in a.skills if s != "Terugbellen"]) for a in centre.agents]
    events = generate(CentreSpec(queues, agents, TZ), 1, MONDAY, MONDAY + timedelta(days=1))
    assert not of_type(events, "callback.requested")


def test_contacts_have_reasons_and_some_customers_come_back(week):
    offered = of_type(week, "contact.offered")
    reasons = Counter(e["reason"] for e in offered)
    assert {"factuur", "storing", "adreswijziging", "opzeggen", "bestelling"} <= reasons.keys()
    refs = Counter(e["customer_ref"] for e in offered if "customer_ref" in e)
    repeaters = [r for r, n in refs.items() if n > 1]
    assert 0.03 * len(refs) < len(repeaters) < 0.4 * len(refs)
    assert sum(1 for e in offered if "customer_ref" not in e) > 0  # some callers are not identified


def test_a_weekday_of_the_demo_centre_generates_in_well_under_two_seconds(centre):
    started = clock.perf_counter()
    events = generate(centre, 3, MONDAY, MONDAY + timedelta(days=1))
    elapsed = clock.perf_counter() - started
    assert len(of_type(events, "contact.offered")) > 1500
    assert elapsed < 2.0, f"{elapsed:.2f} s for {len(events)} events"


def test_a_centre_open_around_the_clock_and_a_dst_change_work():
    """No opening hours means always open; the night the clocks go back has 25 hours."""
    spec = CentreSpec(
        queues=[QueueSpec("Nacht", "voice", volume_per_day=200)], agents=[AgentSpec("n1", skills=["Nacht"])], tz=TZ
    )
    change = datetime(2025, 10, 26, tzinfo=TZ)
    events = generate(spec, 1, change, change + timedelta(days=1))
    offered = of_type(events, "contact.offered")
    assert any(at(e).hour < 6 for e in offered)
    moments = [at(e) for e in events]
    assert moments == sorted(moments)
    assert {m.utcoffset() for m in moments} == {timedelta(hours=1), timedelta(hours=2)}


# --- the demo configuration ----------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_config_load_is_idempotent():
    from dashboard.core.models import KPI, Agent, Queue
    from dashboard.simulator.demo import demo_config_load
    from dashboard.simulator.spec import centre_spec_from_db

    first = demo_config_load()
    assert first["created"]["queues"] == first["queues"] >= 6
    assert 45 <= first["agents"] <= 55
    second = demo_config_load()
    assert {k: v for k, v in second.items() if k != "created"} == {k: v for k, v in first.items() if k != "created"}
    assert not any(second["created"].values())

    facturen = Queue.objects.get(name="Facturen")
    assert facturen.overflow_queue.name == "Algemeen" and facturen.overflow_after_s == 120
    sl = KPI.objects.get(code=KPI.Code.SERVICE_LEVEL, queue=None)
    assert (sl.target, sl.warning, sl.critical, sl.higher_is_better) == (80, 75, 65, True)
    assert Agent.objects.filter(skills__name="Techniek 2e lijn").exists()

    spec = centre_spec_from_db()
    assert len(spec.queues) == first["queues"] and len(spec.agents) == first["agents"]
    events = generate(spec, 1, TUESDAY, TUESDAY + timedelta(hours=12))
    assert of_type(events, "contact.answered") and of_type(events, "callback.requested")
