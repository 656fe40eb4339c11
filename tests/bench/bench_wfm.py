"""make bench-wfm: the WFM figures the issue asks for, printed (not a timed test).

1. Required agents (Erlang C, and Erlang A for comparison) for 50 queues × 96 quarter-hours of a
   realistic day: must be < 1 s, goal < 100 ms.
2. A CSV export of 30 days × 50 queues × 15 minutes (144,000 rows) through the API, on PostgreSQL, from
   a real daphne: time to first byte, total time and the server's peak memory (must be < 10 s and
   < 300 MB; goal < 3 s and < 100 MB). The interval rows are written straight into the interval store
   (the export reads only that), with volumes following a day profile.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import math
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import (  # noqa: E402
    bench_environment,
    django_setup,
    recreate_database,
    start_servers,  # noqa: E402
)

QUEUES = 50
INTERVALS = 96


def day_profile(quarter: int) -> float:
    """Relative volume of a quarter-hour: closed at night, a morning and an afternoon peak."""
    hour = quarter / 4
    if not 8 <= hour < 20:
        return 0.0
    return 0.4 + math.exp(-(((hour - 10.5) / 1.6) ** 2)) + 0.7 * math.exp(-(((hour - 14.5) / 1.8) ** 2))


def bench_required_agents(rounds: int) -> None:
    from dashboard.core import erlang

    rng = random.Random(7)
    queues = [(rng.uniform(20, 160), rng.uniform(150, 420), rng.choice([20, 30, 45])) for _ in range(QUEUES)]
    work = [(peak * day_profile(i), aht, threshold) for peak, aht, threshold in queues for i in range(INTERVALS)]
    for label, patience in (("Erlang C", None), ("Erlang A (patience 120 s)", 120.0)):
        timings = []
        for _ in range(rounds):
            began = time.perf_counter()
            total = sum(
                erlang.required_agents(
                    calls=calls,
                    interval_s=900,
                    aht_s=aht,
                    target_sl=0.8,
                    threshold_s=threshold,
                    max_occupancy=0.9,
                    patience_s=patience,
                )  # fmt: skip
                for calls, aht, threshold in work
            )
            timings.append(time.perf_counter() - began)
        print(
            f"  {label:<26} {len(work):,} intervals: best {min(timings) * 1000:.0f} ms, "
            f"median {sorted(timings)[len(timings) // 2] * 1000:.0f} ms ({total:,} agent-intervals)"
        )


def fill_interval_store(days: int, first_day: date) -> int:
    from dashboard.core.models import Queue, Team
    from dashboard.core.periods import day_bounds, interval_starts
    from dashboard.intervals.models import QueueInterval

    teams = [Team.objects.get_or_create(name=f"Bench team {i}")[0] for i in range(5)]
    queues = [
        Queue.objects.get_or_create(name=f"Bench {i:02d}", defaults={"team": teams[i % 5]})[0] for i in range(QUEUES)
    ]
    start, _ = day_bounds(first_day)
    _, end = day_bounds(first_day + timedelta(days=days - 1))
    rng = random.Random(1)
    now = datetime.now(UTC)
    rows = []
    for at in interval_starts(start, end):
        quarter = (at.hour * 60 + at.minute) // 15
        for q in queues:
            offered = int(rng.uniform(0.6, 1.4) * 60 * day_profile(quarter))
            answered = int(offered * 0.93)
            rows.append(
                QueueInterval(
                    queue=q,
                    start=at,
                    end=at + timedelta(minutes=15),
                    offered=offered,
                    answered=answered,
                    answered_within_threshold=int(answered * 0.8),
                    abandoned=offered - answered,
                    short_abandoned=(offered - answered) // 3,
                    handled=answered,
                    wait_answered_ms=answered * 14_000,
                    max_wait_answered_ms=95_000 if answered else 0,
                    talk_ms=answered * 210_000,
                    hold_ms=answered * 12_000,
                    acw_ms=answered * 35_000,
                    computed_at=now,
                )  # fmt: skip
            )
    QueueInterval.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def bench_export(days: int, port: int) -> None:
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    first_day = date(2026, 9, 1)  # September: no DST change, so exactly 30 × 96 quarter-hours
    began = time.perf_counter()
    stored = fill_interval_store(days, first_day)
    print(f"  interval store: {stored:,} rows written in {time.perf_counter() - began:.1f} s")
    user, _ = User.objects.get_or_create(username="bench-wfm")
    user.groups.add(Group.objects.get_or_create(name="wfm")[0])
    token = Token.objects.get_or_create(user=user)[0].key

    env = dict(os.environ)
    [proc] = start_servers(env, [port])
    try:
        headers = {"Authorization": f"Token {token}"}
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        warm.request("GET", f"/api/v1/intervals/?start={first_day}&end={first_day}", headers=headers)
        warm.getresponse().read()
        rss_before, _ = peak_rss_mb(proc.pid)
        last_day = first_day + timedelta(days=days - 1)
        for fmt in ("csv", "xlsx"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            began = time.perf_counter()
            conn.request("GET", f"/api/v1/intervals/?start={first_day}&end={last_day}&format={fmt}", headers=headers)
            response = conn.getresponse()
            first = response.read(1)
            ttfb = time.perf_counter() - began
            body = first + response.read()
            total = time.perf_counter() - began
            rss_after, hwm = peak_rss_mb(proc.pid)
            if fmt == "csv":
                rows = sum(1 for _ in csv.reader(io.StringIO(body.decode()))) - 1
            else:
                from openpyxl import load_workbook

                rows = sum(1 for _ in load_workbook(io.BytesIO(body), read_only=True).active.iter_rows()) - 1
            print(
                f"  {fmt.upper():<4} export {days} days × {QUEUES} queues × 15 min: HTTP {response.status}, "
                f"{rows:,} rows, {len(body) / 1e6:.1f} MB; first byte {ttfb:.2f} s, total {total:.2f} s"
            )
            print(
                f"       server memory: {rss_before:.0f} MB before, {rss_after:.0f} MB after, peak {hwm:.0f} MB "
                f"(peak − before = {hwm - rss_before:.0f} MB)"
            )
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()

    if "DATABASE_URL" not in os.environ and "BENCH_DATABASE_URL" not in os.environ:
        os.environ["BENCH_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/kcc_bench_wfm"  # its own database
    env = bench_environment()
    recreate_database(env["DATABASE_URL"])
    django_setup(env)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print("WFM benchmark")
    print(f"required agents, {QUEUES} queues × {INTERVALS} quarter-hours (80/20, occupancy ≤ 90 %):")
    bench_required_agents(args.rounds)
    print(f"interval export through GET /api/v1/intervals/ on {env['DATABASE_URL'].split('@')[-1]}:")
    bench_export(args.days, args.port)


if __name__ == "__main__":
    main()
