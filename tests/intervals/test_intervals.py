"""The interval store against hand-computed fixtures: thresholds, midnight, DST, agent time split to the
second, late events, roll-ups, and the SQL aggregation equal to ``Counts.of_contact`` contact by contact."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.core.metrics import Counts
from dashboard.core.models import AgentStateSpan, ClosedDay, Contact, Event, OpeningHours
from dashboard.core.periods import day_bounds, floor_interval, rollup_start
from dashboard.ingest.services import events_ingest
from dashboard.intervals.models import QUEUE_INTERVAL_COUNTS, IntervalWatermark, QueueInterval, TeamInterval
from dashboard.intervals.selectors import interval_rows, team_interval_rows
from dashboard.intervals.services import intervals_aggregate, intervals_update
from dashboard.live.rules import QueueRule, visit_counts
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 11, 24)  # a Tuesday
D0 = datetime.combine(DAY, time(0), TZ)


def local(hh, mm=0, ss=0.0, day=DAY):
    whole = int(ss)
    return datetime.combine(day, time(hh, mm, whole, round((ss - whole) * 1e6)), TZ)


def contact(queue, n, offered, **kw):
    return Contact.objects.create(
        contact_id=f"c{n}", seq=kw.pop("seq", 0), channel=queue.channel, queue=queue, offered_at=offered, **kw
    )


def row_of(queue, start):
    return QueueInterval.objects.get(queue=queue, start=start)


@pytest.fixture
def queue():
    return QueueFactory(name="Algemeen", sl_threshold_s=20, short_abandon_threshold_s=5)


def test_thresholds_exactly_and_attribution_to_the_offered_interval(queue):
    """Answered at exactly 20 s is within; abandoned at exactly 5 s is not short; abandoned at exactly
    20 s is abandoned within threshold. Answered after the interval closed still counts in it."""
    o = local(9, 14, 30)
    contact(queue, 1, o, answered_at=o + timedelta(seconds=20), ended_at=o + timedelta(seconds=200), talk_s=170.5,
            hold_s=9.5, acw_s=30)  # fmt: skip
    contact(queue, 2, o, answered_at=o + timedelta(seconds=20.001), ended_at=o + timedelta(seconds=100), talk_s=79.999)
    contact(queue, 3, o, abandoned_at=o + timedelta(seconds=5))
    contact(queue, 4, o, abandoned_at=o + timedelta(seconds=4.999))
    contact(queue, 5, o, abandoned_at=o + timedelta(seconds=20))
    contact(queue, 6, o, answered_at=o + timedelta(seconds=3))  # still talking: answered, not handled
    contact(queue, 7, local(9, 15), abandoned_at=local(9, 15, 1))  # the next interval: [start, end)
    intervals_aggregate(start=local(9), end=local(10))
    r = row_of(queue, local(9))
    assert (r.offered, r.answered, r.answered_within_threshold) == (6, 3, 2)
    assert (r.abandoned, r.short_abandoned, r.abandoned_within_threshold) == (3, 1, 3)
    assert (r.handled, r.talk_ms, r.hold_ms, r.acw_ms) == (2, 170_500 + 79_999, 9_500, 30_000)
    assert (r.wait_answered_ms, r.max_wait_answered_ms) == (20_000 + 20_001 + 3_000, 20_001)
    assert r.wait_abandoned_ms == 5_000 + 4_999 + 20_000
    assert r.end - r.start == timedelta(minutes=15)
    nxt = row_of(queue, local(9, 15))
    assert (nxt.offered, nxt.abandoned, nxt.short_abandoned) == (1, 1, 1)
    [sel] = interval_rows(start=local(9), end=local(9, 15))
    assert sel["service_level"] == pytest.approx(100 * 2 / (3 + 3 - 1))
    assert sel["asa_s"] == pytest.approx(43.001 / 3)
    assert sel["abandon_rate"] == pytest.approx(50.0)
    assert sel["aht_s"] == pytest.approx((250.499 + 9.5 + 30) / 2)


def test_contact_crossing_midnight_counts_on_the_day_it_was_offered(queue):
    o = local(23, 59, 50)
    contact(
        queue,
        1,
        o,
        answered_at=local(0, 0, 10, day=DAY + timedelta(days=1)),
        ended_at=local(0, 5, 0, day=DAY + timedelta(days=1)),
    )
    contact(
        queue, 2, local(0, 0, 0, day=DAY + timedelta(days=1)), abandoned_at=local(0, 1, day=DAY + timedelta(days=1))
    )
    intervals_aggregate(start=D0, end=D0 + timedelta(days=2))
    last = row_of(queue, local(23, 45))
    assert (last.offered, last.answered, last.answered_within_threshold, last.wait_answered_ms) == (1, 1, 1, 20_000)
    first_next = row_of(queue, local(0, 0, day=DAY + timedelta(days=1)))
    assert (first_next.offered, first_next.abandoned) == (1, 1)
    assert first_next.answered == 0


def test_transfer_overflow_callbacks_and_repeat_contacts(queue):
    other = QueueFactory(name="Techniek", team=queue.team)
    o = local(10, 1)
    # answered, then transferred by the agent: a transfer, not an overflow
    contact(queue, 1, o, answered_at=o + timedelta(seconds=5), transferred_at=o + timedelta(seconds=60),
            ended_at=o + timedelta(seconds=60), transferred_to_queue="Techniek", customer_ref="K1")  # fmt: skip
    contact(other, 1, o + timedelta(seconds=60), seq=1, customer_ref="K1")
    # moved by the ACD before anyone answered: an overflow (and a transfer out)
    contact(queue, 2, o, transferred_at=o + timedelta(seconds=120), transferred_to_queue="Techniek", customer_ref="K2")
    # callbacks: kept exactly at the promised time, late, and not made yet
    promised = o + timedelta(hours=2)
    contact(queue, 3, o, abandoned_at=o + timedelta(seconds=30), callback_promised_by=promised,
            callback_completed_at=promised, customer_ref="K1")  # fmt: skip
    contact(queue, 4, o, abandoned_at=o + timedelta(seconds=30), callback_promised_by=promised,
            callback_completed_at=promised + timedelta(microseconds=1))  # fmt: skip
    contact(queue, 5, o, abandoned_at=o + timedelta(seconds=30), callback_promised_by=promised)
    # K2 called 7 days before exactly (a repeat), K3 7 days and a second before (not one)
    contact(queue, 6, o - timedelta(days=7), customer_ref="K2")
    contact(queue, 7, o - timedelta(days=7, seconds=1), customer_ref="K3")
    contact(queue, 8, o, customer_ref="K3")
    intervals_aggregate(start=local(10), end=local(10, 15))
    r = row_of(queue, local(10))
    assert (r.transferred_out, r.overflowed_out) == (2, 1)
    assert (r.callbacks_requested, r.callbacks_completed, r.callbacks_kept_on_time) == (3, 2, 1)
    # c3 (K1, a repeat of c1 at the same instant, larger id) and c2 (K2, a week after c6): 2 repeats
    assert r.repeat_contacts == 2
    assert row_of(other, local(10)).offered == 1
    assert row_of(other, local(10)).repeat_contacts == 0  # a transfer is the same contact, not a repeat


def test_outside_opening_hours_including_an_interval_the_queue_opens_in(queue):
    for weekday in range(7):
        OpeningHours.objects.create(queue=queue, weekday=weekday, opens=time(8, 10), closes=time(17))
    open_all_day = QueueFactory(name="E-mail", channel="email")
    for n, (hh, mm) in enumerate([(7, 59), (8, 5), (8, 10), (8, 14), (16, 59), (17, 0)]):
        contact(queue, n, local(hh, mm))
        contact(open_all_day, 100 + n, local(hh, mm))
    intervals_aggregate(start=D0, end=D0 + timedelta(days=1))
    outside = {r.start.astimezone(TZ).strftime("%H:%M"): r.offered_outside_hours for r in
               QueueInterval.objects.filter(queue=queue, offered__gt=0)}  # fmt: skip
    assert outside == {"07:45": 1, "08:00": 1, "16:45": 0, "17:00": 1}
    assert sum(QueueInterval.objects.filter(queue=open_all_day).values_list("offered_outside_hours", flat=True)) == 0
    ClosedDay.objects.create(queue=None, date=DAY, reason="Kerst")
    intervals_aggregate(start=D0, end=D0 + timedelta(days=1))
    assert sum(QueueInterval.objects.filter(queue=queue).values_list("offered_outside_hours", flat=True)) == 6
    assert sum(QueueInterval.objects.filter(queue=open_all_day).values_list("offered_outside_hours", flat=True)) == 6


@pytest.mark.parametrize(("day", "quarters"), [(date(2026, 3, 29), 92), (date(2026, 10, 25), 100), (DAY, 96)])
def test_dst_days_have_92_or_100_quarter_hours(queue, day, quarters):
    start, end = day_bounds(day)
    contact(
        queue, 1, datetime.combine(day, time(2, 30), TZ) if quarters != 92 else datetime.combine(day, time(3, 30), TZ)
    )
    intervals_aggregate(start=start, end=end)
    rows = QueueInterval.objects.filter(queue=queue, start__gte=start, start__lt=end)
    assert rows.count() == quarters
    assert len(interval_rows(start=start, end=end)) == quarters
    assert len(interval_rows(start=start, end=end, length=60)) == quarters // 4
    assert sum(r["offered"] for r in interval_rows(start=start, end=end, length=30)) == 1
    assert TeamInterval.objects.filter(team=queue.team, start__gte=start, start__lt=end).count() == quarters


def test_rollup_keeps_the_two_fall_back_hours_apart():
    first = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 02:15 CEST
    second = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET
    assert rollup_start(first, 60) == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert rollup_start(second, 60) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert rollup_start(second, 30) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    india = ZoneInfo("Asia/Kolkata")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("dashboard.core.periods.centre_tz", lambda: india)
        at = datetime(2026, 1, 1, 10, 45, tzinfo=india).astimezone(UTC)
        assert rollup_start(at, 60) == datetime(2026, 1, 1, 10, 0, tzinfo=india)


def test_agent_time_split_across_boundaries_to_the_second():
    team = TeamFactory(name="1e lijn")
    ann = AgentFactory(login_id="ann", team=team)
    bob = AgentFactory(login_id="bob", team=None)
    spans = [
        (ann, "available", "", local(9, 5), local(9, 10)),
        (ann, "paused", "lunch", local(9, 10), local(9, 40)),
        (ann, "on_contact", "", local(9, 40), local(9, 40, 30.5)),
        (ann, "acw", "", local(9, 40, 30.5), local(9, 41)),
        (ann, "logged_out", "", local(9, 41), local(9, 50)),
        (ann, "available", "", local(9, 50), None),  # still open: counts up to now
        (bob, "paused", "", local(9, 14, 59), local(9, 15, 1)),
    ]
    for agent, state, reason, s, e in spans:
        AgentStateSpan.objects.create(agent=agent, state=state, reason=reason, start=s, end=e)
    intervals_aggregate(start=local(9), end=local(10), now=local(9, 55))
    rows = {r["local_start"][11:16]: r for r in team_interval_rows(start=local(9), end=local(10), team="1e lijn")}
    assert rows["09:00"]["available_s"] == 300 and rows["09:00"]["paused_by_reason"] == {"lunch": 300}
    assert rows["09:15"]["paused_s"] == 900 and rows["09:15"]["staffed_s"] == 900
    assert rows["09:30"]["paused_s"] == 600
    assert rows["09:30"]["on_contact_s"] == 30.5 and rows["09:30"]["acw_s"] == 29.5
    assert rows["09:45"]["available_s"] == 300  # 09:50–09:55 (now)
    assert rows["09:30"]["staffed_s"] == 660
    assert rows["09:30"]["occupancy"] == 100.0  # busy all the time it was not paused
    assert rows["09:15"]["occupancy"] is None  # paused throughout: neither busy nor available
    no_team = [r for r in team_interval_rows(start=local(9), end=local(10)) if r["team"] is None]
    assert [(r["local_start"][11:16], r["paused_by_reason"]) for r in no_team] == [
        ("09:00", {"-": 1}),
        ("09:15", {"-": 1}),
    ]
    hourly = team_interval_rows(start=local(9), end=local(10), length=60, team="1e lijn")
    assert len(hourly) == 1 and hourly[0]["staffed_s"] == 300 + 1800 + 60 + 300


def _ev(n, kind, at, **fields):
    return {"id": f"e{n}", "type": kind, "at": at.isoformat(), **fields}


def test_minute_task_aggregates_closed_intervals_and_late_events_reaggregate(queue):
    source = SourceFactory(name="acd")
    events_ingest(source=source, events=[
        _ev(1, "contact.offered", local(9, 1), contact_id="a", queue="Algemeen", channel="voice"),
        _ev(2, "contact.offered", local(9, 20), contact_id="b", queue="Algemeen", channel="voice"),
    ], now=local(9, 21))  # fmt: skip
    done = intervals_update(now=local(9, 31))
    assert done["aggregated_until"] == local(9, 30).astimezone(UTC).isoformat()
    assert QueueInterval.objects.filter(queue=queue).count() == 2  # 09:00 and 09:15 are closed; 09:30 not
    assert (row_of(queue, local(9)).offered, row_of(queue, local(9)).answered) == (1, 0)
    again = intervals_update(now=local(9, 31))  # nothing new: a rerun changes nothing
    assert again["queue_intervals"] == 0 or row_of(queue, local(9)).offered == 1
    # late events for contact "a": answered at 09:40 (after its interval closed), and an event for an
    # interval of yesterday arrives after the fact
    events_ingest(source=source, events=[
        _ev(3, "contact.answered", local(9, 40), contact_id="a", agent="ann"),
        _ev(4, "contact.offered", local(15, day=DAY - timedelta(days=1)), contact_id="y", queue="Algemeen", channel="voice"),
        _ev(5, "contact.abandoned", local(15, 0, 3, day=DAY - timedelta(days=1)), contact_id="y"),
    ], now=local(9, 41))  # fmt: skip
    done = intervals_update(now=local(9, 46))
    assert done["reaggregated_ranges"] >= 2
    r = row_of(queue, local(9))
    assert (r.offered, r.answered, r.wait_answered_ms) == (1, 1, 39 * 60_000)
    y = row_of(queue, local(15, day=DAY - timedelta(days=1)))
    assert (y.offered, y.abandoned, y.short_abandoned) == (1, 1, 1)
    assert QueueInterval.objects.filter(queue=queue, start__gte=local(9, 30), start__lt=local(9, 45)).count() == 1
    # the watermark only passes events once they are older than the settle time
    ids = dict(Event.objects.values_list("event_id", "id"))
    assert IntervalWatermark.objects.get().event_id == ids["e2"]  # e3–e5 came in 5 minutes ago
    intervals_update(now=local(10, 5))
    assert IntervalWatermark.objects.get().event_id == ids["e5"]
    snapshot = list(
        QueueInterval.objects.order_by("queue_id", "start").values_list("queue_id", "start", "offered", "answered")
    )
    intervals_update(now=local(10, 5))
    assert (
        list(
            QueueInterval.objects.order_by("queue_id", "start").values_list("queue_id", "start", "offered", "answered")
        )
        == snapshot
    )


# --- the SQL equals Counts.of_contact, contact by contact -----------------------------------------

instants = st.integers(min_value=0, max_value=25 * 60 * 1_000_000)  # microseconds after 09:00
maybe_seconds = st.one_of(st.none(), st.floats(min_value=0, max_value=5000, allow_nan=False, allow_infinity=False))


@st.composite
def contacts(draw):
    offered = draw(instants)
    outcome = draw(st.sampled_from(["answered", "abandoned", "waiting", "transferred"]))
    c = {"offered": offered, "answered": None, "abandoned": None, "ended": None, "transferred": None}
    wait = draw(st.one_of(st.sampled_from([0, 4_999_999, 5_000_000, 5_000_001, 19_999_500, 20_000_000, 20_000_500,
                                           20_000_001, 1_500, 2_500]), st.integers(0, 900_000_000)))  # fmt: skip
    if outcome == "answered":
        c["answered"] = offered + wait
        if draw(st.booleans()):
            c["ended"] = c["answered"] + draw(st.integers(0, 10**9))
    elif outcome == "abandoned":
        c["abandoned"] = offered + wait
    elif outcome == "transferred":
        c["transferred"] = offered + wait
    c["talk_s"], c["hold_s"], c["acw_s"] = draw(maybe_seconds), draw(maybe_seconds), draw(maybe_seconds)
    c["promised"] = offered + draw(st.integers(0, 10**10)) if draw(st.booleans()) else None
    c["completed"] = offered + draw(st.integers(0, 10**10)) if c["promised"] and draw(st.booleans()) else None
    return c


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(contacts(), min_size=1, max_size=30))
def test_sql_aggregation_equals_counts_of_contact(queue, batch):
    Contact.objects.all().delete()
    base = local(9)

    def t(us):
        return None if us is None else base + timedelta(microseconds=us)

    rule = QueueRule.of(queue)
    expected: dict[datetime, Counts] = {}
    for n, c in enumerate(batch):
        visit = contact(queue, n, t(c["offered"]), answered_at=t(c["answered"]), abandoned_at=t(c["abandoned"]),
                        ended_at=t(c["ended"]), transferred_at=t(c["transferred"]), talk_s=c["talk_s"],
                        hold_s=c["hold_s"], acw_s=c["acw_s"], callback_promised_by=t(c["promised"]),
                        callback_completed_at=t(c["completed"]))  # fmt: skip
        visit.refresh_from_db()
        bucket = floor_interval(visit.offered_at)
        expected[bucket] = expected.get(bucket, Counts()) + visit_counts(visit, rule)
    intervals_aggregate(start=base, end=base + timedelta(minutes=30))
    got = {
        r.start: Counts(**{f: getattr(r, f) for f in Counts.__dataclass_fields__})
        for r in QueueInterval.objects.filter(queue=queue, offered__gt=0)
    }
    assert got == expected
    assert set(Counts.__dataclass_fields__) <= set(QUEUE_INTERVAL_COUNTS)
