"""The demo lives around the clock (issue 9, point 6): at 03:10 the demo showed every tile at 0 and every
agent logged out. The demo centre has a 24/7 line (Storingen) with a rota of early, late and night
shifts; the day queues stay closed at night."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from dashboard.simulator.engine import AgentSpec, CentreSpec, QueueSpec, Simulator, generate
from tests.simulator.test_simulator import TUESDAY, TZ, at, demo_sized_centre, of_type

NIGHT_QUEUE = "Storingen"


def with_night_line(rota_agents: int = 8) -> CentreSpec:
    """The demo-sized centre with a 24/7 voice queue (no opening hours) and its own small team."""
    centre = demo_sized_centre()
    centre.queues.append(QueueSpec(NIGHT_QUEUE, "voice", "Storingsdienst 24/7", "first", 20))
    centre.agents += [
        AgentSpec(f"st{n:02d}", "Storingsdienst 24/7", "first", [NIGHT_QUEUE]) for n in range(1, rota_agents + 1)
    ]
    return CentreSpec(queues=centre.queues, agents=centre.agents, tz=TZ)


def logged_in_minutes(events: list[dict], start: datetime, end: datetime) -> dict[str, set[datetime]]:
    """Per agent, the whole minutes of [start, end) in which it was logged in (from its agent.state events)."""
    changes = defaultdict(list)
    for e in of_type(events, "agent.state"):
        changes[e["agent"]].append((at(e), e["state"]))
    out = {}
    for agent, states in changes.items():
        minutes = set()
        for (since, state), (until, _) in zip(states, states[1:] + [(end, None)], strict=True):
            if state == "logged_out":
                continue
            moment = max(since, start).replace(second=0, microsecond=0)
            while moment < min(until, end):
                minutes.add(moment)
                moment += timedelta(minutes=1)
        out[agent] = minutes
    return out


def test_a_night_start_finds_the_night_shift_at_work_and_the_day_queues_closed():
    """Started at 03:10, as the demo was seen: the 24/7 queue is offered and answered calls and has agents
    logged in from the first minute until 06:00; the day queues have no calls, no answers, no agents."""
    start = datetime.combine(TUESDAY.date(), time(3, 10), TZ)
    end = datetime.combine(TUESDAY.date(), time(6), TZ)
    events = generate(with_night_line(), 1, start, end)
    queue_of = {e["contact_id"]: e["queue"] for e in of_type(events, "contact.offered")}
    night_offered = [e for e in of_type(events, "contact.offered") if e["queue"] == NIGHT_QUEUE]
    night_answered = [e for e in of_type(events, "contact.answered") if queue_of.get(e["contact_id"]) == NIGHT_QUEUE]
    assert len(night_offered) >= 3 and len(night_answered) >= 2, (len(night_offered), len(night_answered))
    minutes = logged_in_minutes(events, start, end)
    night_shift = {a for a, m in minutes.items() if m and a.startswith("st")}
    assert night_shift, minutes.keys()
    covered = set().union(*(minutes[a] for a in night_shift))
    assert start.replace(second=0) in covered  # at work from the first minute, not from 23:00 tomorrow
    assert len(covered) >= 0.9 * (end - start).total_seconds() / 60
    # the day queues: voice and chat closed, nobody logged in, nothing answered (e-mail may arrive)
    day_agents = {a for a, m in minutes.items() if m and not a.startswith("st")}
    assert day_agents == set()
    sync_day_queues = {"Algemeen", "Facturen", "Techniek 2e lijn", "Chat", "Terugbellen"}
    assert not [e for e in of_type(events, "contact.offered") if e["queue"] in sync_day_queues]
    assert {queue_of.get(e["contact_id"]) for e in of_type(events, "contact.answered")} == {NIGHT_QUEUE}
    # nor is a night caller promised a callback that nobody works before the morning
    assert not of_type(events, "callback.requested")


def test_the_rota_covers_every_hour_of_a_week_and_nights_stay_on_nights():
    events = generate(with_night_line(), 2, TUESDAY, TUESDAY + timedelta(days=7))
    minutes = logged_in_minutes(events, TUESDAY, TUESDAY + timedelta(days=7))
    rota = {a: m for a, m in minutes.items() if a.startswith("st")}
    covered = set().union(*rota.values())
    hours = {m.replace(minute=0) for m in covered}
    every_hour = {TUESDAY + timedelta(hours=h) for h in range(7 * 24)}
    # DST-free week: local hours are hours; a shift change may leave a minute or two, never an hour
    assert every_hour - hours == set()
    # st07 and st08 work nights (23:00–07:00 and the closing of a contact), st01–st04 days
    for agent in ("st07", "st08"):
        assert all(m.hour >= 22 or m.hour < 8 for m in rota[agent]), agent
    for agent in ("st01", "st02", "st03", "st04"):  # an agent may log in a few minutes before 07:00
        assert all(time(6, 50) <= m.time() and m.hour < 16 for m in rota[agent]), agent
    queue_of = {e["contact_id"]: e["queue"] for e in of_type(events, "contact.offered")}
    answered_by_hour = defaultdict(int)
    for e in of_type(events, "contact.answered"):
        if queue_of.get(e["contact_id"]) == NIGHT_QUEUE:
            answered_by_hour[at(e).hour] += 1
    assert all(answered_by_hour[h] > 0 for h in range(24)), dict(answered_by_hour)
    # the night is quieter than the morning, as the intraday profile says
    assert sum(answered_by_hour[h] for h in range(0, 6)) < sum(answered_by_hour[h] for h in range(9, 15))


def test_without_a_queue_open_around_the_clock_nothing_changes_at_night():
    """The rota is only for agents whose queues are all open around the clock: the demo-sized centre
    without one has no agent logged in at night."""
    events = Simulator(demo_sized_centre(), 1, TUESDAY).run_until(TUESDAY + timedelta(hours=6))
    assert of_type(events, "agent.state") == []
    assert of_type(events, "contact.answered") == []


@pytest.mark.django_db
def test_simulate_from_a_night_start_shows_the_24_7_queue_live_and_the_day_queues_quiet(monkeypatch):
    """``manage.py simulate --start <night> --backfill-days 0 --no-live`` on the demo centre, stopped at
    06:00: the 24/7 queue offered and answered calls and has agents logged in, in the database and in
    the wallboard's snapshot at 06:00; the day queues have no agents and no answered contact."""
    from dashboard.core.models import Agent, AgentStateSpan, Contact, Queue
    from dashboard.live.selectors import live_snapshot_from_db
    from dashboard.management.commands import simulate
    from dashboard.simulator.demo import DEMO_QUEUES, demo_config_load

    demo_config_load()
    night = date.today() - timedelta(days=8)
    start = datetime.combine(night, time(0), TZ)
    stop = datetime.combine(night, time(6), TZ)
    monkeypatch.setattr(simulate, "timezone", SimpleNamespace(now=lambda: stop))
    call_command("simulate", "--start", start.isoformat(), "--backfill-days", "0", "--no-live", stdout=StringIO())

    around_the_clock = {name for name, *_, hours in DEMO_QUEUES if not hours}
    assert around_the_clock == {"Storingen"}
    storingen = Queue.objects.get(name="Storingen")
    night_contacts = Contact.objects.filter(queue=storingen, offered_at__gte=start, offered_at__lt=stop)
    assert night_contacts.count() >= 5 and night_contacts.exclude(answered_at=None).count() >= 3
    day_queues = Queue.objects.exclude(pk=storingen.pk)
    assert not Contact.objects.filter(queue__in=day_queues).exclude(answered_at=None).exists()
    assert not Contact.objects.filter(queue__in=day_queues.filter(channel__in=["voice", "chat", "callback"])).exists()
    logged_in = AgentStateSpan.objects.exclude(state="logged_out")
    night_agents = set(logged_in.values_list("agent__login_id", flat=True))
    assert night_agents and night_agents <= set(
        Agent.objects.filter(skills=storingen).values_list("login_id", flat=True)
    )

    snapshot = live_snapshot_from_db(now=stop - timedelta(seconds=1))
    tiles = {q["name"]: q for q in snapshot["queues"]}
    assert tiles["Storingen"]["agents"]["logged_in"] >= 1
    assert tiles["Storingen"]["today"]["offered"] >= 5 and tiles["Storingen"]["today"]["answered"] >= 3
    for name, tile in tiles.items():
        if name != "Storingen":
            assert tile["agents"]["logged_in"] == 0 and tile["today"]["answered"] == 0, name


def test_a_night_shift_does_not_go_on_break_all_at_once():
    """Seen at 03:38 in the demo: both night agents on lunch together, the 24/7 line unstaffed for half an
    hour. Colleagues on one rota shift take their breaks apart: over a week of nights, at almost no
    minute is every night agent paused."""
    start = TUESDAY
    events = generate(with_night_line(), 3, start, start + timedelta(days=7))
    states = defaultdict(list)
    for e in of_type(events, "agent.state"):
        if e["agent"] in ("st07", "st08"):
            states[e["agent"]].append((at(e), e["state"]))

    def state_at(agent, moment):
        current = "logged_out"
        for since, state in states[agent]:
            if since > moment:
                break
            current = state
        return current

    night_minutes = all_paused = 0
    for day in range(7):
        moment = datetime.combine(start.date() + timedelta(days=day), time(0), TZ)
        for minute in range(7 * 60):
            shown = {state_at(a, moment + timedelta(minutes=minute)) for a in ("st07", "st08")}
            night_minutes += 1
            all_paused += shown <= {"paused", "logged_out"}
    assert all_paused / night_minutes < 0.03, (all_paused, night_minutes)
