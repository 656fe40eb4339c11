"""make bench-reports: 30 days × 20 queues (about a million contacts) on PostgreSQL, then the time of the full
aggregation into intervals, of the daily and weekly reports, and of re-aggregating one interval after a
late event. Prints the figures and the peak memory of the measured process.

Loading: the simulator generates the 30 days (a centre of 20 queues in 5 regions), its events are folded
by the same functions live ingest uses (``dashboard.derive.fold_contact`` / ``fold_agent_states``), and
the contacts and agent state spans are bulk-inserted with ``dashboard.services.bulk.insert_rows`` —
skipping the event log, because ingesting ~7 million events through the API would take most of an hour
and is what ``make bench-ingest`` measures. The late event then goes through ``events_ingest`` as usual.

The measurements run in a fresh child process, so its peak RSS is the aggregation's and the reports',
not the loader's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import ROOT, bench_environment, django_setup, recreate_database  # noqa: E402

REGIONS = 5  # × 4 queues = 20 queues
FLUSH_AFTER = timedelta(days=3)  # a contact with no event for this long is complete (e-mail over a weekend)


def build_centre(voice_agents: int, chat_agents: int, email_agents: int) -> None:
    """20 queues in 5 regions: two voice queues (one overflowing into the other), chat and e-mail."""
    from datetime import time as clock

    from dashboard.core.models import Agent, OpeningHours, Queue, Team

    customer = [(d, clock(8), clock(20)) for d in range(5)] + [(5, clock(9), clock(17))]
    office = [(d, clock(8), clock(17, 30)) for d in range(5)]
    agents = []
    for r in range(1, REGIONS + 1):
        front = Team.objects.create(name=f"Klantenservice {r}")
        back = Team.objects.create(name=f"Backoffice {r}", line="back_office")
        algemeen = Queue.objects.create(name=f"Algemeen {r}", channel="voice", team=front, sl_threshold_s=20)
        facturen = Queue.objects.create(name=f"Facturen {r}", channel="voice", team=front, sl_threshold_s=20,
                                        overflow_queue=algemeen, overflow_after_s=120)  # fmt: skip
        chat = Queue.objects.create(name=f"Chat {r}", channel="chat", team=front, sl_threshold_s=45)
        email = Queue.objects.create(name=f"E-mail {r}", channel="email", team=back, sl_threshold_s=8 * 3600,
                                     response_target_s=8 * 3600)  # fmt: skip
        for q in (algemeen, facturen, chat):
            OpeningHours.objects.bulk_create(
                OpeningHours(queue=q, weekday=d, opens=o, closes=c) for d, o, c in customer
            )
        OpeningHours.objects.bulk_create(OpeningHours(queue=email, weekday=d, opens=o, closes=c) for d, o, c in office)
        for n in range(voice_agents):
            agents.append((f"v{r}-{n:03d}", front, [algemeen, facturen] + ([chat] if n % 6 == 0 else [])))
        agents += [(f"c{r}-{n:03d}", front, [chat]) for n in range(chat_agents)]
        agents += [(f"e{r}-{n:03d}", back, [email]) for n in range(email_agents)]
    for login, team, skills in agents:
        Agent.objects.create(login_id=login, name=login, team=team).skills.set(skills)


def load(days: int, seed: int, first_day: date) -> dict:
    """Simulate ``days`` local days from ``first_day`` and bulk-insert their contacts and spans."""
    from dashboard.core.bulk import insert_rows
    from dashboard.core.models import Agent, AgentStateSpan, Contact, Queue
    from dashboard.core.periods import day_bounds
    from dashboard.ingest.derive import LoggedEvent, Span, fold_agent_states, fold_contact
    from dashboard.ingest.services import CONTACT_FIELDS
    from dashboard.simulator.engine import Simulator
    from dashboard.simulator.spec import centre_spec_from_db

    spec = centre_spec_from_db()
    queues = dict(Queue.objects.values_list("name", "id"))
    agents = dict(Agent.objects.values_list("login_id", "id"))
    sim = Simulator(spec, seed, day_bounds(first_day)[0])
    pending: dict[str, list] = defaultdict(list)
    last_at: dict[str, datetime] = {}
    open_span: dict[str, Span] = {}
    seq = 0
    totals = {"events": 0, "contacts": 0, "visits": 0, "spans": 0}

    def flush_contacts(ids):
        rows = []
        for cid in ids:
            for v in fold_contact(cid, pending.pop(cid)):
                rows.append((queues[v.queue], agents.get(v.agent) if v.agent else None,
                             *(getattr(v, f) for f in CONTACT_FIELDS)))  # fmt: skip
            last_at.pop(cid, None)
        for i in range(0, len(rows), 50_000):
            insert_rows(Contact, ["queue_id", "agent_id", *CONTACT_FIELDS], rows[i : i + 50_000])
        totals["contacts"] += len(ids)
        totals["visits"] += len(rows)

    for d in range(days):
        day = first_day + timedelta(days=d)
        events = sim.run_until(day_bounds(day)[1])
        totals["events"] += len(events)
        states: dict[str, list] = defaultdict(list)
        for e in events:
            seq += 1
            at = datetime.fromisoformat(e["at"])
            logged = LoggedEvent(seq, e["type"], at, e)
            if e["type"] == "agent.state":
                states[e["agent"]].append(logged)
            else:
                pending[e["contact_id"]].append(logged)
                last_at[e["contact_id"]] = at
        span_rows = []
        for login, evs in states.items():
            seed = [open_span[login]] if login in open_span else []
            spans = fold_agent_states(evs, seed)
            open_span[login] = spans[-1]
            span_rows += [(agents[login], s.state, s.reason, s.start, s.end) for s in spans[:-1]]
        for i in range(0, len(span_rows), 100_000):
            insert_rows(AgentStateSpan, ["agent_id", "state", "reason", "start", "end"], span_rows[i : i + 100_000])
        totals["spans"] += len(span_rows)
        horizon = day_bounds(day)[1] - FLUSH_AFTER
        flush_contacts([cid for cid, at in last_at.items() if at < horizon])
        print(f"  {day}: {len(events):,} events; {totals['contacts']:,} contacts and {totals['spans']:,} spans stored",
              flush=True)  # fmt: skip
    flush_contacts(list(pending))
    span_rows = [(agents[login], s.state, s.reason, s.start, s.end) for login, s in open_span.items()]
    insert_rows(AgentStateSpan, ["agent_id", "state", "reason", "start", "end"], span_rows)
    totals["spans"] += len(span_rows)
    return totals


def measure(first_day: date, days: int) -> dict:
    """The timed part (in its own process): full aggregation, reports, one interval after a late event."""
    from django.db import connection

    _reset_peak_rss()

    from dashboard.core.models import Event
    from dashboard.core.periods import day_bounds
    from dashboard.ingest.imports import history_source
    from dashboard.ingest.services import events_ingest
    from dashboard.intervals.models import IntervalWatermark, QueueInterval, TeamInterval
    from dashboard.intervals.services import intervals_aggregate, intervals_update
    from dashboard.reports.models import Report
    from dashboard.reports.services import reports_build_range

    last_day = first_day + timedelta(days=days - 1)
    start, end = day_bounds(first_day)[0], day_bounds(last_day)[1]
    now = end + timedelta(minutes=1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
    out = {}
    t0 = time.perf_counter()
    written = intervals_aggregate(start=start, end=end, now=now, teams=False)
    out["queues_s"] = time.perf_counter() - t0
    written.update(intervals_aggregate(start=start, end=end, now=now, queues=False))
    out["aggregate_s"] = time.perf_counter() - t0
    out["teams_s"] = out["aggregate_s"] - out["queues_s"]
    out.update({k: v for k, v in written.items() if v})
    t1 = time.perf_counter()
    built = reports_build_range(first_day=first_day, last_day=last_day, now=now)
    out["reports_s"] = time.perf_counter() - t1
    out["full_s"] = time.perf_counter() - t0
    out.update(built)
    out["queue_rows"], out["team_rows"], out["reports"] = (
        QueueInterval.objects.count(), TeamInterval.objects.count(), Report.objects.count()
    )  # fmt: skip
    # a late event: a call offered in the middle of the period arrives now and was abandoned
    IntervalWatermark.objects.update_or_create(pk=1, defaults={"aggregated_until": end, "event_id": 0})
    middle = day_bounds(first_day + timedelta(days=days // 2))[0] + timedelta(hours=10, minutes=7)
    late_at = now + timedelta(minutes=30)
    events_ingest(source=history_source(), now=late_at, events=[
        {"id": "late-1", "type": "contact.offered", "at": middle.isoformat(), "contact_id": "late-1",
         "queue": "Algemeen 1", "channel": "voice"},
        {"id": "late-2", "type": "contact.abandoned", "at": (middle + timedelta(seconds=31)).isoformat(),
         "contact_id": "late-1"},
    ])  # fmt: skip
    t2 = time.perf_counter()
    update = intervals_update(now=late_at)
    out["late_event_update_s"] = time.perf_counter() - t2
    out["late_event_reaggregated"] = update["reaggregated_ranges"]
    bucket = middle.replace(minute=0, second=0)
    runs = []
    for _ in range(15):
        t = time.perf_counter()
        intervals_aggregate(start=bucket, end=bucket + timedelta(minutes=15), now=late_at, teams=False)
        runs.append(time.perf_counter() - t)
    out["one_interval_ms_median"] = statistics.median(runs) * 1000
    out["one_interval_ms_max"] = max(runs) * 1000
    out["events_in_log"] = Event.objects.count()
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def _reset_peak_rss() -> None:
    """A child starts with its parent's peak RSS (the pages it shared until exec); Linux resets it here."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--voice-agents", type=int, default=130, help="voice agents per region (5 regions)")
    parser.add_argument("--chat-agents", type=int, default=25, help="chat agents per region")
    parser.add_argument("--email-agents", type=int, default=20, help="e-mail agents per region")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phase", choices=["all", "measure"], default="all", help=argparse.SUPPRESS)
    parser.add_argument("--first-day", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if "BENCH_DATABASE_URL" not in os.environ and "DATABASE_URL" not in os.environ:
        os.environ["BENCH_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/kcc_bench_reports"
    env = bench_environment()
    if args.phase == "measure":
        django_setup(env)
        print(json.dumps(measure(date.fromisoformat(args.first_day), args.days)))
        return

    from datetime import date as date_

    first_day = date_.today() - timedelta(days=args.days + 1)
    recreate_database(env["DATABASE_URL"])
    django_setup(env)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    build_centre(args.voice_agents, args.chat_agents, args.email_agents)
    print(f"loading {args.days} days × 20 queues ({REGIONS * (args.voice_agents + args.chat_agents + args.email_agents)} "
          f"agents) from {first_day}: simulator → fold → bulk insert (no event log)", flush=True)  # fmt: skip
    t0 = time.perf_counter()
    totals = load(args.days, args.seed, first_day)
    print(f"loaded {totals['contacts']:,} contacts ({totals['visits']:,} queue visits) and {totals['spans']:,} agent "
          f"state spans from {totals['events']:,} simulated events in {time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip

    child = subprocess.run(
        [sys.executable, __file__, "--phase", "measure", "--days", str(args.days), "--first-day", first_day.isoformat()],
        cwd=ROOT, env={**env, **os.environ, "DATABASE_URL": env["DATABASE_URL"]}, capture_output=True, text=True,
    )  # fmt: skip
    if child.returncode != 0:
        print(child.stdout, child.stderr)
        sys.exit(1)
    r = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"reports benchmark on {'PostgreSQL' if 'postgres' in env['DATABASE_URL'] else env['DATABASE_URL']}, "
          f"{args.days} days, 20 queues")  # fmt: skip
    print(f"  full aggregation into intervals  {r['aggregate_s']:.1f} s  (queues {r['queues_s']:.1f} s: {r['queue_rows']:,} "
          f"rows; teams {r['teams_s']:.1f} s: {r['team_rows']:,} rows)")  # fmt: skip
    print(f"  daily and weekly reports         {r['reports_s']:.1f} s  ({r['daily']} daily, {r['weekly']} weekly)")
    print(f"  full run                         {r['full_s']:.1f} s   (must be < 120 s, goal < 20 s)")
    print(f"  one interval again               {r['one_interval_ms_median']:.1f} ms median, {r['one_interval_ms_max']:.1f} ms "
          f"max   (must be < 100 ms, goal < 20 ms)")  # fmt: skip
    print(f"  minute task after a late event   {r['late_event_update_s'] * 1000:.0f} ms "
          f"({r['late_event_reaggregated']} range(s) aggregated again)")  # fmt: skip
    print(
        f"  peak RSS of the measured process {r['peak_rss_mb']:.0f} MB; loader {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    ok = r["full_s"] < 120 and r["one_interval_ms_median"] < 100
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
