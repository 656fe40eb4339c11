"""dashboard/core/formats.py on the table its JavaScript twin (static/js/formats.js) is held to as well
(tests/e2e/test_js_formats.py runs the same table in Chromium). Expected strings are written by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dashboard.core.formats import EMPTY, NBSP, clock, duration, fixed, moment, percent, signed_duration
from dashboard.core.metrics import response_target_share

# (seconds, clock)
CLOCK_CASES = [
    (None, EMPTY),
    (0, "0:00"),
    (0.999, "0:00"),  # whole seconds, rounded down: a wait has not reached a second yet
    (59.5, "0:59"),
    (60, "1:00"),
    (599.9, "9:59"),
    (3599, "59:59"),
    (3600, "1:00:00"),
    (3661, "1:01:01"),
    (86_399, "23:59:59"),
    (90_061, "25:01:01"),  # more than a day: hours go on, no day wrap
    (-0.5, "0:00"),  # clocks slightly apart: never a negative wait
    (-75, "0:00"),
]


def nb(text: str) -> str:
    """A duration as written: its spaces are no-break spaces."""
    return text.replace(" ", NBSP)


# (seconds, duration): clock below an hour; hours and minutes, then days and hours, never h:mm:ss
DURATION_CASES = [
    (None, EMPTY),
    (0, "0:00"),
    (59.9, "0:59"),
    (60, "1:00"),
    (3599.9, "59:59"),  # not yet an hour
    (3600, nb("1 h 00 m")),
    (3661, nb("1 h 01 m")),
    (55_545, nb("15 h 25 m")),
    (55_945, nb("15 h 32 m")),  # the home page's "Longest wait (s) 55945"
    (86_399, nb("23 h 59 m")),
    (86_400, nb("1 d 00 h")),
    (90_061, nb("1 d 01 h")),
    (8 * 86_400 + 3 * 3600 + 59 * 60, nb("8 d 03 h")),
    (-0.5, "0:00"),
    (-7200, "0:00"),
]

# (seconds, signed duration): a change between two periods
SIGNED_DURATION_CASES = [
    (None, EMPTY),
    (0, "0:00"),
    (0.9, "0:00"),  # under a second either way: no sign
    (-0.9, "0:00"),
    (12.4, "+0:12"),
    (-12.4, "-0:12"),
    (56_264.6, nb("+15 h 37 m")),  # the daily report's "+56264.6"
    (-1076.1, "-17:56"),  # the daily report's "ASA −1076.1"
    (-90_000, nb("-1 d 01 h")),
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# (moment, seconds, text): in the centre's zone, with the zone's name
MOMENT_CASES = [
    (None, False, EMPTY),
    (datetime(2026, 12, 1, 8, 31, 5, tzinfo=UTC), False, "2026-12-01 09:31 CET"),
    (datetime(2026, 12, 1, 8, 31, 5, tzinfo=UTC), True, "2026-12-01 09:31:05 CET"),
    (datetime(2026, 7, 1, 22, 15, tzinfo=UTC), False, "2026-07-02 00:15 CEST"),  # the local day, not UTC's
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), False, "2026-10-25 02:30 CEST"),  # 02:30 twice that night
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), False, "2026-10-25 02:30 CET"),
    (datetime(2026, 3, 29, 9, 0, tzinfo=AMSTERDAM), False, "2026-03-29 09:00 CEST"),
]

# (value, digits, text): toFixed — the exact binary value, ties away from zero
FIXED_CASES = [
    (None, 1, EMPTY),
    (None, None, EMPTY),
    (0, 1, "0.0"),
    (0.0, 0, "0"),
    (12.25, 1, "12.3"),  # an exact tie: away from zero (Python's format would say 12.2)
    (2.5, 0, "3"),
    (-2.5, 0, "-3"),
    (59.5, 0, "60"),
    (1.005, 2, "1.00"),  # 1.005 is stored as 1.00499999…
    (-0.04, 1, "-0.0"),
    (-0.0, 1, "0.0"),
    (100, 1, "100.0"),
    (87.46, 1, "87.5"),
    (3600, 0, "3600"),
    (1234567.891, 2, "1234567.89"),
    (12, None, "12"),  # counts as they are
    (12.0, None, "12"),  # JSON's 12.0 is JavaScript's 12
    (12.5, None, "12.5"),
    (0.1 + 0.2, None, "0.30000000000000004"),
]

# (fraction, percent)
PERCENT_CASES = [
    (None, EMPTY),
    (0, "0.0"),
    (1, "100.0"),
    (0.8234, "82.3"),
    (0.00049, "0.0"),
    (0.9995, "100.0"),  # 100 × 0.9995 is stored as 99.9500000000000028…: rounds up
    (0.125, "12.5"),
]

# (age_s, response_target_s, share of the target written as on the wallboard)
SHARE_CASES = [
    (0, 3600, "0"),
    (1800, 3600, "50"),
    (2880, 3600, "80"),
    (5, 200, "3"),  # 2.5 %: a tie, away from zero
    (1, 3, "33"),
    (7200, 3600, "200"),
]


@pytest.mark.parametrize(("seconds", "expected"), CLOCK_CASES)
def test_clock(seconds, expected):
    assert clock(seconds) == expected


@pytest.mark.parametrize(("seconds", "expected"), DURATION_CASES)
def test_duration(seconds, expected):
    assert duration(seconds) == expected


@pytest.mark.parametrize(("seconds", "expected"), SIGNED_DURATION_CASES)
def test_signed_duration(seconds, expected):
    assert signed_duration(seconds) == expected


@pytest.mark.parametrize(("at", "seconds", "expected"), MOMENT_CASES)
def test_moment(at, seconds, expected):
    assert moment(at, AMSTERDAM, seconds=seconds) == expected


@pytest.mark.parametrize(("value", "digits", "expected"), FIXED_CASES)
def test_fixed(value, digits, expected):
    assert fixed(value, digits) == expected


@pytest.mark.parametrize(("fraction", "expected"), PERCENT_CASES)
def test_percent(fraction, expected):
    assert percent(fraction) == expected


@pytest.mark.parametrize(("age", "target", "expected"), SHARE_CASES)
def test_share_of_target_as_written(age, target, expected):
    assert fixed(response_target_share(age, target), 0) == expected


def test_empty_placeholder_is_the_callers():
    assert clock(None, empty="n/a") == fixed(None, 1, empty="n/a") == percent(None, empty="n/a") == "n/a"
    assert duration(None, empty="n/a") == moment(None, AMSTERDAM, empty="n/a") == "n/a"
    assert signed_duration(None, empty="n/a") == "n/a"
    assert clock(float("nan")) == duration(float("nan")) == fixed(float("nan"), 1) == EMPTY
