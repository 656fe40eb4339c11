"""make bench-ingest: sustained ingest through the API, in batches of 1,000 simulator events, on
PostgreSQL with the live state in Redis updated. Prints events/s and batch latency percentiles.

The centre is the demo centre with every agent replicated (a bigger centre, same shape), simulated from
yesterday's local midnight, so the events update today's and yesterday's live counters as they would
in production. Batches go to ``--servers`` daphne processes from ``--clients`` client threads.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import resource
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import (  # noqa: E402
    bench_environment,
    django_setup,
    recreate_database,
    replicate_agents,
    start_servers,
)


def build_batches(replicas: int, seed: int, batch: int, target_events: int, days: int = 1) -> list[bytes]:
    from django.utils import timezone

    from dashboard.simulator.engine import Simulator

    spec = replicate_agents(replicas)
    tz = spec.tz
    start = timezone.make_aware(
        datetime.combine(timezone.now().astimezone(tz).date() - timedelta(days=days), datetime.min.time()), tz
    )
    sim = Simulator(spec, seed, start)
    events: list[dict] = []
    t = start
    now = timezone.now()
    while len(events) < target_events and t < now:
        t = min(t + timedelta(hours=1), now)
        events.extend(sim.run_until(t))
    return [json.dumps(events[i : i + batch]).encode() for i in range(0, len(events), batch)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=2, help="daphne processes")
    parser.add_argument(
        "--clients", type=int, default=2, help="client threads posting batches (one per daphne process is fastest)"
    )
    parser.add_argument("--replicas", type=int, default=24, help="copies of the demo centre's agents")
    parser.add_argument("--target-events", type=int, default=1_200_000)
    parser.add_argument("--base-port", type=int, default=8700)
    args = parser.parse_args()

    env = bench_environment()
    recreate_database(env["DATABASE_URL"])
    django_setup(env)
    import redis
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dashboard.ingest.sources import source_token_create
    from dashboard.simulator.demo import demo_config_load

    demo_config_load()
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    _source, token, _ = source_token_create(name="bench")

    t0 = time.perf_counter()
    batches = build_batches(args.replicas, 1, args.batch, args.target_events)
    events_total = sum(len(json.loads(b)) for b in batches)
    print(
        f"generated {events_total:,} simulator events in {len(batches):,} batches in {time.perf_counter() - t0:.1f} s"
    )

    ports = [args.base_port + i for i in range(args.servers)]
    procs = start_servers(env, ports)
    work: queue.Queue = queue.Queue()
    for i, body in enumerate(batches):
        work.put((i, body))
    latencies: list[float] = []
    counts = {"events": 0, "accepted": 0, "duplicates": 0, "rejected": 0, "errors": 0}
    lock = threading.Lock()
    stop_at = time.perf_counter() + args.seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[n % len(ports)], timeout=120)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        while time.perf_counter() < stop_at:
            try:
                _i, body = work.get_nowait()
            except queue.Empty:
                return
            began = time.perf_counter()
            conn.request("POST", "/api/v1/events/", body=body, headers=headers)
            response = conn.getresponse()
            payload = json.loads(response.read())
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if response.status not in (200, 207):
                    counts["errors"] += 1
                for key in ("accepted", "duplicates", "rejected"):
                    counts[key] += payload.get(key, 0)
                counts["events"] += len(payload.get("results", []))

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(10)

    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    print(
        f"ingest through the API on {'PostgreSQL' if 'postgres' in env['DATABASE_URL'] else env['DATABASE_URL']}, "
        f"{args.servers} daphne process(es), {args.clients} client threads, batches of {args.batch}"
    )
    print(f"  events posted     {counts['events']:,} in {wall:.1f} s ({len(latencies):,} batches)")
    print(
        f"  accepted          {counts['accepted']:,}  duplicates {counts['duplicates']:,}  rejected {counts['rejected']:,}  HTTP errors {counts['errors']}"
    )
    print(f"  throughput        {counts['events'] / wall:,.0f} events/s")
    print(
        f"  batch latency     p50 {q[49] * 1000:.0f} ms   p99 {q[98] * 1000:.0f} ms   max {latencies[-1] * 1000:.0f} ms"
    )
    print(f"  client peak RSS   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if work.qsize() == 0 and wall < args.seconds:
        print("  note: ran out of generated events before the time was up; raise --target-events")

    from django.utils import timezone

    from dashboard.live.selectors import live_snapshot, live_snapshot_from_db

    now = timezone.now()
    agree = live_snapshot(now=now) == live_snapshot_from_db(now=now)
    print(f"  live state equals a fresh computation from the database: {agree}")
    os._exit(0 if agree and counts["errors"] == 0 else 1)


if __name__ == "__main__":
    main()
