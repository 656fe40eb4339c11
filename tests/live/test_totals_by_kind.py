"""Totals never mix waiting times of different kinds (issue 9.1), live: the whole centre, a team and a
channel take service level, ASA and longest wait from their synchronous queues only; their asynchronous
queues are the ``async`` block. Read from Redis and from the database alike, and sent to the wallboard."""

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.core.models import KPI, Channel, Queue
from dashboard.core.periods import centre_tz
from dashboard.ingest.services import events_ingest
from dashboard.live import keys
from dashboard.live.publisher import scope_messages
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from dashboard.live.services import live_rebuild
from tests.factories import QueueFactory, SourceFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam: every contact below is "today"
HOUR = 3600


def _event(n, kind, at, contact, **extra):
    return {"id": str(n), "type": f"contact.{kind}", "at": at.isoformat(), "contact_id": contact, **extra}


def _centre(now: datetime = NOW):
    """A voice contact answered after 10 s; an e-mail answered after an hour (target 8 h); an e-mail
    waiting for 30 minutes."""
    voice_team, mail_team = TeamFactory(name="1e lijn"), TeamFactory(name="Backoffice")
    QueueFactory(name="Algemeen", team=voice_team, channel=Channel.VOICE, sl_threshold_s=20)
    QueueFactory(name="E-mail", team=mail_team, channel=Channel.EMAIL, sl_threshold_s=20, response_target_s=8 * HOUR)
    # A team-wide ASA KPI of seconds: it must not judge an e-mail team.
    KPI.objects.create(code=KPI.Code.ASA, scope=KPI.Scope.TEAM, target=20, warning=30, critical=60,
                       higher_is_better=False)  # fmt: skip
    t_voice = now - timedelta(seconds=70)
    t_mail = now - timedelta(hours=2)
    events = [
        _event(1, "offered", t_voice, "v1", queue="Algemeen", channel="voice"),
        _event(2, "answered", t_voice + timedelta(seconds=10), "v1", agent="007"),
        _event(3, "offered", t_mail, "m1", queue="E-mail", channel="email"),
        _event(4, "answered", t_mail + timedelta(hours=1), "m1", agent="008"),
        _event(5, "offered", now - timedelta(minutes=30), "m2", queue="E-mail", channel="email"),
    ]
    live_rebuild(now=now)  # the live state is loaded: live_snapshot reads Redis, not the database
    events_ingest(source=SourceFactory(name="acd"), events=events, now=now)


@pytest.mark.parametrize("read", [live_snapshot, live_snapshot_from_db], ids=["redis", "database"])
def test_voice_answered_in_10_s_and_email_in_an_hour_give_the_centre_an_asa_of_10_s(read):
    _centre()
    snap = read(now=NOW)
    assert keys.client().exists(keys.loaded_key())

    centre = snap["all"]
    assert centre["today"]["asa_s"] == 10.0  # not (10 + 3600) / 2 = 1805
    assert centre["today"]["service_level"] == 100.0  # the e-mail's hour is not "answered late"
    assert centre["today"]["offered"] == 3 and centre["today"]["answered"] == 2  # counts are summed
    assert centre["today"]["by_kind"]["synchronous"] == {
        "queues": 1, "offered": 1, "answered": 1, "abandoned": 0, "handled": 0
    }  # fmt: skip
    assert centre["waiting"] == 0 and centre["longest_wait_s"] == 0.0  # nobody waits on the line
    block = centre["async"]
    assert block["queues"] == 1 and block["backlog"] == 1
    assert block["oldest_s"] == 1800.0
    assert block["answered"] == 1 and block["answered_within_target"] == 1 and block["response_attainment"] == 100.0
    assert block["status"] == "normal"  # 30 min of an 8 h target

    mail_team = next(t for t in snap["teams"] if t["name"] == "Backoffice")
    # No synchronous queue at all: no service level, ASA or longest wait — None, not 0.
    assert mail_team["synchronous"] is False
    assert mail_team["today"]["service_level"] is None and mail_team["today"]["asa_s"] is None
    assert mail_team["longest_wait_s"] is None
    assert mail_team["async"]["backlog"] == 1 and mail_team["async"]["response_attainment"] == 100.0
    assert "asa" not in mail_team["status"]  # a seconds KPI does not judge an e-mail team

    voice_team = next(t for t in snap["teams"] if t["name"] == "1e lijn")
    assert voice_team["today"]["asa_s"] == 10.0 and voice_team["async"]["queues"] == 0
    assert voice_team["status"]["asa"] == "normal"

    email = next(c for c in snap["channels"] if c["channel"] == "email")
    assert email["today"]["asa_s"] is None and email["async"]["response_attainment"] == 100.0

    # The e-mail queue itself is judged on its own figures: its hour against its 8 h target.
    queue = next(q for q in snap["queues"] if q["name"] == "E-mail")
    assert queue["today"]["asa_s"] == 3600.0 and queue["today"]["answered_within_threshold"] == 1


def test_the_wallboard_total_carries_the_synchronous_asa_and_the_async_block():
    _centre()
    messages = scope_messages(live_snapshot(now=NOW), {})
    total = messages[("all", "snapshot")][1]["total"]
    assert total["today"]["asa_s"] == 10.0
    assert total["async"] == {
        "queues": 1, "backlog": 1, "oldest_at": (NOW - timedelta(minutes=30)).isoformat(), "answered": 1,
        "response_attainment": 100.0, "status": "normal",
    }  # fmt: skip
    # A queue's tile has no block of its own, nor does a total without an asynchronous queue.
    voice_team = next(v for (name, kind), (_, v) in messages.items() if kind == "snapshot" and v["name"] == "1e lijn")
    assert "async" not in voice_team["total"]
    assert all("async" not in t for t in messages[("all", "snapshot")][1]["tiles"])


def test_changing_a_response_target_recounts_the_async_block():
    # The recount runs at the real time: the contacts are of the real today (from 2 h ago on).
    now = max(datetime.now(UTC), datetime.now(UTC).astimezone(centre_tz()).replace(hour=3, minute=0))
    _centre(now)
    email = Queue.objects.get(name="E-mail")
    email.response_target_s = 30 * 60  # the e-mail answered after an hour is now late
    email.save()
    assert keys.client().exists(keys.loaded_key())  # recounted in Redis, not read from the database
    snap = live_snapshot(now=now)
    assert snap["all"]["async"]["answered_within_target"] == 0 and snap["all"]["async"]["response_attainment"] == 0.0
    assert snap["all"]["async"]["status"] == "critical"  # the waiting one is 30 min old: due now
    assert snap["all"]["today"]["asa_s"] == 10.0
    assert snap == live_snapshot_from_db(now=now)
