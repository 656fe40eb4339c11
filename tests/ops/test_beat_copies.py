"""Two Celery beats as real processes, on a scratch database, the suite's Redis and a schedule of
seconds (tests/beat_settings.py): every task is sent once per period, not twice; killing the beat that
leads hands the schedule to the other within its lease, which continues where the first stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings

from dashboard.core import observe
from dashboard.live import keys
from tests.databases import ScratchDatabase

ROOT = Path(__file__).resolve().parents[2]
LEASE_S = 3.0


def _start_beat(env: dict, tmp_path: Path, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kcc", "beat", "--loglevel", "INFO",
         "--pidfile", str(tmp_path / f"{name}.pid"), "--schedule", str(tmp_path / f"{name}.db")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{name}.log", "w"),
    )  # fmt: skip


def _sent(queue: str) -> dict[str, list[float]]:
    """Task name -> the moments (epoch seconds) beat sent it, from the messages waiting in ``queue``."""
    sent = defaultdict(list)
    for raw in reversed(keys.client().lrange(queue, 0, -1)):  # LPUSHed: the oldest last
        headers = json.loads(raw)["headers"]
        sent[headers["task"]].append(datetime.fromisoformat(headers["expires"]).timestamp() - 60)
    return sent


def _gaps(moments: list[float]) -> list[float]:
    return [b - a for a, b in zip(moments, moments[1:], strict=False)]


def _leading(pids: dict[int, str]) -> dict[str, bool]:
    found = {}
    for process, beat in observe.heartbeats("beat").items():
        pid = int(process.rsplit(":", 1)[1])
        if pid in pids:
            found[pids[pid]] = beat.get("leading")
    return found


@pytest.mark.django_db(transaction=True)
def test_two_beats_send_each_task_once_per_period_and_the_standby_takes_over(tmp_path):
    database = ScratchDatabase(tmp_path, prefix="kcc_beat")
    queue = f"kcctest-beat-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "KCC_LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
        "DJANGO_SETTINGS_MODULE": "tests.beat_settings",
        "KCC_TEST_BEAT_QUEUE": queue,
        "KCC_BEAT_LEASE_S": str(LEASE_S),
    }
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    beats = {name: _start_beat(env, tmp_path, name) for name in ("a", "b")}
    pids = {proc.pid: name for name, proc in beats.items()}
    logs = lambda: {n: (tmp_path / f"{n}.log").read_text()[-3000:] for n in beats}  # noqa: E731
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_leading(pids)) < 2:
            assert all(p.poll() is None for p in beats.values()), logs()
            time.sleep(0.2)
        leading = _leading(pids)
        assert sorted(leading.values()) == [False, True], (leading, logs())  # one leads, one stands by
        leader = next(name for name, is_leader in leading.items() if is_leader)
        standby = next(name for name in beats if name != leader)

        # Both run for 12 s: the one-second task is sent about 12 times, not 24.
        while len(_sent(queue)["dashboard.tasks.intervals_aggregate"]) < 2:
            time.sleep(0.1)
        time.sleep(12)
        before = _sent(queue)
        fast = before["dashboard.tasks.live_state_ensure"]
        span = fast[-1] - fast[0]
        assert len(fast) - 1 <= span + 1, (fast, logs())
        assert min(_gaps(fast)) >= 0.9, _gaps(fast)

        # Kill the leader right after it sent the five-second task: the standby must wait for that task's
        # period (read from the database), not send it at once on taking over.
        last_slow = len(before["dashboard.tasks.intervals_aggregate"])
        while len(_sent(queue)["dashboard.tasks.intervals_aggregate"]) == last_slow:
            time.sleep(0.05)
        beats[leader].send_signal(signal.SIGKILL)
        killed_at = time.time()
        beats[leader].wait(10)

        deadline = time.monotonic() + LEASE_S + 10
        while time.monotonic() < deadline and not any(
            t > killed_at for t in _sent(queue)["dashboard.tasks.live_state_ensure"]
        ):
            time.sleep(0.1)
        after = _sent(queue)
        first_after = min(t for t in after["dashboard.tasks.live_state_ensure"] if t > killed_at)
        takeover_s = first_after - killed_at
        assert takeover_s <= LEASE_S + 1.5, (takeover_s, logs())
        assert _leading(pids)[standby] is True
        time.sleep(6)  # long enough for the five-second task's next period
        after = _sent(queue)
        assert min(_gaps(after["dashboard.tasks.live_state_ensure"])) >= 0.9, _gaps(
            after["dashboard.tasks.live_state_ensure"]
        )
        slow = after["dashboard.tasks.intervals_aggregate"]
        assert len(slow) > last_slow + 1, (slow, logs())  # the standby sent it after the takeover
        assert min(_gaps(slow)) >= 4.9, (_gaps(slow), logs())  # never within one period of the last
        print(
            f"takeover in {takeover_s:.2f} s (lease {LEASE_S} s); gaps of the 5 s task {[round(g, 2) for g in _gaps(slow)]}"
        )
    finally:
        for proc in beats.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        keys.client().delete(queue)
        database.drop()
