"""make bench-ramp: a load ramp of the events API on PostgreSQL. The offered rate rises in steps
(200 → 500 → 1,000 → 2,000 → 4,000 events/s by default, 20 s each) from a client that sends batches on a
fixed schedule (open loop: a slow server does not slow the offer down). Loopback only.

Printed per step: offered events/s (the schedule), sent events/s, accepted events/s, p50/p99 batch
latency, and the errors by status code (429, 503, 500, …), connection errors and batches the client shed
because every connection was busy. Every step is bounded: its batches are sent within the step's time,
and the answers it waits for afterwards within ``--drain-s``. At the end: the events in the log against
the events the API said it accepted (nothing accepted may be missing).

The events are the demo centre's (every agent replicated), simulated from yesterday's local midnight,
each sent once; batches go round-robin to ``--servers`` daphne processes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_ingest import build_batches  # noqa: E402
from tests.bench.common import bench_environment, django_setup, recreate_database, start_servers  # noqa: E402


@dataclass
class Step:
    rate: int
    seconds: float
    batch: int
    offered: int = 0  # events the schedule offered
    sent: int = 0  # events in batches that went out
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    began: float = 0.0
    ended: float = 0.0


def _percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Sender:
    """``connections`` threads, each with one keep-alive connection, taking batches off a bounded queue."""

    def __init__(self, ports: list[int], token: str, connections: int, timeout: float):
        self.work: queue.Queue = queue.Queue(maxsize=connections)
        self.lock = threading.Lock()
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.threads = [
            threading.Thread(target=self._run, args=(ports[n % len(ports)], timeout), daemon=True)
            for n in range(connections)
        ]
        self.busy = 0
        for t in self.threads:
            t.start()

    def offer(self, step: Step, body: bytes, events: int) -> bool:
        try:
            self.work.put_nowait((step, body, events))
            return True
        except queue.Full:
            return False

    def _run(self, port: int, timeout: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        while True:
            item = self.work.get()
            if item is None:
                return
            step, body, events = item
            with self.lock:
                self.busy += 1
            began = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/events/", body=body, headers=self.headers)
                response = conn.getresponse()
                raw = response.read()
                elapsed = time.perf_counter() - began
                payload = (
                    json.loads(raw) if response.getheader("Content-Type", "").startswith("application/json") else {}
                )
                with self.lock:
                    step.latencies.append(elapsed)
                    step.statuses[response.status] += 1
                    if response.status >= 400:
                        step.errors[str(response.status)] += 1
                    for key in ("accepted", "duplicates", "rejected"):
                        setattr(step, key, getattr(step, key) + int(payload.get(key, 0) or 0))
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                with self.lock:
                    step.errors[f"connection: {type(exc).__name__}"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            finally:
                with self.lock:
                    self.busy -= 1
                self.work.task_done()

    def drain(self, seconds: float) -> bool:
        """Wait for the queued and in-flight batches, at most ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                idle = self.busy == 0
            if idle and self.work.empty():
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        for _ in self.threads:
            try:
                self.work.put(None, timeout=1)
            except queue.Full:
                break


def run_step(step: Step, sender: Sender, batches: list[tuple[bytes, int]], drain_s: float) -> None:
    """Offer ``step.rate`` events/s for ``step.seconds``: one batch every batch/rate seconds, on schedule."""
    period = step.batch / step.rate
    step.began = time.perf_counter()
    n = 0
    while True:
        due = step.began + n * period
        if due >= step.began + step.seconds or not batches:
            break
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        body, events = batches.pop()
        step.offered += events
        if sender.offer(step, body, events):
            step.sent += events
        else:
            step.errors["shed by the client (every connection busy)"] += 1
        n += 1
    if not sender.drain(drain_s):
        step.errors[f"still unanswered {drain_s:.0f} s after the step"] += 1
    step.ended = time.perf_counter()


def report(steps: list[Step]) -> None:
    print(f"{'offered/s':>10} {'sent/s':>8} {'accepted/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'batches':>8}  errors")
    for s in steps:
        wall = max(s.ended - s.began, s.seconds)
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(s.errors.items())) or "none"
        print(
            f"{s.offered / s.seconds:>10,.0f} {s.sent / s.seconds:>8,.0f} {s.accepted / wall:>11,.0f} "
            f"{_percentile(s.latencies, 50) * 1000:>8.0f} {_percentile(s.latencies, 99) * 1000:>8.0f} "
            f"{len(s.latencies):>8,}  {errors}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="200,500,1000,2000,4000", help="events/s of each step")
    parser.add_argument("--step-s", type=float, default=20.0, help="seconds per step")
    parser.add_argument("--batch", type=int, default=100, help="events per batch")
    parser.add_argument("--servers", type=int, default=2, help="daphne processes")
    parser.add_argument("--connections", type=int, default=32, help="client connections (batches in flight)")
    parser.add_argument("--timeout-s", type=float, default=30.0, help="client timeout per batch")
    parser.add_argument("--drain-s", type=float, default=30.0, help="wait at most this long after a step")
    parser.add_argument("--replicas", type=int, default=24, help="copies of the demo centre's agents")
    parser.add_argument("--base-port", type=int, default=8750)
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    steps = [Step(rate=r, seconds=args.step_s, batch=args.batch) for r in rates]

    env = bench_environment()
    env["KCC_LIVE_KEY_PREFIX"] = f"kccramp{os.getpid()}"
    recreate_database(env["DATABASE_URL"])
    django_setup(env)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dashboard.core.models import Event
    from dashboard.ingest.sources import source_token_create
    from dashboard.simulator.demo import demo_config_load

    demo_config_load()
    _source, token, _ = source_token_create(name="ramp")

    needed = int(sum(r * args.step_s for r in rates) * 1.05)
    t0 = time.perf_counter()
    bodies = build_batches(args.replicas, 3, args.batch, needed, days=2)
    batches = [(b, len(json.loads(b))) for b in bodies]
    batches.reverse()  # pop() takes them in time order
    print(
        f"generated {sum(n for _, n in batches):,} simulator events in {len(batches):,} batches of {args.batch} "
        f"in {time.perf_counter() - t0:.1f} s (needed {needed:,})"
    )

    ports = [args.base_port + i for i in range(args.servers)]
    procs = start_servers(env, ports)
    sender = Sender(ports, token, args.connections, args.timeout_s)
    try:
        for step in steps:
            run_step(step, sender, batches, args.drain_s)
    finally:
        sender.stop()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except Exception:
                p.kill()

    database = "PostgreSQL" if "postgres" in env["DATABASE_URL"] else env["DATABASE_URL"]
    print(
        f"load ramp of POST /api/v1/events/ on {database}: {args.servers} daphne process(es), {args.connections} "
        f"client connections, batches of {args.batch}, {args.step_s:.0f} s per step"
    )
    report(steps)
    accepted = sum(s.accepted for s in steps)
    stored = Event.objects.count()
    print(f"events the API accepted {accepted:,}; events in the log {stored:,}")
    os._exit(0 if stored >= accepted else 1)


if __name__ == "__main__":
    main()
