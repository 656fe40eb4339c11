"""``import_queue_log --follow`` with real processes: the live publisher (``manage.py publish_live``) and the
follower run as subprocesses on the test database and Redis, as an operator runs them. A line appended to
the queue_log must be in the snapshot the publisher publishes (what every wallboard gets) and in
``GET /api/v1/live/`` within 2 s; after a rotation by move and a copytruncate, lines of the new file too;
SIGTERM stops the follower quickly with exit status 0, and a restarted follower catches up on what was
written while it was stopped, with no line lost and none read twice.

The figures (line → published latency, SIGTERM exit time, restart catch-up time) are printed with ``-s``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from dashboard.core.models import Event
from dashboard.live import broadcast
from dashboard.live.scopes import parse_scope
from tests.factories import QueueFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "pbx-live"
LIVE_WITHIN_S = 2.0


def _database_url() -> str:
    d = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{d['NAME']}"
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


class Procs:
    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "KCC_LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
            "DJANGO_SETTINGS_MODULE": "kcc.settings",
            "LOG_LEVEL": "WARNING",
        }
        self.running: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> tuple[subprocess.Popen, Path, Path]:
        out, err = self.tmp / f"{name}.out", self.tmp / f"{name}.err"
        proc = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            stdout=out.open("w"),
            stderr=err.open("w"),
        )
        self.running.append(proc)
        return proc, out, err

    def stop_all(self):
        for proc in self.running:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


def _published_offered() -> int | None:
    text = broadcast.latest(parse_scope("all"), "snapshot")
    return json.loads(text)["data"]["total"]["today"]["offered"] if text else None


def _line(n: int) -> str:
    return f"{int(time.time())}|live{n}|support|NONE|ENTERQUEUE||0612{n:06d}|1\n"


def _append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)
        f.flush()


def _wait_published(n: int, *, within: float, procs: list[subprocess.Popen]) -> float:
    """Seconds until the published snapshot counts ``n`` offered contacts (fails after ``within``)."""
    started = time.monotonic()
    while (_published_offered() or 0) < n:
        elapsed = time.monotonic() - started
        assert elapsed < within, f"offered {n} not published within {within} s (published: {_published_offered()})"
        assert all(p.poll() is None for p in procs), "a process died"
        time.sleep(0.01)
    assert _published_offered() == n
    return time.monotonic() - started


def test_a_followed_queue_log_reaches_the_wallboard_through_rotation_and_a_restart(tmp_path):
    QueueFactory(name="support")
    client = Client()
    client.force_login(UserFactory(role="manager"))
    logs = tmp_path / "asterisk"
    logs.mkdir()
    path = logs / "queue_log"
    path.write_text("")
    procs = Procs(tmp_path)
    try:
        publisher, _, publisher_err = procs.start("publisher", "publish_live")
        follow_args = ("import_queue_log", str(path), "--source", SOURCE, "--follow")
        follower, follower_out, follower_err = procs.start("follower-1", *follow_args)
        deadline = time.monotonic() + 60
        while _published_offered() is None or "Following" not in follower_out.read_text():
            assert time.monotonic() < deadline, (publisher_err.read_text(), follower_err.read_text())
            assert publisher.poll() is None and follower.poll() is None, (
                publisher_err.read_text(),
                follower_err.read_text(),
            )
            time.sleep(0.1)
        time.sleep(1)  # the follower has opened the file and polls
        n = 0

        latencies = []
        for _ in range(8):
            n += 1
            _append(path, _line(n))
            latencies.append(_wait_published(n, within=LIVE_WITHIN_S, procs=[publisher, follower]))
            assert client.get("/api/v1/live/").json()["all"]["today"]["offered"] == n
            time.sleep(0.3)  # lines a little apart, as calls come

        # rotation by move: the old file's last line, then the new file's
        n += 1
        _append(path, _line(n))
        os.rename(path, logs / "queue_log.1")
        path.write_text("")
        n += 1
        _append(path, _line(n))
        rotated = _wait_published(n, within=LIVE_WITHIN_S, procs=[publisher, follower])

        # copytruncate: a line written just before the copy, then one in the cut file
        n += 1
        _append(path, _line(n))
        shutil.copyfile(path, logs / "queue_log.0")
        os.truncate(path, 0)
        n += 1
        _append(path, _line(n))
        truncated = _wait_published(n, within=LIVE_WITHIN_S, procs=[publisher, follower])

        # SIGTERM while lines come in, then more lines (and a rotation) while it is stopped
        for _ in range(20):
            n += 1
            _append(path, _line(n))
        started = time.monotonic()
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(10) == 0, follower_err.read_text()
        exit_s = time.monotonic() - started
        assert exit_s < 5
        for _ in range(30):
            n += 1
            _append(path, _line(n))
        os.rename(path, logs / "queue_log.2")
        path.write_text("")
        for _ in range(30):
            n += 1
            _append(path, _line(n))
        started = time.monotonic()
        follower2, follower2_out, follower2_err = procs.start("follower-2", *follow_args)
        while "Following" not in follower2_out.read_text():
            assert time.monotonic() - started < 60 and follower2.poll() is None, follower2_err.read_text()
            time.sleep(0.01)
        startup = time.monotonic() - started
        catch_up = _wait_published(n, within=10, procs=[publisher, follower2])
        n += 1
        _append(path, _line(n))
        after_restart = _wait_published(n, within=LIVE_WITHIN_S, procs=[publisher, follower2])
        follower2.send_signal(signal.SIGTERM)
        assert follower2.wait(10) == 0, follower2_err.read_text()

        # every line once: in the log, and read once by the two runs together
        assert Event.objects.filter(source__name=SOURCE).count() == n
        first, second = follower_out.read_text(), follower2_out.read_text()
        read = [int(text.split(": ", 1)[1].split(" lines read")[0]) for text in (first, second)]
        assert sum(read) == n, (first, second)
        assert "events: " in first and " 0 duplicate," in first and " 0 duplicate," in second, (first, second)
        assert "rotations followed: 2" in first and "rotations followed: 1" in second
        assert "the file read before, rotated; reading it on from line" in follower2_err.read_text()
        assert client.get("/api/v1/live/").json()["all"]["today"]["offered"] == n
        print(
            f"\nqueue_log --follow, {n} lines: line → published snapshot median "
            f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
            f"over {len(latencies)} lines; after a move {rotated * 1000:.0f} ms, after copytruncate "
            f"{truncated * 1000:.0f} ms; SIGTERM → exit 0 in {exit_s * 1000:.0f} ms; restart → "
            f"{n - 1 - read[0]} lines written while stopped published {catch_up * 1000:.0f} ms after the "
            f"follower's start-up ({startup:.1f} s); next line after the restart {after_restart * 1000:.0f} ms"
        )
    finally:
        procs.stop_all()


def test_the_procfile_line_follows_the_file_kcc_queue_log_names_and_stops_cleanly_under_honcho(tmp_path):
    """What ``make run EXTRA_PROCS=queue_log`` starts: the Procfile's ``queue_log`` line under honcho, the
    file and the source from the environment; Ctrl-C (honcho sends SIGTERM) stops it with status 0."""
    path = tmp_path / "queue_log"
    path.write_text(_line(1))
    procs = Procs(tmp_path)
    procs.env.update(
        KCC_QUEUE_LOG=str(path),
        KCC_QUEUE_LOG_SOURCE="pbx-honcho",
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    )
    out = tmp_path / "honcho.out"
    honcho = subprocess.Popen(
        [str(Path(sys.executable).with_name("honcho")), "-f", "Procfile", "start", "queue_log"],
        cwd=ROOT,
        env=procs.env,
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
    )
    procs.running.append(honcho)
    try:
        deadline, appended = time.monotonic() + 60, False
        while (stored := Event.objects.filter(source__name="pbx-honcho").count()) < 2:
            assert time.monotonic() < deadline and honcho.poll() is None, out.read_text()
            if stored == 1 and not appended:  # the file's first line is in: one more while it runs
                _append(path, _line(2))
                appended = True
            time.sleep(0.1)
        honcho.send_signal(signal.SIGINT)
        honcho.wait(20)
        text = out.read_text()
        assert f"Following {path} into source pbx-honcho" in text
        assert "queue_log.1 stopped (rc=0)" in text, text
    finally:
        procs.stop_all()
