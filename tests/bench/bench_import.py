"""make bench-import: a month of a 300-agent centre (about a million contacts by default; ``--contacts N`` to
scale down) imported through each of the three file doors on PostgreSQL: ``import_contacts`` (CSV),
``import_queue_log`` (Asterisk queue_log) and ``import_connect_ctr`` (Amazon Connect contact records and
agent events, as Kinesis Data Firehose writes them to S3).

The month is generated from a seed (the same contacts for every door) into a temporary directory, each in
its door's own format; each door imports into a fresh database as its own process (``manage.py``), so the
figures are the whole command: start-up, reading, validation, the event log, derivation, the aggregation
of the intervals again. Per door: contacts/s (goal ≥ 20,000, must ≥ 5,000) and the peak RSS of the
importing process. Then the daily figures (offered, answered, abandoned per local day, from the interval
store the import aggregated) must be those the generator made, for every door, so the benchmark never
times a broken import.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.bench.common import ROOT, bench_environment, django_setup, recreate_database  # noqa: E402

GOAL = 20_000  # contacts/s
MUST = 5_000
TZ = ZoneInfo("Europe/Amsterdam")
FIRST_DAY = date(2025, 11, 1)  # November: 30 days, no change of daylight saving time
DAYS = 30
AGENTS = 300
QUEUES = ("Sales", "Service", "Billing", "Technical", "Retention", "Business", "Moving", "Complaints")
QUEUE_WEIGHTS = (22, 30, 14, 14, 6, 6, 4, 4)
# Contacts per hour of the day (local, 08:00–20:00): a morning peak, a dip at lunch, an afternoon peak.
HOUR_WEIGHTS = {8: 6, 9: 11, 10: 12, 11: 11, 12: 8, 13: 9, 14: 10, 15: 9, 16: 8, 17: 6, 18: 5, 19: 5}
DAY_WEIGHTS = {0: 1.15, 1: 1.0, 2: 1.0, 3: 1.0, 4: 0.95, 5: 0.45, 6: 0.25}  # Monday … Sunday
CALLERS = 250_000  # distinct caller numbers: some customers call more than once in the month
ANSWERED = 0.92
REDELIVERED = 0.03  # Connect delivers this share of answered contacts' records twice (before and after ACW)
DOORS = ("csv", "queue_log", "connect")


@dataclass(slots=True)
class Call:
    n: int
    queue: str
    caller: str
    offered: int  # epoch seconds (UTC)
    answered: int | None
    gone: int | None  # abandoned at
    agent: str
    talk: int
    hold: int
    acw: int

    @property
    def ended(self) -> int:
        return self.answered + self.talk + self.hold


def agent_login(i: int) -> str:
    return f"agent{i + 1:03d}"


def shifts(day: date) -> list[tuple[str, int, int, int]]:
    """(agent, login, lunch, logout) epochs of each agent working ``day``: half early (07:55–16:30), half
    late (11:25–20:05); at weekends a third of them."""
    out = []
    weekend = day.weekday() >= 5
    for i in range(AGENTS):
        if weekend and i % 3:
            continue
        early = i % 2 == 0
        start, end = ((7, 55), (16, 30)) if early else ((11, 25), (20, 5))
        lunch = (12, (i % 4) * 15) if early else (16, 15 + (i % 4) * 10)
        out.append(
            (
                agent_login(i),
                _epoch(day, *start),
                _epoch(day, *lunch),
                _epoch(day, *end),
            )
        )
    return out


def _epoch(day: date, hour: int, minute: int, second: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TZ).timestamp())


def month_calls(contacts: int, seed: int):
    """(day, calls of that day sorted by offer time) for the month; the same for every seed and size."""
    rng = random.Random(seed)
    days = [FIRST_DAY + timedelta(days=d) for d in range(DAYS)]
    weight = sum(DAY_WEIGHTS[d.weekday()] for d in days)
    hours, hour_weights = list(HOUR_WEIGHTS), list(HOUR_WEIGHTS.values())
    made = 0
    for index, day in enumerate(days):
        count = contacts - made if index == DAYS - 1 else round(contacts * DAY_WEIGHTS[day.weekday()] / weight)
        working = shifts(day)
        early = [a for a, *_ in working if int(a[5:]) % 2 == 1]  # agent001 is index 0: early
        late = [a for a, *_ in working if int(a[5:]) % 2 == 0]
        lunches = {a: lunch for a, _, lunch, _ in working}
        calls = []
        for hour in rng.choices(hours, hour_weights, k=count):
            offered = _epoch(day, hour, 0) + rng.randrange(3600)
            n = made + len(calls)
            queue = rng.choices(QUEUES, QUEUE_WEIGHTS)[0]
            caller = f"+3120{rng.randrange(CALLERS):07d}"
            if rng.random() < ANSWERED:
                answered = offered + min(int(rng.expovariate(1 / 35)), 900)
                local_hour = datetime.fromtimestamp(answered, TZ).hour
                pool = (
                    early if local_hour < 12 else late if local_hour >= 16 else (early if rng.random() < 0.5 else late)
                )
                agent = rng.choice(pool)
                if lunches[agent] <= answered < lunches[agent] + 1800:
                    agent = rng.choice(pool)
                talk = 20 + int(rng.expovariate(1 / 220))
                hold = rng.randrange(5, 120) if rng.random() < 0.15 else 0
                acw = 5 + int(rng.expovariate(1 / 30))
                calls.append(Call(n, queue, caller, offered, answered, None, agent, talk, hold, acw))
            else:
                gone = offered + 1 + int(rng.expovariate(1 / 60))
                calls.append(Call(n, queue, caller, offered, None, gone, "", 0, 0, 0))
        calls.sort(key=lambda c: (c.offered, c.n))
        made += len(calls)
        yield day, calls


def expected_daily(calls_by_day) -> dict[str, tuple[int, int, int]]:
    daily: dict[str, Counter] = {}
    for day, calls in calls_by_day:
        c = daily.setdefault(day.isoformat(), Counter())
        for call in calls:
            c["offered"] += 1
            c["answered" if call.answered is not None else "abandoned"] += 1
    return {d: (c["offered"], c["answered"], c["abandoned"]) for d, c in daily.items()}


# --- the three formats -----------------------------------------------------------------------------------


def _local(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, TZ).isoformat()


def _utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_csv(path: Path, month, customer_ref) -> None:
    """The contact import's CSV: one row per contact, times local with their offset, the customer reference
    the keyed hash of the caller's number (as the other doors make it)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["contact_id", "channel", "queue", "offered_at", "answered_at", "abandoned_at", "ended_at",
                         "agent", "talk_s", "hold_s", "acw_s", "transferred_to", "reason", "customer_ref"])  # fmt: skip
        refs: dict[str, str] = {}
        for _day, calls in month:
            for c in calls:
                ref = refs.get(c.caller) or refs.setdefault(c.caller, customer_ref(c.caller))
                if c.answered is not None:
                    row = [_local(c.answered), "", _local(c.ended), c.agent, c.talk, c.hold, c.acw]
                else:
                    row = ["", _local(c.gone), "", "", "", "", ""]
                writer.writerow([f"C{c.n:08d}", "voice", c.queue, _local(c.offered), *row, "", "", ref])


def write_queue_log(path: Path, month) -> None:
    """The queue_log Asterisk writes: ENTERQUEUE, then CONNECT and COMPLETECALLER/COMPLETEAGENT, or ABANDON;
    agents' AGENTLOGIN, PAUSEALL (lunch), UNPAUSEALL and AGENTLOGOFF; lines in time order."""
    with path.open("w", encoding="utf-8") as handle:
        for day, calls in month:
            lines: list[tuple[int, int, str]] = []
            for agent, login, lunch, logout in shifts(day):
                lines.append((login, 0, f"{login}|NONE|NONE|{agent}|AGENTLOGIN|PJSIP/{agent}"))
                lines.append((lunch, 0, f"{lunch}|NONE|NONE|{agent}|PAUSEALL|Lunch"))
                lines.append((lunch + 1800, 0, f"{lunch + 1800}|NONE|NONE|{agent}|UNPAUSEALL|"))
                lines.append((logout, 0, f"{logout}|NONE|NONE|{agent}|AGENTLOGOFF|PJSIP/{agent}|{logout - login}"))
            for c in calls:
                uid = f"{c.offered}.{c.n}"
                lines.append((c.offered, 1, f"{c.offered}|{uid}|{c.queue}|NONE|ENTERQUEUE||{c.caller}|1"))
                if c.answered is not None:
                    wait = c.answered - c.offered
                    lines.append((c.answered, 2, f"{c.answered}|{uid}|{c.queue}|{c.agent}|CONNECT|{wait}|{uid}1|3"))
                    end = "COMPLETECALLER" if c.n % 3 else "COMPLETEAGENT"
                    lines.append((c.ended, 3, f"{c.ended}|{uid}|{c.queue}|{c.agent}|{end}|{wait}|{c.talk}|1"))
                else:
                    lines.append((c.gone, 2, f"{c.gone}|{uid}|{c.queue}|NONE|ABANDON|1|1|{c.gone - c.offered}"))
            lines.sort(key=lambda line: (line[0], line[1]))
            handle.writelines(text + "\n" for _, _, text in lines)


def _contact_uuid(n: int) -> str:
    return str(uuid.UUID(int=(0x6B6363 << 96) | n))


def ctr(c: Call, *, final: bool = True) -> dict:
    """Amazon Connect's contact record of a call (``final``: after ACW; else the first delivery, at the
    disconnect, without the ACW)."""
    cid = _contact_uuid(c.n)
    dequeued = c.answered if c.answered is not None else c.gone
    record = {
        "AWSAccountId": "123456789012",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "ContactId": cid,
        "InitialContactId": None,
        "PreviousContactId": None,
        "NextContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": _utc(c.offered - 20),
        "ConnectedToSystemTimestamp": _utc(c.offered - 20),
        "DisconnectTimestamp": _utc(c.ended if c.answered is not None else c.gone),
        "LastUpdateTimestamp": _utc(
            (c.ended + c.acw + 2)
            if (c.answered is not None and final)
            else (c.ended if c.answered is not None else c.gone) + 1
        ),  # fmt: skip
        "Queue": {
            "Name": c.queue,
            "ARN": f"arn:aws:connect:eu-central-1:123456789012:instance/kcc/queue/{c.queue.lower()}",
            "EnqueueTimestamp": _utc(c.offered),
            "DequeueTimestamp": _utc(dequeued),
            "Duration": dequeued - c.offered,
        },
        "Agent": None,
        "CustomerEndpoint": {"Address": c.caller, "Type": "TELEPHONE_NUMBER"},
        "SystemEndpoint": {"Address": "+31201234567", "Type": "TELEPHONE_NUMBER"},
        "TransferredToEndpoint": None,
        "Attributes": {},
        "Recording": None,
    }
    if c.answered is not None:
        agent = {
            "Username": c.agent,
            "ARN": f"arn:aws:connect:eu-central-1:123456789012:instance/kcc/agent/{c.agent}",
            "ConnectedToAgentTimestamp": _utc(c.answered),
            "AgentInteractionDuration": c.talk,
            "CustomerHoldDuration": c.hold,
            "NumberOfHolds": 1 if c.hold else 0,
            "AfterContactWorkStartTimestamp": _utc(c.ended),
        }
        if final:
            agent["AfterContactWorkDuration"] = c.acw
            agent["AfterContactWorkEndTimestamp"] = _utc(c.ended + c.acw)
        record["Agent"] = agent
    return record


def agent_event(agent: str, at: int, kind: str, status: tuple[str, str] | None) -> dict:
    snapshot = {"Configuration": {"Username": agent, "FirstName": agent, "LastName": "KCC"}, "Contacts": []}
    if status is not None:
        snapshot["AgentStatus"] = {"Name": status[0], "Type": status[1], "StartTimestamp": _utc(at)}
    return {
        "AWSAccountId": "123456789012",
        "AgentARN": f"arn:aws:connect:eu-central-1:123456789012:instance/kcc/agent/{agent}",
        "EventId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{agent}/{kind}/{at}")),
        "EventTimestamp": _utc(at),
        "EventType": kind,
        "InstanceARN": "arn:aws:connect:eu-central-1:123456789012:instance/kcc",
        "Version": "2019-05-25",
        "CurrentAgentSnapshot": snapshot,
    }


def write_connect(folder: Path, month, seed: int) -> None:
    """Firehose's S3 objects: one file per hour (``YYYY/MM/DD/HH/kcc-ctr-…``), one JSON record per line,
    contact records at their last update and agent events at their time; a share of the answered contacts'
    records delivered twice (at the disconnect, then updated after the ACW)."""
    rng = random.Random(seed + 1)
    for day, calls in month:
        hours: dict[int, list[tuple[int, dict]]] = {}

        def put(at: int, record: dict, hours=hours) -> None:
            hours.setdefault(at - at % 3600, []).append((at, record))

        for agent, login, lunch, logout in shifts(day):
            put(login, agent_event(agent, login, "LOGIN", ("Available", "ROUTABLE")))
            put(lunch, agent_event(agent, lunch, "STATE_CHANGE", ("Lunch", "CUSTOM")))
            put(lunch + 1800, agent_event(agent, lunch + 1800, "STATE_CHANGE", ("Available", "ROUTABLE")))
            put(logout, agent_event(agent, logout, "LOGOUT", ("Offline", "OFFLINE")))
        for c in calls:
            final = ctr(c)
            if c.answered is not None and rng.random() < REDELIVERED:
                put(c.ended + 1, ctr(c, final=False))
            put(int(datetime.fromisoformat(final["LastUpdateTimestamp"]).timestamp()), final)
        for hour, records in sorted(hours.items()):
            moment = datetime.fromtimestamp(hour, UTC)
            target = folder / f"{moment:%Y/%m/%d/%H}" / f"kcc-ctr-1-{moment:%Y-%m-%d-%H-%M-%S}-{hour:x}"
            target.parent.mkdir(parents=True, exist_ok=True)
            records.sort(key=lambda pair: pair[0])
            target.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for _, r in records))


# --- running a door ---------------------------------------------------------------------------------------


def run_door(door: str, path: Path, env: dict[str, str], profile: Path | None) -> dict:
    """Import ``path`` through ``door`` into a fresh database; the command's seconds, peak RSS and output."""
    recreate_database(env["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    command = {"csv": "import_contacts", "queue_log": "import_queue_log", "connect": "import_connect_ctr"}[door]
    python = [sys.executable]
    if profile is not None:
        python += ["-m", "cProfile", "-o", str(profile / f"{door}.prof")]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        child = subprocess.Popen([*python, "manage.py", command, str(path)], cwd=ROOT, env=env, stdout=out, stderr=err)
        # wait4 gives this child's own resource use: its peak RSS, not the largest of every child so far.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"seconds": seconds, "out": out.read(), "err": err.read(), "code": child.returncode,
                "peak_mb": usage.ru_maxrss / 1024}  # fmt: skip


def daily_figures(url: str) -> dict[str, tuple[int, int, int]]:
    """Offered, answered, abandoned per local day, from the interval store the import aggregated again."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT (i.start AT TIME ZONE %s)::date AS day, sum(i.offered), sum(i.answered), sum(i.abandoned) "
            "FROM dashboard_queueinterval i GROUP BY 1 ORDER BY 1",
            [str(TZ)],
        ).fetchall()
    # The 7 days after the month are aggregated again too (repeat contacts): rows of nothing, left out.
    return {day.isoformat(): (int(o), int(a), int(b)) for day, o, a, b in rows if o or a or b}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts in the month (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--doors", default=",".join(DOORS), help=f"which doors, comma-separated ({', '.join(DOORS)})")
    parser.add_argument("--profile", metavar="DIR", help="run each import under cProfile, writing DIR/<door>.prof")
    parser.add_argument("--keep", metavar="DIR", help="write the files into DIR and keep them (default: a temp dir)")
    args = parser.parse_args()
    doors = [d.strip() for d in args.doors.split(",") if d.strip()]
    if not doors or any(d not in DOORS for d in doors):
        parser.error(f"--doors: one or more of {', '.join(DOORS)}")
    if args.contacts < DAYS:
        parser.error(f"--contacts: at least {DAYS} (one a day)")

    env = bench_environment()
    django_setup(env)
    from dashboard.ingest.customer import customer_ref

    profile = Path(args.profile).resolve() if args.profile else None
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kcc-bench-import-") as tmp:
        folder = Path(args.keep).resolve() if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        month = list(month_calls(args.contacts, args.seed))
        expected = expected_daily(month)
        paths = {"csv": folder / "contacts.csv", "queue_log": folder / "queue_log", "connect": folder / "connect"}
        for door in doors:
            if door == "csv":
                write_csv(paths["csv"], month, customer_ref)
            elif door == "queue_log":
                write_queue_log(paths["queue_log"], month)
            else:
                write_connect(paths["connect"], month, args.seed)
        contacts = sum(o for o, _, _ in expected.values())
        del month
        sizes = {d: _size(paths[d]) for d in doors}
        print(f"generated {contacts:,} contacts of {AGENTS} agents, {DAYS} days from {FIRST_DAY} (seed {args.seed}) "
              f"in {time.perf_counter() - t0:.0f} s: "
              + ", ".join(f"{d} {sizes[d] / 2**20:,.0f} MiB" for d in doors), flush=True)  # fmt: skip

        load = os.getloadavg()
        print(f"import through each door into a fresh PostgreSQL database (load average {load[0]:.2f} "
              f"{load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores)", flush=True)  # fmt: skip
        ok = True
        figures: dict[str, dict] = {}
        for door in doors:
            run = run_door(door, paths[door], env, profile)
            rate = contacts / run["seconds"]
            daily = daily_figures(env["DATABASE_URL"]) if run["code"] == 0 else {}
            figures[door] = daily
            agree = daily == expected
            ok &= run["code"] == 0 and agree and rate >= MUST
            print(f"  {door:<10} {run['seconds']:7.1f} s  {rate:8,.0f} contacts/s  "
                  f"(goal ≥ {GOAL:,}: {rate / GOAL:.2f}×; must ≥ {MUST:,}: {rate / MUST:.2f}×)  "
                  f"peak RSS {run['peak_mb']:,.0f} MB  daily figures {'as generated' if agree else 'DIFFER'}", flush=True)  # fmt: skip
            if run["code"] != 0 or not agree:
                print(run["out"][-3000:], run["err"][-3000:])
                for day in sorted(set(expected) | set(daily)):
                    if expected.get(day) != daily.get(day):
                        print(f"    {day}: generated {expected.get(day)}, imported {daily.get(day)}")
            else:
                print(f"             {run['out'].strip().splitlines()[-1][:400]}")
        if len(figures) > 1:
            same = len({json.dumps(f, sort_keys=True) for f in figures.values()}) == 1
            print(f"  the doors give the same daily figures (offered/answered/abandoned per day): {same}")
            ok &= same
    sys.exit(0 if ok else 1)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


if __name__ == "__main__":
    main()
