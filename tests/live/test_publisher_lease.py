"""Several live publishers: one leads through a lease in Redis, the others stand by.

The lease and its fencing token on a real Redis (take, renew, expire, hand over, release; a stale
token numbers and stores nothing), then real processes: daphne, two ``publish_live`` copies and a
websocket client of a wall screen; the leader is killed with SIGKILL while events keep coming, and the
screen hears the standby within 5 s, with no message sent twice while both ran."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from websockets.sync.client import connect

from dashboard.core import observe
from dashboard.core.lease import Lease
from dashboard.core.models import Queue
from dashboard.live import broadcast, keys
from dashboard.live.middleware import DISPLAY_COOKIE
from dashboard.live.models import Display
from dashboard.live.scopes import LiveScope
from tests.e2e.conftest import ROOT, Stack

pytestmark = pytest.mark.django_db


def _lease(name="t", ttl_s=0.3) -> Lease:
    return Lease(keys.client(), keys.root(), name, ttl_s=ttl_s)


def test_one_holder_at_a_time_and_each_taking_raises_the_token():
    a, b = _lease(), _lease()
    first = a.hold()
    assert first is not None
    assert b.hold() is None  # held
    assert a.hold() == first  # renewing keeps the token
    time.sleep(0.4)  # a stopped renewing: its lease expired
    second = b.hold()
    assert second == first + 1
    assert a.hold() is None and a.fence is None


def test_release_hands_over_at_once():
    a, b = _lease(ttl_s=30), _lease(ttl_s=30)
    a.hold()
    a.release()
    assert b.hold() is not None


def test_a_stale_token_numbers_and_stores_nothing():
    a, b = _lease(), _lease()
    a.hold()
    stale = a.fence
    scope = LiveScope("all")
    before = broadcast.prepare([(scope, "snapshot", {"x": 1})], fence=stale)
    time.sleep(0.4)
    b.hold()  # b takes over while a is frozen
    with pytest.raises(broadcast.FencedOutError):
        broadcast.prepare([(scope, "snapshot", {"x": 2})], fence=stale)
    assert json.loads(broadcast.latest(scope, "snapshot"))["seq"] == before[0].seq  # nothing stored
    after = broadcast.prepare([(scope, "snapshot", {"x": 3})], fence=b.fence)
    assert after[0].seq > before[0].seq
    assert json.loads(broadcast.latest(scope, "snapshot"))["data"] == {"x": 3}


# --- real processes -----------------------------------------------------------------------------------


def _post(base: str, token: str, events: list[dict]) -> None:
    request = urllib.request.Request(
        f"{base}/api/v1/events/", data=json.dumps(events).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _leaders() -> dict[int, dict]:
    now = time.time()
    return {
        int(process.rsplit(":", 1)[1]): beat
        for process, beat in observe.heartbeats("publisher").items()
        if beat.get("leading") and now - beat["at"] < 2
    }


@pytest.mark.django_db(transaction=True)
def test_a_standby_publisher_takes_over_within_5_s_of_a_kill_and_nothing_is_sent_twice():
    Queue.objects.create(name="Sales", channel="voice")
    out = StringIO()
    call_command("create_source_token", "pbx", stdout=out)
    source_token = out.getvalue().strip().splitlines()[-1]
    display = Display(name="wall", scopes="all")
    screen_token = display.issue_token()
    display.save()

    stack = Stack()
    publishers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "publish_live"], cwd=ROOT, env=stack.env, stdout=subprocess.DEVNULL
        )  # fmt: skip
        for _ in range(2)
    ]
    stack.start_daphne()
    received: list[tuple[float, dict]] = []
    stop = threading.Event()

    def listen():
        url = f"ws://127.0.0.1:{stack.port}/ws/live/?scopes=all"
        cookie = {"Cookie": f"{DISPLAY_COOKIE}={screen_token}"}
        with connect(url, origin=f"http://127.0.0.1:{stack.port}", additional_headers=cookie) as ws:
            while not stop.is_set():
                try:
                    text = ws.recv(timeout=0.2)
                except TimeoutError:
                    continue
                received.append((time.monotonic(), json.loads(text)))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    n = 0

    def offer():
        nonlocal n
        n += 1
        at = datetime.now(UTC).isoformat()
        _post(stack.base, source_token, [{"id": f"e{n}", "type": "contact.offered", "at": at,
                                          "contact_id": f"c{n}", "queue": "Sales", "channel": "voice"}])  # fmt: skip

    def offered_seen() -> int:
        snapshots = [m for _, m in received if m["type"] == "snapshot"]
        return max((m["data"]["total"]["today"]["offered"] for m in snapshots), default=0)

    try:
        deadline = time.monotonic() + 30
        while not _leaders() and time.monotonic() < deadline:
            time.sleep(0.1)
        leaders = _leaders()
        assert len(leaders) == 1, leaders  # both run, one leads
        for _ in range(8):  # both alive: changes go out once each
            offer()
            time.sleep(0.4)
        deadline = time.monotonic() + 5
        while offered_seen() < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert offered_seen() == n

        leader_pid = next(iter(leaders))
        assert leader_pid in [p.pid for p in publishers]
        os.kill(leader_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        offer()  # a change while nobody leads
        deadline = killed_at + 10
        while offered_seen() < n and time.monotonic() < deadline:
            offer() if time.monotonic() - killed_at > 1 and n < 40 else None
            time.sleep(0.2)
        resumed = next(t for t, m in received if t > killed_at and m["type"] == "snapshot")
        takeover_s = resumed - killed_at
        print(f"standby publisher sent {takeover_s:.2f} s after the leader's SIGKILL")
        assert takeover_s < 5.0
        assert offered_seen() == n
        survivor = [p for p in publishers if p.pid != leader_pid][0]
        assert set(_leaders()) == {survivor.pid}
    finally:
        stop.set()
        listener.join(5)
        for proc in publishers:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        stack.stop()

    snapshots = [m for _, m in received if m["type"] == "snapshot" and m["scope"] == "all"]
    seqs = [m["seq"] for m in snapshots]
    assert seqs == sorted(set(seqs)), "a snapshot's seq repeated or went back"
    bodies = [json.dumps({k: v for k, v in m["data"].items() if k not in ("generated_at", "live_version")},
                         sort_keys=True) for m in snapshots]  # fmt: skip
    doubled = [i for i in range(1, len(bodies)) if bodies[i] == bodies[i - 1]]
    # A new leader sends every scope once, unchanged or not (it cannot know what its predecessor sent):
    # that one repeat is allowed; two publishers sending the same change would repeat every change.
    assert len(doubled) <= 1, f"{len(doubled)} snapshots sent twice"
    assert settings.LIVE_KEY_PREFIX in stack.env["KCC_LIVE_KEY_PREFIX"]
