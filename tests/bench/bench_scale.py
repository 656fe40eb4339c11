"""make bench-scale: 1, 2 and 4 daphne processes behind a Caddy proxy (round robin, no sticky sessions, as
deploy/ runs them), 4,000 websocket clients (wall-screen tokens) over every scope, events posted through
the proxy's API at 200 events/s, on PostgreSQL and Redis.

For every update a client receives, the latency is the time from the API response of the newest batch the
update contains (``data.live_version`` ≥ the batch's ``live_version``) to the update's arrival at that
client, both through the proxy. Printed per daphne count: p50, p99 and max, messages lost (gaps in
``seq``), the CPU of daphne, the publisher, Caddy and the test clients, and the machine's load; p99 next
to the goal (< 500 ms at 4,000 clients) and the must (< 1 s) as ratios. Options: ``--clients``,
``--servers 1,2,4``, ``--rate``, ``--seconds`` (per daphne count), ``--base-port``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import re
import resource
import statistics
import sys
import time
from bisect import bisect_right
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.bench_live import SCOPE, SEQ, TYPE, VERSION, Client, cpu_s, post_events, rss_kb, start  # noqa: E402
from tests.bench.common import bench_environment, django_setup, recreate_database, replicate_agents  # noqa: E402
from tests.proxy import Proxy, caddy_missing, start_daphne, stop, wait_http  # noqa: E402

PREV = re.compile(r'"prev":(\d+)')
GOAL_P99_S = 0.5  # at 4,000 clients
MUST_P99_S = 1.0
DISPLAY_COOKIE = "kcc_display"  # dashboard.live.middleware.DISPLAY_COOKIE (not imported: Django is set up later)


async def run_client(client: Client, url: str, cookie: str, stop_event: asyncio.Event, counter, ready) -> None:
    import websockets

    origin = "http://" + url.split("/")[2]
    backoff = 1.0
    while not stop_event.is_set():
        # Like the page (static/js/live.js): a refused or broken connection is tried again with backoff.
        try:
            await _client_session(websockets, client, url, origin, cookie, stop_event, counter, ready)
            return
        except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
            client.failures += 1
            await asyncio.sleep(backoff * (0.75 + 0.5 * random.random()))
            backoff = min(30.0, backoff * 2)


async def _client_session(websockets, client, url, origin, cookie, stop_event, counter, ready) -> None:
    async with websockets.connect(
        url,
        origin=origin,
        additional_headers={"Cookie": f"{DISPLAY_COOKIE}={cookie}"},
        max_size=2**22,
        open_timeout=120,
        ping_interval=None,
        compression=None,
    ) as ws:
        if not client.connected:
            client.connected = True
            counter[0] += 1
            if counter[0] == counter[1]:
                ready.set()
        while not stop_event.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=1.0)
            except TimeoutError:
                continue
            arrived = time.time()
            head = text[:200]  # type, v, seq, ts and scope come first in the envelope
            kind = TYPE.search(head)
            if kind is None or kind.group(1) != "snapshot":
                continue  # heartbeats and pongs carry no figures
            key = f"snapshot {SCOPE.search(head).group(1)}"
            seq = int(SEQ.search(head).group(1))
            # seq grows by at least one (it follows the clock): ``prev``, the seq of the message before
            # this one, above the last one seen means a message was lost (as static/js/live.js reads it).
            prev = PREV.search(text, len(text) - 120)
            last = client.last_seq.get(key)
            if last is not None and prev is not None and int(prev.group(1)) > last:
                client.gaps += 1
            client.last_seq[key] = seq
            match = VERSION.search(text, len(text) - 120)
            client.received.append((arrived, int(match.group(1)) if match else 0))


def quantiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
    return q[49], q[98], max(values)


def one_round(*, env, servers: int, args, scopes, display_token, token, events, publisher, r) -> dict:
    """``servers`` daphne behind a fresh proxy, the clients connected through it, ``events`` posted."""
    ports = [args.base_port + 1 + i for i in range(servers)]
    daphnes = [start_daphne(env, port) for port in ports]
    proxy = None
    try:
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/healthz", "daphne")
        proxy = Proxy(args.base_port, ports)
        clients = [Client(scopes[i % len(scopes)]) for i in range(args.clients)]
        for c in clients:
            c.connected, c.failures = False, 0
        results = multiprocessing.Queue()

        async def run():
            stop_event, ready = asyncio.Event(), asyncio.Event()
            counter = [0, len(clients)]
            tasks = []
            connect0 = time.monotonic()
            for i, c in enumerate(clients):
                url = f"ws://127.0.0.1:{proxy.port}/ws/live/?scopes={c.scope}"
                tasks.append(asyncio.create_task(run_client(c, url, display_token, stop_event, counter, ready)))
                if i % 50 == 49:
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(ready.wait(), timeout=300)
            connect_s = time.monotonic() - connect0
            await asyncio.sleep(2)  # the snapshots sent on connect are not part of the measure
            procs = {"daphne": daphnes, "publisher": [publisher], "caddy": [proxy.process]}
            cpu0 = {p.pid: cpu_s(p.pid) for group in procs.values() for p in group}
            client_cpu0 = time.process_time()
            load0 = os.getloadavg()[0]
            baseline = int(r.get("kccbenchscale:live:applied") or 0)
            poster = multiprocessing.Process(
                target=post_events, args=(proxy.port, token, events, args.rate, args.seconds, results)
            )
            wall0 = time.time()
            poster.start()
            batches = []
            while True:
                item = await asyncio.to_thread(results.get)
                if item is None:
                    break
                batches.append(item)
            await asyncio.sleep(2)  # let the last updates arrive
            wall = time.time() - wall0
            cpu = {name: sum(cpu_s(p.pid) - cpu0[p.pid] for p in group) / wall for name, group in procs.items()}
            cpu["clients"] = (time.process_time() - client_cpu0) / wall
            load1 = os.getloadavg()[0]
            rss = {"daphne": max(rss_kb(p.pid) for p in daphnes), "publisher": rss_kb(publisher.pid)}
            stop_event.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            poster.join()
            return connect_s, batches, baseline, wall, cpu, (load0, load1), rss

        connect_s, batches, baseline, wall, cpu, load, rss = asyncio.run(run())
    finally:
        if proxy is not None:
            proxy_errors = proxy.errors()
            if proxy_errors:
                print(f"  the proxy logged {len(proxy_errors)} errors; the first: {proxy_errors[0][:400]}")
            proxy.stop()
        stop(daphnes)

    batches.sort()
    versions = [v for v, _, _ in batches]
    latencies = []
    for c in clients:
        for arrived, version in c.received:
            i = bisect_right(versions, version) - 1
            if i >= 0 and versions[i] > baseline:
                latencies.append(arrived - batches[i][1])
    latencies.sort()
    return {
        "servers": servers,
        "connect_s": connect_s,
        "posted": sum(n for _, _, n in batches),
        "wall": wall,
        "latency": quantiles(latencies),
        "measurements": len(latencies),
        "lost": sum(c.gaps for c in clients),
        "failures": sum(c.failures for c in clients),
        "cpu": cpu,
        "load": load,
        "rss": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4000)
    parser.add_argument("--servers", default="1,2,4", help="daphne counts to measure, comma-separated")
    parser.add_argument("--rate", type=int, default=200, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="of posting, per daphne count")
    parser.add_argument("--base-port", type=int, default=8800, help="the proxy; daphne on the next ports")
    args = parser.parse_args()
    counts = [int(n) for n in args.servers.split(",") if n.strip()]
    missing = caddy_missing()
    if missing:
        sys.exit(f"bench-scale needs Caddy: {missing}")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.clients + 1024)), hard))

    env = bench_environment()
    if not ({"DATABASE_URL", "BENCH_DATABASE_URL"} & set(os.environ)):
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/kcc_bench_scale"  # dropped and created
    env["KCC_LIVE_KEY_PREFIX"] = "kccbenchscale"
    recreate_database(env["DATABASE_URL"])
    django_setup(env)
    import redis
    from django.core.management import call_command
    from django.utils import timezone

    from dashboard.core.models import Channel, Queue, Team
    from dashboard.ingest.services import events_ingest
    from dashboard.ingest.sources import source_token_create
    from dashboard.live.models import Display
    from dashboard.simulator.demo import demo_config_load
    from dashboard.simulator.engine import Simulator

    call_command("migrate", verbosity=0)
    demo_config_load()
    r = redis.Redis.from_url(env["REDIS_URL"])
    for key in r.scan_iter(match="kccbenchscale:*", count=1000):
        r.delete(key)
    source, token, _ = source_token_create(name="bench")
    display = Display(name="bench", scopes="all")
    display_token = display.issue_token()
    display.save()

    # A warm centre (the morning so far goes in directly), and enough of the day for every round: the
    # demo's agents replicated until the simulated day holds rate × seconds events per daphne count.
    needed = int(args.rate * args.seconds)
    spec = replicate_agents(max(2, math.ceil(2 * len(counts) * args.seconds / 60)))
    now = timezone.now().astimezone(spec.tz)
    midnight = datetime.combine(now.date(), datetime.min.time(), spec.tz)
    sim = Simulator(spec, 7, midnight)
    warm = sim.run_until(midnight + timedelta(hours=9))
    for i in range(0, len(warm), 1000):
        events_ingest(source=source, events=warm[i : i + 1000])
    stream = sim.run_until(midnight + timedelta(hours=20))
    if len(stream) < needed * len(counts):
        print(f"note: the simulated day has {len(stream):,} events for the {needed * len(counts):,} needed")

    scopes = ["all"]
    scopes += [f"team:{t}" for t in Team.objects.values_list("id", flat=True)]
    scopes += [f"queue:{q}" for q in Queue.objects.values_list("id", flat=True)]
    scopes += [
        f"channel:{c}" for c in Queue.objects.values_list("channel", flat=True).distinct() if c in Channel.values
    ]
    print(
        f"warm centre: {len(warm):,} events; {args.clients:,} clients over {len(scopes)} scopes; "
        f"{args.rate} events/s for {args.seconds:.0f} s per daphne count; {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f} before the start"
    )

    from django.db import connections

    connections.close_all()  # the rounds run in other processes; this one holds no connection meanwhile
    publisher = start([sys.executable, "manage.py", "publish_live"], env)
    rows = []
    try:
        time.sleep(2)
        for n, servers in enumerate(counts):
            events = stream[n * needed : (n + 1) * needed]
            row = one_round(
                env=env, servers=servers, args=args, scopes=scopes, display_token=display_token, token=token,
                events=events, publisher=publisher, r=r,
            )  # fmt: skip
            rows.append(row)
            report(row, args)
    finally:
        stop([publisher])

    print()
    print(f"p99, API answer → client, {args.clients:,} clients through the proxy at {args.rate} events/s:")
    for row in rows:
        p99 = row["latency"][1]
        print(
            f"  {row['servers']} daphne  p99 {p99 * 1000:5.0f} ms   {p99 / GOAL_P99_S:4.2f} × goal (< 500 ms)   "
            f"{p99 / MUST_P99_S:4.2f} × must (< 1 s)   lost {row['lost']}"
        )
    if args.clients < 4000:
        print(f"  (the goal is set for 4,000 clients; this run had {args.clients:,})")
    ok = all(row["measurements"] and row["lost"] == 0 and row["latency"][1] < MUST_P99_S for row in rows)
    os._exit(0 if ok else 1)


def report(row: dict, args) -> None:
    p50, p99, top = row["latency"]
    cpu = row["cpu"]
    print(
        f"\n{row['servers']} daphne: {args.clients:,} clients connected through the proxy in {row['connect_s']:.1f} s; "
        f"{row['posted']:,} events posted over {row['wall']:.0f} s ({row['posted'] / row['wall']:.0f}/s)"
    )
    print(
        f"  latency  p50 {p50 * 1000:.0f} ms   p99 {p99 * 1000:.0f} ms   max {top * 1000:.0f} ms   "
        f"({row['measurements']:,} measurements)   messages lost {row['lost']} (gaps)"
    )
    print(
        f"  CPU (% of one core)  daphne {100 * cpu['daphne']:.0f}   publisher {100 * cpu['publisher']:.0f}   "
        f"caddy {100 * cpu['caddy']:.0f}   test clients {100 * cpu['clients']:.0f}   "
        f"load average {row['load'][0]:.1f} → {row['load'][1]:.1f}"
    )
    print(
        f"  memory  largest daphne {row['rss']['daphne'] // 1024} MB   publisher {row['rss']['publisher'] // 1024} MB"
    )


if __name__ == "__main__":
    main()
