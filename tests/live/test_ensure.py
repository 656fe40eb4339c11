"""Issue 11, point 4: a live state that is marked loaded but is behind the database is rebuilt. With a
real redis-server of the test's own: it comes back from its own (older) save; and a batch whose write to
Redis was lost is noticed from the log's high-water mark once it has been missing for longer than a batch
in flight takes."""

import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from dashboard.ingest import services as ingest_services
from dashboard.ingest.services import events_ingest
from dashboard.live import keys
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from dashboard.live.services import LOG_BEHIND_GRACE_S, live_apply, live_ensure_loaded, live_rebuild
from tests.factories import QueueFactory, SourceFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own, saving to ``workdir`` only when told (SAVE) or at SHUTDOWN."""

    def __init__(self, workdir):
        self.port, self.workdir, self.proc = free_port(), str(workdir), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", self.workdir,
             "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self):
        """Gone without saving: what it holds on restart is its last SAVE."""
        self.proc.kill()
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.kill()


@pytest.fixture
def own_redis(tmp_path, settings):
    server = OwnRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url  # keys.client() is per URL: the live state now lives there
    yield server
    server.stop()


NOW = datetime.now(UTC)


def offered(n: int) -> dict:
    return {
        "id": f"e{n}",
        "type": "contact.offered",
        "at": (NOW - timedelta(seconds=60 - n)).isoformat(),
        "contact_id": f"c{n}",
        "queue": "Algemeen",
        "channel": "voice",
    }


@pytest.fixture
def source(db):
    QueueFactory(name="Algemeen", team=TeamFactory(name="1e lijn"))
    return SourceFactory(name="acd")


def offered_live() -> int:
    return live_snapshot(now=NOW)["all"]["today"]["offered"]


def test_redis_restarted_from_its_own_older_save_is_rebuilt(own_redis, source):
    """The reproduction: SAVE, more events, Redis gone and back from that save. It says "loaded", yet
    lacks the later events; the next ensure rebuilds it and it equals the database again."""
    live_rebuild(now=NOW)
    events_ingest(source=source, events=[offered(1), offered(2)], now=NOW)
    keys.client().save()
    events_ingest(source=source, events=[offered(3), offered(4), offered(5)], now=NOW)
    assert offered_live() == 5
    own_redis.kill()
    own_redis.start()

    assert keys.client().exists(keys.loaded_key())  # "loaded" alone would not notice
    assert offered_live() == 2
    assert live_ensure_loaded() is True
    assert offered_live() == 5
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)
    assert live_ensure_loaded() is False  # and once is enough


def test_a_batch_that_was_written_while_redis_was_down_is_not_lost(own_redis, source):
    """Redis down: the batch commits, its write fails, and so does marking the state incomplete. Redis
    comes back from its save; the next ensure rebuilds it."""
    live_rebuild(now=NOW)
    events_ingest(source=source, events=[offered(1)], now=NOW)
    keys.client().save()
    own_redis.kill()
    events_ingest(source=source, events=[offered(2), offered(3)], now=NOW)  # the database takes it
    own_redis.start()
    assert offered_live() == 1
    assert live_ensure_loaded() is True
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW) and offered_live() == 3


def lose_the_next_write(monkeypatch) -> list:
    """The batch commits, and its process dies before writing Redis: its changes never arrive."""
    lost = []
    monkeypatch.setattr(ingest_services, "live_apply", lost.append)
    return lost


def test_a_lost_write_is_rebuilt_once_it_is_missing_for_longer_than_the_grace(source, monkeypatch):
    live_rebuild(now=NOW)
    events_ingest(source=source, events=[offered(1)], now=NOW)
    lose_the_next_write(monkeypatch)
    events_ingest(source=source, events=[offered(2)], now=NOW)
    monkeypatch.undo()
    assert offered_live() == 1

    t0 = time.time()
    assert live_ensure_loaded(now_s=t0) is False  # could be a batch in flight: wait
    assert live_ensure_loaded(now_s=t0 + LOG_BEHIND_GRACE_S / 2) is False
    assert live_ensure_loaded(now_s=t0 + LOG_BEHIND_GRACE_S) is True
    assert offered_live() == 2 and live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)
    assert live_ensure_loaded(now_s=t0 + 2 * LOG_BEHIND_GRACE_S) is False


def test_a_batch_in_flight_that_arrives_within_the_grace_costs_no_rebuild(source, monkeypatch):
    live_rebuild(now=NOW)
    lost = lose_the_next_write(monkeypatch)
    events_ingest(source=source, events=[offered(1)], now=NOW)
    monkeypatch.undo()
    t0 = time.time()
    assert live_ensure_loaded(now_s=t0) is False
    live_apply(lost[0])  # the write arrives late, as a slow batch's does
    generation = keys.client().get(keys.generation_key())
    assert live_ensure_loaded(now_s=t0 + 2 * LOG_BEHIND_GRACE_S) is False
    assert keys.client().get(keys.generation_key()) == generation  # no rebuild
    assert offered_live() == 1 and not keys.client().exists(keys.behind_key())


def test_a_live_state_from_before_the_high_water_mark_is_rebuilt(source):
    """Upgrading: a state loaded by an older version carries no high-water mark; it is rebuilt after
    the grace, like any state behind the log."""
    live_rebuild(now=NOW)
    events_ingest(source=source, events=[offered(1)], now=NOW)
    keys.client().delete(keys.log_high_key())
    t0 = time.time()
    assert live_ensure_loaded(now_s=t0) is False
    assert live_ensure_loaded(now_s=t0 + LOG_BEHIND_GRACE_S) is True
    assert int(keys.client().get(keys.log_high_key())) > 0


def test_a_rebuild_keeps_the_publishers_lease_and_fencing_token(source):
    """A rebuild replaces the live state only: the publisher's lease and fencing token are not live state
    (deleted, the leader was refused as if another led, and the next token repeated an old one)."""
    from dashboard.core.lease import Lease

    earlier = Lease(keys.client(), keys.root(), "publisher")
    earlier.hold()
    earlier.release()
    lease = Lease(keys.client(), keys.root(), "publisher")
    token = lease.hold()
    assert token == 2
    events_ingest(source=source, events=[offered(1)], now=NOW)
    live_rebuild(now=NOW)
    assert keys.client().get(lease.fence_key) == "2"
    assert lease.hold() == 2  # still the holder, with the same token
    assert Lease(keys.client(), keys.root(), "publisher").hold() is None
    assert offered_live() == 1
