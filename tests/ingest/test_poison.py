"""Issue 11, points 1, 2 and 12: no accepted event may break a later step, and no bad event may cost its
batch. Each reproduction of the probe is a named case: the bad event is rejected with its field and
reason, the valid events of the same batch are kept, and the product goes on working (live rebuild,
interval aggregation, the day's report)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from dashboard.core.models import Contact, Event
from dashboard.ingest import services as ingest_services
from dashboard.ingest.imports import contacts_import
from dashboard.ingest.schema import Limits, validate_event
from dashboard.ingest.services import events_ingest
from dashboard.ingest.sources import source_token_create
from dashboard.intervals.services import intervals_aggregate
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from dashboard.live.services import live_rebuild
from dashboard.reports.services import report_build
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"
NOW = datetime.now(UTC).replace(microsecond=0)
AT = (NOW - timedelta(minutes=5)).isoformat()


def local(offset: str) -> str:
    """An hour ago, written with the given UTC offset (the wall-clock part is left as it is)."""
    return (NOW - timedelta(hours=1)).replace(tzinfo=None).isoformat() + offset


def offered(i, **extra):
    return {"id": f"ok{i}", "type": "contact.offered", "at": AT, "contact_id": f"c{i}", "queue": "Algemeen",
            "channel": "voice", **extra}  # fmt: skip


def ended(i, **extra):
    return {"id": f"end{i}", "type": "contact.ended", "at": AT, "contact_id": f"c{i}", **extra}


def state(i, **extra):
    return {"id": f"st{i}", "type": "agent.state", "at": AT, "agent": "ann", "state": "paused", **extra}


def callback(i, **extra):
    return {"id": f"cb{i}", "type": "callback.requested", "at": AT, "contact_id": f"c{i}",
            "promised_by": (NOW + timedelta(hours=2)).isoformat(), **extra}  # fmt: skip


# (name of the probe's case, the bad event, the field it must be rejected on, words of the reason)
POISON = [
    ("agent_state_at_year_1", state(1, at="0001-01-01T00:00:00+00:00"), "at", "days before now"),
    ("promised_by_year_10000_in_utc", callback(1, promised_by="9999-12-31T23:59:59-14:00"), "promised_by", "outside the years"),
    ("promised_by_far_ahead", callback(1, promised_by=(NOW + timedelta(days=91)).isoformat()), "promised_by", "after now"),
    ("talk_s_5e15", ended(1, talk_s=5e15), "talk_s", "a duration may last"),
    ("talk_s_1e20", ended(1, talk_s=1e20), "talk_s", "a duration may last"),
    ("talk_s_huge_integer", ended(1, talk_s=10**30), "talk_s", "a duration may last"),  # not in JSON
    ("hold_s_over_a_week", ended(1, hold_s=7 * 24 * 3600 + 1), "hold_s", "a duration may last"),
    ("type_as_list", offered(1, type=["contact.offered"]), "type", "not an event type"),
    ("type_as_object", offered(1, type={"a": 1}), "type", "not an event type"),
    ("channel_as_list", offered(1, channel=["voice"]), "channel", "not a channel"),
    ("channel_as_object", offered(1, channel={"voice": 1}), "channel", "not a channel"),
    ("state_as_list", state(1, state=["paused"]), "state", "not an agent state"),
    ("state_as_object", state(1, state={}), "state", "not an agent state"),
    ("nul_in_queue", offered(1, queue="Alg\u0000emeen"), "queue", "NUL"),
    ("nul_in_contact_id", offered(1, contact_id="c\u00001"), "contact_id", "NUL"),
    ("nul_in_id", offered(1, id="x\u0000"), "id", "NUL"),
    ("nul_in_reason", offered(1, reason="factuur\u0000"), "reason", "NUL"),
    ("nul_at_end_of_promised_by", callback(1, promised_by=(NOW + timedelta(hours=1)).isoformat() + "\u0000"), "promised_by", "NUL"),
    ("unpaired_surrogate", offered(1, customer_ref="K\ud800"), "customer_ref", "surrogate"),  # not in JSON
    ("agent_state_reason_101", state(1, reason="r" * 101), "reason", "longer than 100"),
    ("agent_state_reason_200", state(1, reason="r" * 200), "reason", "longer than 100"),
    ("at_offset_plus_23_59", offered(1, at=local("+23:59")), "at", "-15:59"),
    ("at_offset_with_seconds", offered(1, at=local("+01:00:30")), "at", "whole minutes"),
    ("at_year_1_plus_14", offered(1, at="0001-01-01T00:00:00+14:00"), "at", "outside the years"),
    ("at_year_9999_minus_1", offered(1, at="9999-12-31T23:00:00-01:00"), "at", "outside the years"),
    ("at_two_days_ahead", offered(1, at=(NOW + timedelta(days=2)).isoformat()), "at", "after now"),
    ("at_401_days_back", offered(1, at=(NOW - timedelta(days=401)).isoformat()), "at", "days before now"),
    ("talk_s_nan_string", ended(1, talk_s="NaN"), "talk_s", "number of seconds"),
]  # fmt: skip


@pytest.fixture
def acd():
    _source, token, _created = source_token_create(name="acd")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _survives(now=None):
    """The later steps the probe broke still work: live rebuild, the live read, the interval
    aggregation of the day and the day's report."""
    now = now or datetime.now(UTC)
    live_rebuild(now=now)
    assert live_snapshot(now=now) == live_snapshot_from_db(now=now)
    intervals_aggregate(start=now - timedelta(hours=2), end=now, now=now)
    report_build(kind="daily", first_day=now.date(), now=now, email=False)


NOT_JSON = {"unpaired_surrogate", "talk_s_huge_integer"}  # a JSON body cannot carry these: Python callers can


@pytest.mark.parametrize("case, bad, field, words", POISON, ids=[p[0] for p in POISON])
def test_poison_event_is_rejected_with_its_field_and_the_batch_is_kept(acd, case, bad, field, words):
    if case in NOT_JSON:
        results = events_ingest(source=SourceFactory(name="py"), events=[offered(1), bad, offered(2)]).results
    else:
        response = acd.post(URL, [offered(1), bad, offered(2)], format="json")
        assert response.status_code == 207, response.content
        results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["field"] == field
    assert words in results[1]["reason"], results[1]["reason"]
    # stored ids are namespaced per source (<namespace>:<id>)
    assert {c.split(":", 1)[1] for c in Contact.objects.values_list("contact_id", flat=True)} == {"c1", "c2"}
    _survives()


def test_a_bad_value_in_a_large_batch_costs_only_itself(acd):
    """The probe lost 656 of 5,485 valid events to 500s: here 1 bad event among 999 good ones."""
    batch = [offered(i) for i in range(999)]
    batch.insert(500, state(1, at="0001-01-01T00:00:00+00:00"))
    body = acd.post(URL, batch, format="json").json()
    assert (body["accepted"], body["rejected"]) == (999, 1)
    assert Event.objects.count() == 999


@pytest.mark.parametrize(
    "raw",
    [
        state(1, reason="r" * 100),
        callback(1, promised_by=(NOW + timedelta(days=89)).isoformat()),
        ended(1, talk_s=7 * 24 * 3600),
        offered(1, at=local("+15:59")),
        offered(1, at=local("-15:59")),
        offered(1, at=(NOW - timedelta(days=399)).isoformat()),
        offered(1, at=(NOW + timedelta(hours=23)).isoformat()),
    ],
    ids=[
        "reason_100",
        "promise_89_days",
        "talk_a_week",
        "offset_plus_15_59",
        "offset_minus_15_59",
        "399_days_back",
        "23_hours_ahead",
    ],  # fmt: skip
)
def test_values_at_the_bounds_are_accepted(raw):
    assert validate_event(raw, Limits.at(NOW)).event_id == raw["id"]


@override_settings(KCC_EVENT_MAX_AGE_DAYS=10, KCC_EVENT_MAX_AHEAD_DAYS=0, KCC_PROMISE_MAX_AHEAD_DAYS=1)
def test_the_window_follows_the_settings():
    limits = Limits.at(NOW)
    with pytest.raises(ValueError, match="10 days before now"):
        validate_event(offered(1, at=(NOW - timedelta(days=11)).isoformat()), limits)
    with pytest.raises(ValueError, match="0 day"):
        validate_event(offered(1, at=(NOW + timedelta(minutes=1)).isoformat()), limits)
    with pytest.raises(ValueError, match="1 day"):
        validate_event(callback(1, promised_by=(NOW + timedelta(days=2)).isoformat()), limits)


def test_a_source_with_history_days_accepts_its_history():
    old = (NOW - timedelta(days=3000)).isoformat()
    live = SourceFactory(name="acd")
    history = SourceFactory(name="legacy", history_days=4000)
    assert events_ingest(source=live, events=[offered(1, at=old)], now=NOW).results[0]["field"] == "at"
    assert events_ingest(source=history, events=[offered(1, at=old)], now=NOW).accepted == 1
    # history widens the past only, never the future
    ahead = offered(2, at=(NOW + timedelta(days=3)).isoformat())
    assert events_ingest(source=history, events=[ahead], now=NOW).results[0]["field"] == "at"


def test_the_contact_import_takes_history_but_not_year_1():
    rows = [
        (2, {"contact_id": "h1", "channel": "voice", "queue": "Q", "offered_at": "1999-02-01T09:00:00+02:00",
             "abandoned_at": "1999-02-01T09:00:30+02:00"}),
        (3, {"contact_id": "h2", "channel": "voice", "queue": "Q", "offered_at": "0001-01-01T00:00:00+00:00",
             "abandoned_at": "0001-01-01T00:00:30+00:00"}),
        (4, {"contact_id": "h3", "channel": "voice", "queue": "Q", "offered_at": "1999-02-01T09:00:00+02:00",
             "answered_at": "1999-02-01T09:00:10+02:00", "ended_at": "1999-02-01T09:05:00+02:00", "agent": "a",
             "talk_s": "5e15"}),
    ]  # fmt: skip
    result = contacts_import(rows=rows, reaggregate=False)
    assert result.imported == 1
    assert sorted((e["line"], e["field"]) for e in result.errors) == [(3, "at"), (4, "talk_s")]
    assert any("36525 days before now" in e["error"] for e in result.errors)
    # what is aggregated again spans the imported row only, not the rejected year 1 (which had the
    # reaggregation work from year 1 on)
    assert result.first_offered == result.last_offered == datetime.fromisoformat("1999-02-01T09:00:00+02:00")


@override_settings(KCC_CONTACT_MAX_VISITS=5)
def test_visits_beyond_the_cap_are_rejected_and_the_contact_keeps_what_it_had():
    """The probe's 32,768th visit overflowed the smallint seq; beyond the cap the contact's new events
    are refused, and other contacts in the batch are kept."""
    source = SourceFactory(name="acd")
    t0 = NOW - timedelta(hours=1)

    def visit(n, contact="loop"):  # an offer to another queue while waiting moves the contact: a new visit
        return {"id": f"{contact}-{n}", "type": "contact.offered", "at": (t0 + timedelta(seconds=n)).isoformat(),
                "contact_id": contact, "queue": f"Q{n % 2}", "channel": "voice"}  # fmt: skip

    assert events_ingest(source=source, events=[visit(n) for n in range(5)], now=NOW).accepted == 5
    result = events_ingest(source=source, events=[visit(5), visit(6), visit(0, contact="other")], now=NOW)
    assert [r["status"] for r in result.results] == ["rejected", "rejected", "accepted"]
    assert result.results[0]["field"] == "contact_id"
    assert "would have 7 visits; at most 5" in result.results[0]["reason"]
    assert Contact.objects.filter(contact_id__endswith=":loop").count() == 5
    assert not Event.objects.filter(event_id__in=["loop-5", "loop-6"]).exists()
    _survives(NOW)


@override_settings(KCC_CONTACT_MAX_EVENTS=3)
def test_events_beyond_the_cap_per_contact_are_rejected():
    source = SourceFactory(name="acd")
    events = [offered(1)] + [
        {"id": f"x{i}", "type": "contact.abandoned", "at": AT, "contact_id": "c1"} for i in range(3)
    ]
    result = events_ingest(source=source, events=events, now=NOW)
    assert result.rejected == 4 and "would have 4 events; at most 3" in result.results[0]["reason"]
    assert events_ingest(source=source, events=events[:3], now=NOW).accepted == 3


def test_a_contact_whose_fold_fails_loses_only_its_own_events(monkeypatch):
    """An unexpected error in one contact's fold: that contact's events of the batch are rejected with
    the reason, every other event of the batch is kept, and the contact keeps what it had."""
    source = SourceFactory(name="acd")
    events_ingest(source=source, events=[offered(9, contact_id="poison", id="p0")], now=NOW)
    real_fold = ingest_services.fold_contact

    def fold(contact_id, events):
        if contact_id.endswith(":poison") and len(events) > 1:  # stored ids are <namespace>:<id>
            raise ZeroDivisionError("injected")
        return real_fold(contact_id, events)

    monkeypatch.setattr(ingest_services, "fold_contact", fold)
    result = events_ingest(
        source=source,
        events=[offered(1), {"id": "p1", "type": "contact.abandoned", "at": AT, "contact_id": "poison"}, offered(2)],
        now=NOW,
    )
    assert [r["status"] for r in result.results] == ["accepted", "rejected", "accepted"]
    assert result.results[1]["field"] == "contact_id"
    assert "could not be folded together (ZeroDivisionError: injected)" in result.results[1]["reason"]
    assert Contact.objects.get(contact_id__endswith=":poison").abandoned_at is None
    assert not Event.objects.filter(event_id="p1").exists()
    monkeypatch.undo()
    _survives(NOW)


def test_an_unexpected_error_rejects_only_the_events_that_cause_it(monkeypatch):
    """Any other error inside the batch's transaction (here: an agent's fold) splits the batch until it
    is down to the event that causes it: that one is rejected (field ``event``), the rest are kept."""
    source = SourceFactory(name="acd")
    real_fold = ingest_services.fold_agent_states

    def fold(events, spans=None):
        if any(e.payload["agent"] == "poison" for e in events):
            raise KeyError("injected")
        return real_fold(events, spans)

    monkeypatch.setattr(ingest_services, "fold_agent_states", fold)
    batch = [offered(i) for i in range(20)]
    batch.insert(13, state(1, agent="poison"))
    batch.insert(3, state(2, agent="bob"))
    result = events_ingest(source=source, events=batch, now=NOW)
    rejected = [r for r in result.results if r["status"] == "rejected"]
    assert [(r["id"], r["field"]) for r in rejected] == [("st1", "event")]
    assert "KeyError" in rejected[0]["reason"]
    assert result.accepted == 21 and Event.objects.count() == 21
    monkeypatch.undo()
    _survives(NOW)


def test_events_ingest_inside_a_transaction_is_refused_before_any_work(transactional_db):
    from django.db import transaction

    source = SourceFactory(name="acd")
    with pytest.raises(RuntimeError, match="outside a transaction"), transaction.atomic():
        events_ingest(source=source, events=[offered(1)], now=NOW)


# --- point 12: the body limit -------------------------------------------------------------------------


@override_settings(KCC_EVENTS_MAX_BODY_BYTES=10_000)
def test_a_body_over_the_limit_is_413_before_parsing(acd):
    batch = [offered(i, reason="x" * 150) for i in range(100)]  # ~25 kB
    response = acd.post(URL, batch, format="json")
    assert response.status_code == 413
    assert "at most 10,000 bytes" in response.json()["error"]
    assert Event.objects.count() == 0
    assert acd.post(URL, batch[:10], format="json").status_code == 200
