"""Issue 12, all at once: the production shape on one machine, with real processes.

Two daphne behind Caddy, two live publishers, two Celery workers and two Celery beats on PostgreSQL and
Redis; an ACD posting events through the proxy the whole time (and retrying a batch that got no answer,
as the events API is idempotent on event ids); wall screens in Chromium through the proxy, and one
websocket client on the daphne that stays up, which records every message. Then, one after another:

1. a worker is killed with SIGKILL in the middle of a background export: the other finishes it, queued
   again by the beat's minute task (here every second) once the heartbeat is old enough;
2. the leading publisher is killed with SIGKILL: the standby sends within 5 s, and no message is doubled;
3. one daphne is killed with SIGKILL: its screens reconnect through the proxy within 5 s.

Over all of it, no accepted event is lost: every event the API accepted is in the database, and the
screens show the database's count.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from websockets.sync.client import connect

from dashboard.core import observe
from dashboard.core.models import Contact
from dashboard.ingest.sources import source_token_create
from dashboard.live import keys
from dashboard.live.middleware import DISPLAY_COOKIE
from dashboard.live.models import Display
from tests.e2e.conftest import ARTIFACTS, database_url, free_port
from tests.e2e.test_live_pages import centre
from tests.e2e.test_live_resync import wait_offered
from tests.factories import QueueFactory
from tests.proxy import ROOT, Proxy, caddy_missing, start_daphne, stop, wait_http, websocket_count

WITHIN_S = 5.0
SCREENS = 4
EXPORT_DAYS = ("2026-11-16", "2026-11-20")


def _start_worker(env: dict, queue: str, tmp_path: Path, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kcc", "worker", "--pool", "solo", "-Q", queue,
         "-n", f"{name}-{uuid.uuid4().hex[:4]}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{name}.log", "w"),
    )  # fmt: skip


def _start_beat(env: dict, tmp_path: Path, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kcc", "beat", "--loglevel", "WARNING",
         "--pidfile", str(tmp_path / f"{name}.pid"), "--schedule", str(tmp_path / f"{name}.db")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{name}.log", "w"),
    )  # fmt: skip


def _leading(component: str, pids: list[int]) -> list[int]:
    now = time.time()
    found = []
    for process, beat in observe.heartbeats(component).items():
        pid = int(process.rsplit(":", 1)[1])
        if pid in pids and beat.get("leading") and now - beat["at"] < 2:
            found.append(pid)
    return found


def _until(predicate, what: str, timeout: float, logs=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}" + (f"\n{logs()}" if logs else ""))


class Poster(threading.Thread):
    """An ACD: one new contact offered every ``every_s`` through the proxy. A batch that gets no answer
    (its daphne died under it) is sent again until one comes; ``accepted`` holds what the API accepted."""

    def __init__(self, base: str, token: str, every_s: float = 0.1):
        super().__init__(daemon=True)
        self.base, self.token, self.every_s = base, token, every_s
        self.accepted: list[str] = []
        self.retries = 0
        self.halt = threading.Event()

    def _post(self, events: list[dict]) -> bool:
        request = urllib.request.Request(
            f"{self.base}/api/v1/events/", data=json.dumps(events).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                answer.read()  # "accepted", or "duplicates" when an earlier try was stored but not answered
                return answer.status == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            n += 1
            event = {"id": f"e{n}", "type": "contact.offered", "at": datetime.now(UTC).isoformat(),
                     "contact_id": f"c{n}", "queue": "Algemeen", "channel": "voice"}  # fmt: skip
            while not self._post([event]):
                self.retries += 1
                time.sleep(0.2)
            self.accepted.append(event["contact_id"])
            self.halt.wait(self.every_s)


class Listener(threading.Thread):
    """A websocket client of the wall screen on one daphne, keeping every message it hears."""

    def __init__(self, port: int, screen_token: str):
        super().__init__(daemon=True)
        self.port, self.screen_token = port, screen_token
        self.received: list[tuple[float, dict]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        url = f"ws://127.0.0.1:{self.port}/ws/live/?scopes=all"
        cookie = {"Cookie": f"{DISPLAY_COOKIE}={self.screen_token}"}
        with connect(url, origin=f"http://127.0.0.1:{self.port}", additional_headers=cookie) as ws:
            while not self.halt.is_set():
                try:
                    text = ws.recv(timeout=0.2)
                except TimeoutError:
                    continue
                self.received.append((time.monotonic(), json.loads(text)))

    def snapshots(self) -> list[dict]:
        return [m for _, m in self.received if m["type"] == "snapshot" and m["scope"] == "all"]

    def offered(self) -> int:
        return max((m["data"]["total"]["today"]["offered"] for m in self.snapshots()), default=0)


@pytest.mark.django_db(transaction=True)
def test_the_production_shape_loses_nothing_when_a_worker_a_publisher_and_a_daphne_die(browser, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("several workers, publishers and daphne on one database is PostgreSQL's shape")
    missing = caddy_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Caddy for the proxy: {missing}")
        pytest.skip(missing)

    team, queue = centre()
    QueueFactory(name="Facturen", team=team)  # two queues: the board shows a tile per queue
    _source, source_token, _ = source_token_create(name="acd")
    display = Display(name="TV", scopes="all")
    screen_token = display.issue_token()
    display.save()
    celery_queue = f"kcctest-shape-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "KCC_LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
        "DJANGO_SETTINGS_MODULE": "tests.beat_settings",
        "KCC_TEST_BEAT_QUEUE": celery_queue,
        "KCC_TEST_BEAT_EXPORTS": "1",
        "KCC_BEAT_LEASE_S": "3",
        "WFM_EXPORT_DIR": str(tmp_path / "exports"),
        "LOG_LEVEL": "WARNING",
    }
    processes: dict[str, subprocess.Popen] = {}

    def logs() -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(tmp_path.glob("*.log")))

    proxy = poster = listener = None
    holder = None
    try:
        for name in ("publisher-a", "publisher-b"):
            processes[name] = subprocess.Popen(
                [sys.executable, "manage.py", "publish_live"], cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{name}.log", "w"),
            )  # fmt: skip
        ports = [free_port(), free_port()]
        for port in ports:
            processes[f"daphne-{port}"] = start_daphne(env, port)
        for name in ("beat-a", "beat-b"):
            processes[name] = _start_beat(env, tmp_path, name)
        processes["worker-a"] = _start_worker(env, celery_queue, tmp_path, "worker-a")
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/healthz", "daphne")
        proxy = Proxy(free_port(), ports)
        publishers = [processes["publisher-a"].pid, processes["publisher-b"].pid]
        beats = [processes["beat-a"].pid, processes["beat-b"].pid]
        _until(lambda: len(_leading("publisher", publishers)) == 1, "one leading publisher", 30, logs)
        _until(lambda: len(_leading("beat", beats)) == 1, "one leading beat", 60, logs)

        # The screens, through the proxy: round robin puts them on both daphne.
        pages = []
        for _ in range(SCREENS):
            page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="en-GB")
            page.goto(f"{proxy.base}/wallboard/?scope=all&display={screen_token}")
            try:
                page.wait_for_selector(f"#tiles article[data-queue='{queue.id}']", timeout=15_000)
            except Exception:
                pytest.fail(f"no tile on the screen: {page.inner_text('body')[:500]}\n{logs()}")
            pages.append(page)
        victim_port, kept_port = ports
        listener = Listener(kept_port, screen_token)
        listener.start()
        poster = Poster(proxy.base, source_token)
        poster.start()
        _until(lambda: listener.offered() >= 5, "the first events on the wall", 15, logs)

        # 1. A worker dies in the middle of an export. Its run waits inside its read (the interval table
        # is locked) so that the kill lands mid-export; the second worker starts after it took the export.
        holder = _lock_intervals()
        export_id = _create_export(env)
        status = lambda: _export_status(export_id)  # noqa: E731
        _until(lambda: status() == ("running", 1), "worker a to take the export", 60, logs)
        processes["worker-b"] = _start_worker(env, celery_queue, tmp_path, "worker-b")
        time.sleep(0.5)
        processes["worker-a"].send_signal(signal.SIGKILL)
        processes["worker-a"].wait(10)
        holder.execute("ROLLBACK")
        holder.close()
        holder = None
        # Two minutes without a heartbeat pass (moved back rather than waited for); then the beat's task
        # queues it again and worker b finishes it.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE dashboard_intervalexport SET heartbeat_at = heartbeat_at - interval '3 minutes' WHERE id = %s",
                [export_id],
            )
        _until(lambda: status() == ("done", 2), "worker b to finish the export", 60, logs)

        # 2. The leading publisher dies; events keep coming.
        [leader] = _leading("publisher", publishers)
        os.kill(leader, signal.SIGKILL)
        killed_at = time.monotonic()
        _until(
            lambda: any(t > killed_at + 0.05 and m["type"] == "snapshot" for t, m in listener.received),
            "the standby publisher to send",
            WITHIN_S + 5,
            logs,
        )
        takeover_s = (
            next(t for t, m in listener.received if t > killed_at + 0.05 and m["type"] == "snapshot") - killed_at
        )
        survivor = next(p for p in publishers if p != leader)
        _until(lambda: _leading("publisher", publishers) == [survivor], "the standby to lead", 5, logs)

        # 3. A daphne dies; its screens move through the proxy to the other.
        on_victim = websocket_count(victim_port)
        assert on_victim >= 1, "round robin put no screen on the first daphne"
        processes[f"daphne-{victim_port}"].send_signal(signal.SIGKILL)
        daphne_killed_at = time.monotonic()
        processes[f"daphne-{victim_port}"].wait(5)
        _until(lambda: websocket_count(kept_port) >= SCREENS + 1, "the screens on the other daphne", WITHIN_S + 5, logs)
        reconnect_s = time.monotonic() - daphne_killed_at

        time.sleep(2)
        poster.halt.set()
        poster.join(30)
        assert not poster.is_alive(), "the ACD's last batch never got an answer"
        accepted = poster.accepted
        stored = {  # a contact's id is its source's own, after the source's name
            contact_id.removeprefix("acd:")
            for contact_id in Contact.objects.filter(queue=queue).values_list("contact_id", flat=True)
        }
        assert set(accepted) <= stored, f"accepted but lost: {sorted(set(accepted) - stored)[:10]}"
        assert len(stored) == len(accepted)
        for page in pages:
            wait_offered(page, queue.id, len(accepted), timeout=10_000)
        _until(lambda: listener.offered() == len(accepted), "the listener to hear the last count", 10, logs)
        pages[0].screenshot(path=str(ARTIFACTS / "production-shape-after-failures.png"))
        print(
            f"{len(accepted)} events accepted ({poster.retries} retried), all stored; export finished by the "
            f"other worker; standby publisher sent {takeover_s:.2f} s after the kill; {on_victim} screen(s) "
            f"moved to the other daphne in {reconnect_s:.2f} s"
        )
        assert takeover_s < WITHIN_S
        assert reconnect_s < WITHIN_S
    finally:
        if poster is not None:
            poster.halt.set()
        if listener is not None:
            listener.halt.set()
            listener.join(5)
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
        if proxy is not None:
            proxy.stop()
        stop(processes.values())
        keys.client().delete(celery_queue)

    snapshots = listener.snapshots()
    seqs = [m["seq"] for m in snapshots]
    assert seqs == sorted(set(seqs)), "a snapshot's seq repeated or went back"
    bodies = [
        json.dumps({k: v for k, v in m["data"].items() if k not in ("generated_at", "live_version")}, sort_keys=True)
        for m in snapshots
    ]
    doubled = sum(1 for a, b in zip(bodies, bodies[1:], strict=False) if a == b)
    # A new leader sends every scope once, changed or not (it cannot know what its predecessor sent):
    # that one repeat is allowed; two publishers sending the same change would repeat every change.
    assert doubled <= 1, f"{doubled} snapshots sent twice"


def _lock_intervals():
    import psycopg

    holder = psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=True)
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE dashboard_queueinterval IN ACCESS EXCLUSIVE MODE")
    return holder


def _create_export(env: dict) -> str:
    """A planner asks for an export (in a process of the deployment's settings, so its task goes to the
    test's workers)."""
    first, last = EXPORT_DAYS
    script = (
        "from datetime import date\n"
        "from django.contrib.auth import get_user_model\n"
        "from dashboard.wfm.selectors import ExportQuery\n"
        "from dashboard.wfm.services.export import interval_export_create\n"
        "user = get_user_model().objects.create_user('planner', is_superuser=True)\n"
        f"query = ExportQuery(date.fromisoformat({first!r}), date.fromisoformat({last!r}))\n"
        "print(interval_export_create(user=user, query=query, fmt='csv').id)\n"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _export_status(export_id: str) -> tuple[str, int] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, attempts FROM dashboard_intervalexport WHERE id = %s", [export_id])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None
