"""Periods in the centre's time zone: quarter-hours, local days and ISO weeks, as UTC instants.

Intervals are half-open ``[start, end)``. Every time zone in use today is offset from UTC by a multiple
of 15 minutes, so a local quarter-hour always starts on a UTC quarter-hour: 15-minute intervals are
bucketed on UTC epoch seconds, and 30- and 60-minute roll-ups on the local clock (a DST change makes a
local day 23 or 25 hours long: 92 or 100 quarter-hours).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from dashboard.core.errors import FieldError

INTERVAL_S = 15 * 60
ROLLUP_LENGTHS = (15, 30, 60)
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def centre_tz() -> ZoneInfo:
    """The centre's time zone (``TIME_ZONE``, Europe/Amsterdam by default): days, intervals and clocks are
    bucketed and shown in it. The one place that reads it."""
    return ZoneInfo(settings.TIME_ZONE)


def floor_interval(at: datetime) -> datetime:
    """The start of the 15-minute interval holding ``at`` (UTC)."""
    epoch = int(at.timestamp() // INTERVAL_S) * INTERVAL_S
    return datetime.fromtimestamp(epoch, tz=UTC)


def ceil_interval(at: datetime) -> datetime:
    """The first interval boundary at or after ``at`` (UTC)."""
    floor = floor_interval(at)
    return floor if floor == at else floor + timedelta(seconds=INTERVAL_S)


def interval_starts(start: datetime, end: datetime) -> list[datetime]:
    """The starts of the 15-minute intervals in ``[start, end)`` (both on interval boundaries)."""
    first, last = int(start.timestamp()), int(end.timestamp())
    return [datetime.fromtimestamp(s, tz=UTC) for s in range(first, last, INTERVAL_S)]


def local_midnight(day: date) -> datetime:
    """Local midnight starting ``day`` as a UTC instant."""
    return datetime.combine(day, datetime.min.time(), centre_tz()).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[start, end)`` of a local day in UTC (23, 24 or 25 hours long)."""
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def local_date(at: datetime) -> date:
    return at.astimezone(centre_tz()).date()


def local_today(now: datetime) -> date:
    return local_date(now)


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(text: str) -> date:
    """The Monday of an ISO week written ``YYYY-Www`` (e.g. ``2026-W13``); ValueError names the problem."""
    match = WEEK_RE.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not an ISO week; write YYYY-Www, e.g. 2026-W13")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{text!r}: {year} has no week {week}") from None


# The days reports, exports and forecasts accept: they work with the days and weeks around a day, which
# overflow the calendar at its ends (0001-01-01, 9999-12-31), and no contact centre has figures before 1970.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2100, 12, 31)


def check_day(day: date) -> date:
    """``day`` when it lies within ``FIRST_DAY`` … ``LAST_DAY``; a ValueError saying so otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day.isoformat()} is outside {FIRST_DAY.isoformat()} … {LAST_DAY.isoformat()}")
    return day


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def rollup_start(start: datetime, length: int) -> datetime:
    """The start of the ``length``-minute local interval holding the 15-minute interval ``start``.

    Taken on the local clock (an hour is 10:00–11:00 local, also in India's +05:30), and kept as the
    UTC instant, so the two 02:00 hours of the night DST ends stay apart."""
    if length not in ROLLUP_LENGTHS:
        raise FieldError("length", f"{length!r} is not one of {ROLLUP_LENGTHS} minutes")
    local = start.astimezone(centre_tz())
    offset = (local.minute % length) * 60 + local.second
    return start - timedelta(seconds=offset)
