"""Runs of the minute's aggregation take turns across processes (a lock in the real Redis): the minute
task skips while another run is at it, a caller that waits runs after it, and the lock is free again
after each run."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from dashboard.core import redisurl
from dashboard.ingest.services import events_ingest
from dashboard.intervals.models import IntervalWatermark, QueueInterval
from dashboard.intervals.services import intervals_update
from dashboard.intervals.tasks import intervals_aggregate
from tests.factories import QueueFactory, SourceFactory

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _lock():
    return redisurl.client(settings.REDIS_URL).lock(f"{settings.LIVE_KEY_PREFIX}:intervals:update", timeout=30)


@pytest.fixture
def history():
    QueueFactory(name="Algemeen")
    at = NOW - timedelta(hours=1)
    events_ingest(
        source=SourceFactory(),
        events=[{"id": "o1", "type": "contact.offered", "at": at.isoformat(), "contact_id": "c1",
                 "queue": "Algemeen", "channel": "voice"}],
    )  # fmt: skip


def test_the_minute_task_skips_while_another_run_holds_the_lock(history):
    held = _lock()
    assert held.acquire(blocking=False)
    try:
        assert intervals_aggregate.run() == {"skipped": "another run is aggregating"}
        assert not QueueInterval.objects.exists()
        assert IntervalWatermark.objects.filter(aggregated_until__isnull=False).count() == 0
    finally:
        held.release()
    assert "skipped" not in intervals_aggregate.run()  # its turn now
    assert QueueInterval.objects.exists()


def test_a_waiting_caller_runs_after_the_holder_and_frees_the_lock(history):
    held = _lock()
    assert held.acquire(blocking=False)
    threading.Timer(0.5, held.release).start()
    began = time.monotonic()
    done = intervals_update(now=NOW)
    assert time.monotonic() - began >= 0.4
    assert done["queue_intervals"] > 0
    assert _lock().acquire(blocking=False)  # released after the run
