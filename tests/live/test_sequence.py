"""Issue 11, point 3: a message's ``seq`` never goes backwards for a scope and type (not across a rebuild,
a flush of the live keys, a Redis that came back from an older save, or another publisher), and a rebuild
sends every scope again; scopes that do not change get a heartbeat."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.ingest.services import events_ingest
from dashboard.live import broadcast, keys
from dashboard.live.publisher import HEARTBEAT_S, Publisher
from dashboard.live.scopes import LiveScope
from dashboard.live.services import live_rebuild
from tests.factories import QueueFactory, SourceFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

ALL = LiveScope("all")


def publish(scope: LiveScope = ALL, kind: str = "snapshot") -> dict:
    (message,) = broadcast.prepare([(scope, kind, {"x": 1})])
    return json.loads(message.text)


def flush_live_keys() -> None:
    r = keys.client()
    doomed = list(r.scan_iter(match=f"{keys.root()}:*", count=1000))
    if doomed:
        r.delete(*doomed)


def test_seq_grows_by_scope_and_kind_and_names_the_one_before():
    first, second = publish(), publish()
    assert second["seq"] > first["seq"] and second["prev"] == first["seq"] and "prev" not in first
    team = publish(LiveScope("team", "3"))
    assert "prev" not in team  # its own sequence
    assert publish(kind="intervals").get("prev") is None
    assert json.loads(broadcast.latest(ALL, "snapshot"))["seq"] == second["seq"]


# The reproductions: each loses the publisher's counter in another way; none may make seq go back.
@pytest.mark.parametrize(
    "lose",
    [
        pytest.param(flush_live_keys, id="flush-of-the-live-keys"),
        pytest.param(lambda: live_rebuild(), id="live-rebuild"),
        pytest.param(lambda: keys.client().delete(broadcast.seq_key()), id="counter-deleted"),
        # A Redis that came back from a save made before the last messages holds a lower counter.
        pytest.param(lambda: keys.client().hset(broadcast.seq_key(), "snapshot:all", 5), id="older-save"),
    ],
)
def test_seq_never_goes_backwards_when_the_counter_is_lost(lose):
    seen = [publish()["seq"] for _ in range(3)]
    lose()
    seen += [publish()["seq"] for _ in range(3)]
    assert seen == sorted(set(seen)), seen


def test_another_publisher_process_continues_above_the_last_seq():
    before = publish()["seq"]
    keys.client().hset(broadcast.seq_key(), "snapshot:all", before + 10**9)  # a publisher ahead of this clock
    assert publish()["seq"] == before + 10**9 + 1


def test_the_clock_floor_never_goes_back_even_when_the_system_clock_does(monkeypatch):
    first = broadcast.clock_us()
    monkeypatch.setattr(time, "time_ns", lambda: (first - 60_000_000) * 1000)  # set back a minute
    assert broadcast.clock_us() == first + 1 and broadcast.clock_us() == first + 2


def _centre(now: datetime) -> None:
    team = TeamFactory(name="1e lijn")
    QueueFactory(name="Algemeen", team=team)
    event = {
        "id": "1",
        "type": "contact.offered",
        "at": (now - timedelta(seconds=30)).isoformat(),
        "contact_id": "a",
        "queue": "Algemeen",
        "channel": "voice",
    }
    events_ingest(source=SourceFactory(name="acd"), events=[event], now=now)


def test_a_rebuild_sends_every_scope_again():
    now = datetime.now(UTC)
    _centre(now)
    publisher = Publisher()
    first = {(m.scope.name, m.kind): m.seq for m in publisher.compute(now=now)}
    assert ("all", "snapshot") in first and len(first) >= 4
    assert publisher.compute(now=now) == []  # nothing changed: nothing sent

    live_rebuild(now=now)
    publisher.last_intervals = float("-inf")  # the charts are recomputed once a second: now, too
    again = {(m.scope.name, m.kind): m.seq for m in publisher.compute(now=now)}
    assert set(again) == set(first)
    assert all(again[key] > first[key] for key in first)


def test_a_flush_sends_every_scope_again_and_new_screens_get_a_latest_copy():
    now = datetime.now(UTC)
    _centre(now)
    publisher = Publisher()
    first = {(m.scope.name, m.kind): m.seq for m in publisher.compute(now=now)}
    flush_live_keys()
    assert broadcast.latest(ALL, "snapshot") is None
    publisher.last_intervals = float("-inf")  # the charts are recomputed once a second: now, too
    again = {(m.scope.name, m.kind): m.seq for m in publisher.compute(now=now)}
    assert set(again) == set(first) and all(again[key] > first[key] for key in first)
    assert json.loads(broadcast.latest(ALL, "snapshot"))["seq"] == again[("all", "snapshot")]


def test_unchanged_scopes_get_a_heartbeat_with_their_latest_seq():
    now = datetime.now(UTC)
    _centre(now)
    publisher = Publisher()
    sent = {m.scope.name: m.seq for m in publisher.compute(now=now) if m.kind == "snapshot"}
    assert publisher.compute(now=now) == [] and publisher.heartbeats_due() == []  # not yet due
    publisher.last_heartbeat -= HEARTBEAT_S
    beats = publisher.heartbeats_due()
    assert {m.scope.name: m.seq for m in beats} == sent
    body = json.loads(beats[0].text)
    assert (body["type"], body["v"], body["data"]) == ("heartbeat", 1, {})
    assert beats[0].group == broadcast.group_name(beats[0].scope, "snapshot")
