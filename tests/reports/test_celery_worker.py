"""The report tasks on a real Celery worker (``celery -A kcc worker`` in a subprocess) against a real
database and Redis: the interval and report tasks do their work, running one twice changes nothing, and a
worker killed in the middle of a task loses nothing (acks_late: the task is delivered again and finishes).

The worker cannot see pytest-django's test database (in memory for SQLite, inside a transaction for
PostgreSQL), so the test gives it a database of its own: a file SQLite database in a temporary folder, or
a PostgreSQL database of its own name when the suite runs on PostgreSQL. Tasks go to a queue of this test's
own, so no other worker on the same Redis takes them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis
from celery import Celery
from django.conf import settings

from dashboard.core.periods import day_bounds, local_date
from tests.databases import ScratchDatabase

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_S = 3


@pytest.fixture
def worker_env(tmp_path):
    database = ScratchDatabase(tmp_path, prefix="kcc_worker")
    broker = _broker_url()
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": broker,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_S),
        "KCC_LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
        "DJANGO_SETTINGS_MODULE": "kcc.settings",
        "LOG_LEVEL": "WARNING",
    }
    queue = f"kcctest-{uuid.uuid4().hex[:10]}"
    _manage(env, "migrate", "--noinput")
    yield database, env, queue, broker
    database.drop()


def _broker_url() -> str:
    parsed = urlparse(settings.REDIS_URL)
    return parsed._replace(path="/11").geturl()  # a database of its own in the same Redis


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _start_worker(env: dict, queue: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kcc", "worker", "--pool", "solo", "-Q", queue,
         "-n", f"{queue}-{uuid.uuid4().hex[:4]}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _wait(predicate, what: str, timeout: float = 90.0, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the worker exited ({proc.returncode}) while waiting for {what}: {proc.stderr.read()}")
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def _history_csv(path: Path, day) -> Path:
    rows = ["contact_id,channel,queue,offered_at,answered_at,abandoned_at,ended_at,agent,talk_s,hold_s,acw_s,"
            "transferred_to,reason,customer_ref"]  # fmt: skip
    start = day_bounds(day)[0] + timedelta(hours=9)
    for n in range(12):
        offered = start + timedelta(minutes=n * 4)
        if n % 4 == 3:
            rows.append(
                f"w{n},voice,Werker,{offered.isoformat()},,{(offered + timedelta(seconds=40)).isoformat()},,,,,,,,"
            )
        else:
            answered, ended = offered + timedelta(seconds=10 * n), offered + timedelta(seconds=10 * n + 120)
            rows.append(
                f"w{n},voice,Werker,{offered.isoformat()},{answered.isoformat()},,{ended.isoformat()},ann,110,10,,,,"
            )
    path.write_text("\n".join(rows) + "\n")
    return path


def _intervals(db: ScratchDatabase) -> list[tuple]:
    return db.query(
        "SELECT q.name, i.start, i.offered, i.answered, i.abandoned, i.answered_within_threshold, i.wait_answered_ms "
        "FROM dashboard_queueinterval i JOIN dashboard_queue q ON q.id = i.queue_id WHERE i.offered > 0 ORDER BY 1, 2"
    )


def test_tasks_on_a_real_worker_are_idempotent_and_survive_a_killed_worker(worker_env, tmp_path):
    db, env, queue, broker = worker_env
    yesterday = local_date(datetime.now().astimezone()) - timedelta(days=1)
    _manage(env, "import_contacts", str(_history_csv(tmp_path / "history.csv", yesterday)))
    expected = _intervals(db)
    assert [(r[2], r[3], r[4]) for r in expected] == [(4, 3, 1)] * 3
    # start from nothing: the minute task must aggregate what the import left
    db.query("DELETE FROM dashboard_queueinterval")
    db.query("DELETE FROM dashboard_intervalwatermark")
    sender = Celery(broker=broker)
    r = redis.Redis.from_url(broker)
    worker = _start_worker(env, queue)
    try:
        sender.send_task("dashboard.tasks.intervals_aggregate", queue=queue)
        _wait(lambda: _intervals(db) == expected, "the minute task's intervals", proc=worker)
        sender.send_task("dashboard.tasks.reports_daily_build", queue=queue)
        label = yesterday.isoformat()
        _wait(lambda: db.query("SELECT label FROM dashboard_report WHERE kind = 'daily'") == [(label,)], "the daily report",
              proc=worker)  # fmt: skip
        # idempotent: aggregating the same day twice more stores the same rows
        start, end = (t.isoformat() for t in day_bounds(yesterday))
        marker = db.query("SELECT MAX(computed_at) FROM dashboard_queueinterval")[0][0]
        for _ in range(2):
            sender.send_task("dashboard.tasks.intervals_reaggregate", args=[start, end], queue=queue)
        _wait(lambda: db.query("SELECT MAX(computed_at) FROM dashboard_queueinterval")[0][0] != marker, "the reruns",
              proc=worker)  # fmt: skip
        time.sleep(1.0)
        assert _intervals(db) == expected
        lo, hi = day_bounds(yesterday)
        per_day = db.query("SELECT COUNT(*) FROM dashboard_queueinterval WHERE start >= ? AND start < ?",
                           (_db_time(db, lo), _db_time(db, hi)))[0][0]  # fmt: skip
        assert per_day == (hi - lo).total_seconds() // 900  # one row per quarter-hour of the day (one queue)
    finally:
        _stop(worker)

    # kill the worker in the middle of a task: hold the aggregation's lock so the task waits inside its
    # transaction, kill -9 the worker, release the lock; a new worker gets the task again and finishes
    db.query("DELETE FROM dashboard_queueinterval")
    holder = db.connect()
    if db.pg:
        holder.execute("SELECT pg_advisory_lock(hashtextextended('kcc:intervals', 0))")
    else:
        holder.execute("BEGIN IMMEDIATE")
    worker = _start_worker(env, queue)
    try:
        result = sender.send_task("dashboard.tasks.intervals_reaggregate", args=[start, end], queue=queue)
        _wait(
            lambda: any(result.id.encode() in v for v in r.hvals("unacked")), "the worker to take the task", proc=worker
        )
        if db.pg:
            _wait(lambda: db.query("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")[0][0],
                  "the task to wait for the lock")  # fmt: skip
        else:
            time.sleep(1.5)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        _stop(worker)
        if db.pg:
            holder.execute("SELECT pg_advisory_unlock(hashtextextended('kcc:intervals', 0))")
        else:
            holder.execute("ROLLBACK")
        holder.close()
    assert _intervals(db) == []  # nothing half-written
    assert any(result.id.encode() in v for v in r.hvals("unacked"))  # and the task is not lost
    time.sleep(VISIBILITY_S + 0.5)
    worker = _start_worker(env, queue)
    try:
        _wait(lambda: _intervals(db) == expected, "the task delivered again", proc=worker)
    finally:
        _stop(worker)
        # the workers' start-up catch-up (dashboard.tasks._reports_catch_up) went to the default queue,
        # which no worker of this test consumes
        r.delete("celery", *r.keys(f"{queue}*"))


def _db_time(db: ScratchDatabase, at: datetime):
    if db.pg:
        return at
    from datetime import UTC

    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
