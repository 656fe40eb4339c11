"""Open now, and the next opening: table-driven over a queue's weekly hours and closed days, in the
centre's time zone (Europe/Amsterdam), across a weekend, a closed day and the switch to summer time."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from dashboard.core.opening import LOOKAHEAD_DAYS, OpenState, combined_state, open_state

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = {d: [(time(8, 0), time(17, 0))] for d in range(5)}  # Monday to Friday 08:00–17:00
SPLIT = {0: [(time(8, 0), time(12, 0)), (time(13, 0), time(17, 0))]}  # Monday with a lunch break
BACK_TO_BACK = {0: [(time(8, 0), time(12, 0)), (time(12, 0), time(17, 0))]}


def at(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=AMS)


# 2026-12-07 is a Monday.
@pytest.mark.parametrize(
    ("hours", "closed", "now", "is_open", "next_open"),
    [
        pytest.param(None, (), at(2026, 12, 7, 3), True, None, id="no-hours-open-around-the-clock"),
        pytest.param({}, (), at(2026, 12, 6, 23, 59), True, None, id="empty-hours-open-around-the-clock"),
        pytest.param(
            None, {date(2026, 12, 25)}, at(2026, 12, 25, 10), False, at(2026, 12, 26, 0), id="no-hours-closed-day"
        ),
        pytest.param(WEEKDAYS, (), at(2026, 12, 7, 8, 0), True, None, id="opens-at-the-minute"),
        pytest.param(WEEKDAYS, (), at(2026, 12, 7, 16, 59), True, None, id="open-before-closing"),
        pytest.param(WEEKDAYS, (), at(2026, 12, 7, 17, 0), False, at(2026, 12, 8, 8), id="closes-half-open"),
        pytest.param(WEEKDAYS, (), at(2026, 12, 7, 7, 30), False, at(2026, 12, 7, 8), id="before-opening-today"),
        pytest.param(WEEKDAYS, (), at(2026, 12, 11, 18), False, at(2026, 12, 14, 8), id="friday-evening-to-monday"),
        pytest.param(WEEKDAYS, (), at(2026, 12, 12, 12), False, at(2026, 12, 14, 8), id="saturday"),
        pytest.param(
            WEEKDAYS, {date(2026, 12, 14)}, at(2026, 12, 12, 12), False, at(2026, 12, 15, 8), id="closed-monday"
        ),
        pytest.param(
            WEEKDAYS, {date(2026, 12, 7)}, at(2026, 12, 7, 10), False, at(2026, 12, 8, 8), id="closed-today-in-hours"
        ),
        pytest.param(SPLIT, (), at(2026, 12, 7, 12, 30), False, at(2026, 12, 7, 13), id="lunch-break"),
        pytest.param(BACK_TO_BACK, (), at(2026, 12, 7, 12, 0), True, None, id="back-to-back-spans-open-through"),
        pytest.param(
            WEEKDAYS, (), datetime(2026, 12, 7, 7, 30, tzinfo=ZoneInfo("UTC")), True, None, id="utc-now-is-local-0830"
        ),
        # Sunday 2026-03-29 the clocks go forward: Monday's 08:00 is 06:00 UTC, not 07:00.
        pytest.param(WEEKDAYS, (), at(2026, 3, 28, 12), False, at(2026, 3, 30, 8), id="across-summer-time"),
    ],
)
def test_open_state(hours, closed, now, is_open, next_open):
    state = open_state(hours=hours, closed_days=set(closed), now=now, tz=AMS)
    assert state.open is is_open
    assert state.next_open == next_open
    if next_open is not None:
        assert state.next_open.utcoffset() == next_open.utcoffset()


def test_the_spring_forward_opening_is_the_right_instant():
    state = open_state(hours=WEEKDAYS, closed_days=set(), now=at(2026, 3, 28, 12), tz=AMS)
    assert state.next_open.astimezone(ZoneInfo("UTC")) == datetime(2026, 3, 30, 6, 0, tzinfo=ZoneInfo("UTC"))


def test_closed_beyond_the_lookahead_has_no_next_opening():
    first = date(2026, 12, 7)
    closed = {date.fromordinal(first.toordinal() + i) for i in range(LOOKAHEAD_DAYS + 1)}
    state = open_state(hours=WEEKDAYS, closed_days=closed, now=at(2026, 12, 7, 10), tz=AMS)
    assert (state.open, state.next_open) == (False, None)


def test_no_hours_on_any_weekday_never_opens():
    state = open_state(hours={0: []}, closed_days=set(), now=at(2026, 12, 7, 10), tz=AMS)
    assert (state.open, state.next_open) == (False, None)


CLOSED_TILL_8 = OpenState(False, at(2026, 12, 8, 8))
CLOSED_TILL_9 = OpenState(False, at(2026, 12, 8, 9))
CLOSED_NO_PLAN = OpenState(False, None)
OPEN = OpenState(True, None)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param([], OPEN, id="no-queues"),
        pytest.param([CLOSED_TILL_9, OPEN], OPEN, id="one-open"),
        pytest.param([CLOSED_TILL_9, CLOSED_TILL_8], CLOSED_TILL_8, id="first-to-open"),
        pytest.param([CLOSED_NO_PLAN, CLOSED_TILL_9], CLOSED_TILL_9, id="one-without-plan"),
        pytest.param([CLOSED_NO_PLAN], CLOSED_NO_PLAN, id="none-planned"),
    ],
)
def test_combined_state_of_a_total(states, expected):
    assert combined_state(states) == expected
