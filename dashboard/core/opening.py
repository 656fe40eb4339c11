"""Is a queue open now, and when does it open next: from its weekly opening hours and closed days.

Pure (no database): the caller passes the queue's hours and closed dates, so the live snapshot and any
other reader judge the same calendar the same way. The rules are those of the interval aggregation
(``dashboard.intervals.services``) and the simulator: a queue without opening hours is open around the
clock; a closed day (of the queue, or of every queue) closes it for that local day whatever its hours.
Opening hours are local times in the centre's time zone; spans are half-open ``[opens, closes)``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far ahead the next opening is looked for: a queue closed longer than this (a season, a queue
# being retired) is shown as closed without a time.
LOOKAHEAD_DAYS = 62

WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]  # weekday (0 = Monday) -> [(opens, closes)]


@dataclass(frozen=True)
class OpenState:
    open: bool
    next_open: datetime | None  # when closed: the next opening (aware, UTC offset of the centre); else None


def day_spans(day: date, hours: WeeklyHours | None, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The open spans of a local day (closed days aside): the whole day without opening hours, else the
    hours of its weekday, in order."""
    if not hours:
        start = datetime.combine(day, time(0), tz)
        return [(start, datetime.combine(day + timedelta(days=1), time(0), tz))]
    return sorted((datetime.combine(day, o, tz), datetime.combine(day, c, tz)) for o, c in hours.get(day.weekday(), ()))


def open_state(*, hours: WeeklyHours | None, closed_days: Collection[date], now: datetime, tz: ZoneInfo) -> OpenState:
    """Whether a queue is open at ``now`` and, when it is not, its next opening.

    ``hours``: the queue's weekly opening hours (empty or None: open day and night); ``closed_days``:
    local dates on which it is closed (its own and those of every queue). A span that ends as the
    next begins (17:00 closes, 17:00 opens) counts as open through; the next opening is the start of the
    first span after ``now`` on a day that is not closed, or None beyond ``LOOKAHEAD_DAYS``."""
    today = now.astimezone(tz).date()
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        if day in closed_days:
            continue
        for start, end in day_spans(day, hours, tz):
            if end <= now:
                continue
            if start <= now:
                return OpenState(True, None)
            return OpenState(False, start)
    return OpenState(False, None)


def combined_state(states: Sequence[OpenState]) -> OpenState:
    """A total of queues (a team, a channel, the centre) is open while any of its queues is; when all
    are closed it opens with the first of them. No queues: open (there is nothing to be closed)."""
    if not states or any(s.open for s in states):
        return OpenState(True, None)
    upcoming = [s.next_open for s in states if s.next_open is not None]
    return OpenState(False, min(upcoming) if upcoming else None)
