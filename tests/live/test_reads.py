"""A read never writes: the snapshot of a lost live state comes from the database, and only the publisher
(or the live_state_ensure task) rebuilds the live state."""

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.ingest.services import events_ingest
from dashboard.live import keys
from dashboard.live.publisher import Publisher
from dashboard.live.selectors import live_snapshot
from tests.factories import QueueFactory, SourceFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _live_keys() -> set[str]:
    return set(keys.client().scan_iter(match=f"{keys.root()}:*", count=1000))


def _ingest_two_contacts(now: datetime) -> None:
    team = TeamFactory(name="1e lijn")
    QueueFactory(name="Algemeen", team=team)
    at = (now - timedelta(seconds=30)).isoformat()
    events_ingest(
        source=SourceFactory(name="acd"),
        events=[
            {
                "id": "1",
                "type": "contact.offered",
                "at": at,
                "contact_id": "a",
                "queue": "Algemeen",
                "channel": "voice",
            },
            {
                "id": "2",
                "type": "contact.offered",
                "at": at,
                "contact_id": "b",
                "queue": "Algemeen",
                "channel": "voice",
            },
            {"id": "3", "type": "contact.answered", "at": now.isoformat(), "contact_id": "b", "agent": "007"},
        ],
        now=now,
    )


def test_a_lost_live_state_is_read_from_the_database_without_a_write():
    now = datetime.now(UTC)
    _ingest_two_contacts(now)
    before = live_snapshot(now=now)
    r = keys.client()
    r.delete(*_live_keys())  # Redis restarted or was flushed

    after = live_snapshot(now=now)

    assert _live_keys() == set()  # the read wrote nothing
    queue = next(q for q in after["queues"] if q["name"] == "Algemeen")
    assert queue["waiting"] == 1 and queue["today"]["offered"] == 2 and queue["today"]["answered"] == 1
    assert after["queues"] == before["queues"]


def test_the_publisher_rebuilds_a_lost_live_state():
    now = datetime.now(UTC)
    _ingest_two_contacts(now)
    r = keys.client()
    r.delete(*_live_keys())

    Publisher().compute(now=now)

    assert r.exists(keys.loaded_key())
    queue = next(q for q in live_snapshot(now=now)["queues"] if q["name"] == "Algemeen")
    assert queue["waiting"] == 1 and queue["today"]["offered"] == 2
