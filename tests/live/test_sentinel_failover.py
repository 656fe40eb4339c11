"""REDIS_URL naming a Sentinel set: a real master, a replica and three Sentinels (on free ports), the
live state, the Channels layer and Celery's broker all reached through the Sentinels. The master is
killed; within 10 s every client works against the promoted replica, and the live state equals the
database again (rebuilt from the log by the check the publisher runs every round)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from celery import Celery
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from dashboard.core import observe, redisurl
from dashboard.ingest.services import events_ingest
from dashboard.live import keys
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from dashboard.live.services import live_ensure_loaded, live_rebuild
from tests.factories import QueueFactory, SourceFactory, TeamFactory

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_ports(n: int) -> list[int]:
    """Ports free now (the suite runs on PostgreSQL and SQLite at once in CI: fixed ports would clash)."""
    socks = [socket.socket() for _ in range(n)]
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in socks]
    for sock in socks:
        sock.close()
    return ports


MASTER_PORT, REPLICA_PORT, *_SENTINELS = _free_ports(5)
SENTINEL_PORTS = tuple(_SENTINELS)
MASTER = "kccmaster"
NOW = datetime.now(UTC)


def _wait(port: int, timeout: float = 10.0) -> None:
    client = redis.Redis(port=port, socket_timeout=0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"redis on port {port} did not start")


class SentinelSet:
    def __init__(self, workdir):
        self.workdir, self.procs = workdir, {}

    def _server(self, port: int, *extra: str) -> None:
        d = self.workdir / str(port)
        d.mkdir()
        self.procs[port] = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(d), "--save", "",
             "--appendonly", "no", "--loglevel", "warning", *extra],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(port)

    def start(self) -> None:
        self._server(MASTER_PORT)
        self._server(REPLICA_PORT, "--replicaof", "127.0.0.1", str(MASTER_PORT))
        for port in SENTINEL_PORTS:
            conf = self.workdir / f"sentinel-{port}.conf"
            conf.write_text(
                f"bind 127.0.0.1\nport {port}\ndir {self.workdir}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {MASTER_PORT} 2\n"
                f"sentinel down-after-milliseconds {MASTER} 1000\n"
                f"sentinel failover-timeout {MASTER} 10000\n"
            )
            self.procs[port] = subprocess.Popen([REDIS_SERVER, str(conf), "--sentinel", "--loglevel", "warning"],
                                                stdout=subprocess.DEVNULL)  # fmt: skip
            _wait(port)
        deadline = time.monotonic() + 15  # the replica in sync, the Sentinels aware of each other
        while time.monotonic() < deadline:
            info = redis.Redis(port=REPLICA_PORT).info("replication")
            seen = redis.Redis(port=SENTINEL_PORTS[0]).sentinel_masters()[MASTER]
            if info.get("master_link_status") == "up" and seen.get("num-other-sentinels") == 2:
                return
            time.sleep(0.1)
        raise RuntimeError("the Sentinel set did not settle")

    @property
    def url(self) -> str:
        return f"redis+sentinel://{','.join(f'127.0.0.1:{p}' for p in SENTINEL_PORTS)}/{MASTER}/0"

    def master_port(self) -> int:
        return int(redis.Redis(port=SENTINEL_PORTS[1]).sentinel_masters()[MASTER]["port"])

    def kill(self, port: int) -> None:
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def sentinels(tmp_path, settings):
    found = SentinelSet(tmp_path)
    try:
        found.start()
        settings.REDIS_URL = found.url  # keys.client() and observe's client are per URL: they follow
        yield found
    finally:
        found.stop()


def offered(n: int) -> dict:
    return {"id": f"e{n}", "type": "contact.offered", "at": (NOW - timedelta(seconds=90 - n)).isoformat(),
            "contact_id": f"c{n}", "queue": "Algemeen", "channel": "voice"}  # fmt: skip


def _ingest_and_close(source, event: dict) -> None:
    """An ingest from another thread (the event loop's executor), giving its connection back after."""
    try:
        events_ingest(source=source, events=[event], now=NOW)
    finally:
        connections.close_all()


def _within(seconds: float, attempt):
    """``attempt()``'s result once it stops raising RedisError (or kombu's errors), and when that was."""
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        try:
            return attempt(), time.monotonic()
        except Exception as error:  # redis, kombu or channels errors while the Sentinels elect
            last = error
            time.sleep(0.1)
    raise AssertionError(f"still failing after {seconds} s: {last!r}")


def _broker(url: str, queue: str) -> Celery:
    broker, options = redisurl.celery_broker(url)
    app = Celery("kcc-sentinel-test", broker=broker, set_as_current=False)  # kcc.celery stays the app
    app.conf.broker_transport_options = options
    app.conf.task_default_queue = queue
    return app


async def _layer_roundtrip(sender, receiver, channel: str, group: str, text: str, timeout: float) -> dict:
    await sender.group_send(group, {"type": "live.message", "text": text})
    return await asyncio.wait_for(receiver.receive(channel), timeout)


@pytest.mark.django_db(transaction=True)
def test_every_client_follows_a_failover_and_the_live_state_equals_the_database(sentinels):
    QueueFactory(name="Algemeen", team=TeamFactory(name="1e lijn"))
    source = SourceFactory(name="acd")
    assert sentinels.master_port() == MASTER_PORT
    live_rebuild(now=NOW)
    events_ingest(source=source, events=[offered(1), offered(2)], now=NOW)
    assert live_snapshot(now=NOW)["all"]["today"]["offered"] == 2
    assert redis.Redis(port=MASTER_PORT).exists(keys.loaded_key())  # written to the master
    observe.heartbeat("publisher", leading=True)
    queue = f"kcctest-{uuid.uuid4().hex[:6]}"
    celery_app = _broker(sentinels.url, queue)
    celery_app.send_task("dashboard.tasks.live_state_ensure")
    assert redis.Redis(port=MASTER_PORT).llen(queue) == 1

    async def scenario():
        host = redisurl.channel_layer_host(sentinels.url)
        receiver = RedisPubSubChannelLayer(hosts=[host], prefix=queue)
        sender = RedisPubSubChannelLayer(hosts=[host], prefix=queue)
        channel = await receiver.new_channel()
        await receiver.group_add("wallboard", channel)
        assert (await _layer_roundtrip(sender, receiver, channel, "wallboard", "before", 5))["text"] == "before"

        sentinels.kill(MASTER_PORT)
        killed = time.monotonic()
        # Meanwhile an ingest batch commits; its live write fails (no master): the database keeps it.
        await asyncio.to_thread(_ingest_and_close, source, offered(3))

        _, redis_back = await asyncio.to_thread(_within, 10, lambda: keys.client().ping())
        assert sentinels.master_port() == REPLICA_PORT
        # A consumer waits in receive() all along (a cancelled receive drops its channel); the publisher
        # sends each round until one arrives.
        waiting = asyncio.create_task(receiver.receive(channel))
        deadline = time.monotonic() + 10
        while not waiting.done() and time.monotonic() < deadline:
            try:
                await sender.group_send("wallboard", {"type": "live.message", "text": "after"})
            except Exception:  # the sender reconnects through the Sentinels too
                pass
            await asyncio.wait([waiting], timeout=0.5)
        layer_back = time.monotonic()
        assert waiting.done(), redis.Redis(port=REPLICA_PORT).execute_command("PUBSUB", "CHANNELS")
        assert waiting.result()["text"] == "after"
        await receiver.flush()
        await sender.flush()
        return killed, redis_back, layer_back

    killed, redis_back, layer_back = asyncio.run(scenario())
    _, celery_back = _within(10, lambda: celery_app.send_task("dashboard.tasks.live_state_ensure"))
    assert redis.Redis(port=REPLICA_PORT).llen(queue) >= 1  # the promoted replica took the task
    print(f"after the master died: live state client {redis_back - killed:.1f} s, channel layer "
          f"{layer_back - killed:.1f} s, Celery broker {celery_back - killed:.1f} s")  # fmt: skip
    assert max(redis_back, layer_back, celery_back) - killed <= 10

    # The publisher's round: the live state is on another server now, so it is rebuilt from the log.
    assert live_ensure_loaded() is True
    events_ingest(source=source, events=[offered(4)], now=NOW)
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)
    assert live_snapshot(now=NOW)["all"]["today"]["offered"] == 4  # nothing lost, the outage's batch too
    observe.heartbeat("publisher", leading=True)
    assert observe.heartbeats("publisher")


@pytest.mark.parametrize(
    "url, words",
    [
        ("redis+sentinel://h1:26379/", "master's name is missing"),
        ("redis+sentinel://h1:26379/m/x", "database 'x' is not a number"),
        ("redis+sentinel://h1:port/m/0", "no valid port"),
        ("redis+sentinel://h1,/m/0", "Sentinel address is empty"),
        ("redis+sentinel://h1/m/0/extra", "only the database number"),
    ],
)
def test_a_malformed_sentinel_url_says_what_is_wrong(url, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        redisurl.parse(url)


def test_the_sentinel_url_and_what_each_client_is_given():
    url = "redis+sentinel://:s3cret@a:26379,b:26380/kcc/2"
    assert redisurl.parse(url) == redisurl.SentinelSet((("a", 26379), ("b", 26380)), "kcc", 2, "s3cret")
    assert redisurl.parse("redis://a:6379/0") is None
    broker, options = redisurl.celery_broker(url)
    assert broker == "sentinel://:s3cret@a:26379/2;sentinel://:s3cret@b:26380/2"
    assert options["master_name"] == "kcc"
    host = redisurl.channel_layer_host(url)
    assert host["sentinels"] == [["a", 26379], ["b", 26380]] and host["master_name"] == "kcc" and host["db"] == 2
    assert "s3cret" not in str(pytest.raises(ImproperlyConfigured, redisurl.parse, "redis+sentinel://:s3cret@a/").value)
    assert redisurl.channel_layer_host("redis://x:1/0") == {"address": "redis://x:1/0"}
    assert redisurl.celery_broker("redis://x:1/0") == ("redis://x:1/0", {})
