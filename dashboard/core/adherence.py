"""Schedule adherence and conformance: an agent's plan against what the agent did. Pure Python, no Django.

Definitions (as the WFM suites use them — NICE IEX "adherence" and "conformance", Verint and Calabrio
alike; docs/wfm.md §7 has the sources):

* **Adherence** — *when*: the share of the scheduled time in which the agent's actual state matched the
  planned activity. A scheduled working activity (a shift) is kept by being available, on a contact or in
  after-call work; an activity away from the phone (a break, lunch, a meeting, training) is kept by being
  paused or logged out. ``adherence_pct = in_adherence ÷ scheduled × 100`` over the scheduled time so far.
  Time planned ``off`` and time without any plan is not scheduled and counts neither way.
* **Conformance** — *how much*: the time the agent worked (available, on contact, after-call work) over
  the time scheduled to work, whenever it was worked: ``conformance_pct = worked ÷ scheduled working ×
  100``. An agent who starts an hour late and stays an hour longer conforms (100 %) but does not adhere.

The comparison is exact to the instant (the plan and the states are merged at every change of either),
which equals comparing minute by minute at a resolution of seconds; figures are reported in seconds and
minutes. Times are aware datetimes (UTC in the application); a day is whatever ``[start, until)`` the
caller passes, so a DST day of 23 or 25 hours and a shift crossing midnight need nothing special: a
shift is simply cut at the day's bounds.

Plans are layered, as planners write them: a shift 08:00–16:30 with a break 10:00–10:15 on top. Where
entries overlap, the innermost wins: the one that started last (and of those starting together, the
shorter).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WORKING, AWAY, OFF = "working", "away", "off"
COUNTS_AS = (WORKING, AWAY, OFF)
WORKING_STATES = frozenset({"available", "on_contact", "acw"})
AWAY_STATES = frozenset({"paused", "logged_out"})
LOGGED_OUT = "logged_out"


@dataclass(frozen=True)
class PlannedSpan:
    """One schedule entry: ``activity`` (its code) from ``start`` to ``end`` ``[start, end)``, which
    ``counts_as`` working, away or off."""

    start: datetime
    end: datetime
    activity: str
    counts_as: str

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError(f"planned {self.activity}: end {self.end} is not after start {self.start}")
        if self.counts_as not in COUNTS_AS:
            raise ValueError(f"counts_as {self.counts_as!r} is not one of {', '.join(COUNTS_AS)}")


@dataclass(frozen=True)
class StateSpan:
    """An agent's actual state from ``start`` to ``end`` (None: still in it)."""

    start: datetime
    end: datetime | None
    state: str


def in_adherence(counts_as: str | None, state: str) -> bool | None:
    """Does ``state`` keep an activity that ``counts_as`` working or away? None when nothing is
    scheduled (no plan, or ``off``): that time is neither in nor out of adherence."""
    if counts_as == WORKING:
        return state in WORKING_STATES
    if counts_as == AWAY:
        return state in AWAY_STATES
    return None


def resolve_plan(plan: Iterable[PlannedSpan]) -> list[tuple[datetime, datetime, PlannedSpan]]:
    """The plan as non-overlapping segments ``(start, end, entry)`` in time order, the innermost entry
    winning where entries overlap; gaps (no entry) are left out. Adjacent pieces of one entry are joined."""
    spans = list(plan)
    points = sorted({p for s in spans for p in (s.start, s.end)})
    out: list[tuple[datetime, datetime, PlannedSpan]] = []
    for a, b in zip(points, points[1:], strict=False):
        covering = [s for s in spans if s.start <= a and s.end >= b]
        if not covering:
            continue
        top = max(covering, key=lambda s: (s.start, -(s.end - s.start).total_seconds()))
        if out and out[-1][2] is top and out[-1][1] == a:
            out[-1] = (out[-1][0], b, top)
        else:
            out.append((a, b, top))
    return out


def planned_at(plan: Iterable[PlannedSpan], at: datetime) -> PlannedSpan | None:
    """The entry that holds at the instant ``at`` (innermost wins), or None."""
    for a, b, span in resolve_plan(plan):
        if a <= at < b:
            return span
    return None


def _state_segments(states: Iterable[StateSpan], start: datetime, until: datetime) -> list[tuple]:
    """``[start, until)`` cut into ``(start, end, state)`` covering it completely: a time without any
    recorded state (before the first log-in, an agent who never logged in) is ``logged_out``. Where
    spans overlap (a log that repeats itself), the later one takes over."""
    ordered = sorted((s for s in states), key=lambda s: s.start)
    out: list[tuple] = []
    cursor = start
    for i, s in enumerate(ordered):
        end = s.end
        if i + 1 < len(ordered) and (end is None or end > ordered[i + 1].start):
            end = ordered[i + 1].start
        lo = max(s.start, start)
        hi = min(end, until) if end is not None else until
        if hi <= lo or lo >= until:
            continue
        if lo > cursor:
            out.append((cursor, lo, LOGGED_OUT))
        lo = max(lo, cursor)
        if hi > lo:
            out.append((lo, hi, s.state))
            cursor = hi
    if cursor < until:
        out.append((cursor, until, LOGGED_OUT))
    return out


def state_at(states: Iterable[StateSpan], at: datetime) -> str:
    """The actual state at the instant ``at`` (``logged_out`` when none is recorded)."""
    ordered = sorted(states, key=lambda s: s.start)
    starts = [s.start for s in ordered]
    i = bisect_right(starts, at) - 1
    if i >= 0 and (ordered[i].end is None or at < ordered[i].end):
        return ordered[i].state
    return LOGGED_OUT


@dataclass(frozen=True)
class Adherence:
    """One agent over ``[start, until)``: seconds scheduled (working or away), in adherence, scheduled
    working and worked; ``out_since`` — when the agent's current stretch out of adherence began (None when
    the last scheduled moment before ``until`` was in adherence, or was not scheduled)."""

    scheduled_s: float
    in_adherence_s: float
    scheduled_working_s: float
    worked_s: float
    out_since: datetime | None

    @property
    def out_of_adherence_s(self) -> float:
        return self.scheduled_s - self.in_adherence_s

    @property
    def minutes_out(self) -> float:
        return self.out_of_adherence_s / 60.0

    @property
    def adherence_pct(self) -> float | None:
        """In adherence ÷ scheduled × 100; None when nothing was scheduled yet."""
        return adherence_pct(in_adherence_s=self.in_adherence_s, scheduled_s=self.scheduled_s)

    @property
    def conformance_pct(self) -> float | None:
        """Worked ÷ scheduled working × 100 (above 100 when the agent worked more than planned); None
        when no working time was scheduled yet."""
        return conformance_pct(worked_s=self.worked_s, scheduled_working_s=self.scheduled_working_s)


def adherence_pct(*, in_adherence_s: float, scheduled_s: float) -> float | None:
    """Schedule adherence in percent: scheduled time in adherence ÷ scheduled time × 100 (NICE IEX,
    Verint: "adherence"); None when nothing was scheduled."""
    if in_adherence_s < 0 or scheduled_s < 0 or in_adherence_s > scheduled_s + 1e-9:
        raise ValueError("need 0 <= in_adherence_s <= scheduled_s")
    return in_adherence_s / scheduled_s * 100.0 if scheduled_s > 0 else None


def conformance_pct(*, worked_s: float, scheduled_working_s: float) -> float | None:
    """Schedule conformance in percent: time worked ÷ time scheduled to work × 100 (NICE IEX:
    "conformance"); None when no working time was scheduled."""
    if worked_s < 0 or scheduled_working_s < 0:
        raise ValueError("worked_s and scheduled_working_s must not be negative")
    return worked_s / scheduled_working_s * 100.0 if scheduled_working_s > 0 else None


def adherence(
    *, plan: Sequence[PlannedSpan], states: Sequence[StateSpan], start: datetime, until: datetime
) -> Adherence:
    """Adherence and conformance of one agent over ``[start, until)`` (a day so far: ``until`` is now,
    or the day's end): the plan resolved innermost-first, compared with the actual states at every
    change of either (see the module's docstring for the definitions)."""
    if until < start:
        raise ValueError("until is before start")
    planned = [(max(a, start), min(b, until), s) for a, b, s in resolve_plan(plan) if b > start and a < until]
    actual = _state_segments(states, start, until)
    scheduled = kept = scheduled_working = worked = 0.0
    out_since: datetime | None = None
    last_scheduled_end: datetime | None = None
    for a, b, state in actual:
        if state in WORKING_STATES:
            worked += (b - a).total_seconds()
    i = 0
    for a, b, span in planned:
        length = (b - a).total_seconds()
        if span.counts_as == WORKING:
            scheduled_working += length
        if span.counts_as == OFF:
            continue
        while i < len(actual) and actual[i][1] <= a:
            i += 1
        j = i
        while j < len(actual) and actual[j][0] < b:
            lo, hi = max(a, actual[j][0]), min(b, actual[j][1])
            seconds = (hi - lo).total_seconds()
            scheduled += seconds
            if in_adherence(span.counts_as, actual[j][2]):
                kept += seconds
                out_since = None
            elif out_since is None or last_scheduled_end != lo:
                out_since = lo
            last_scheduled_end = hi
            j += 1
    if last_scheduled_end is not None and last_scheduled_end < until:
        out_since = None  # the stretch ended before now: nothing is scheduled at the moment
    return Adherence(scheduled, kept, scheduled_working, worked, out_since)


def working_seconds(plan: Sequence[PlannedSpan], start: datetime, end: datetime) -> float:
    """Seconds of ``[start, end)`` scheduled as working (the innermost entry counting as working): an
    interval's scheduled agents are this ÷ the interval's length."""
    total = 0.0
    for a, b, span in resolve_plan(plan):
        if span.counts_as == WORKING and b > start and a < end:
            total += (min(b, end) - max(a, start)).total_seconds()
    return total


def working_seconds_per_interval(
    plan: Sequence[PlannedSpan], starts: Sequence[datetime], length_s: float
) -> list[float]:
    """``working_seconds`` for each interval ``[s, s + length_s)`` of ``starts`` (in time order)."""
    segments = [(a, b) for a, b, span in resolve_plan(plan) if span.counts_as == WORKING]
    step = timedelta(seconds=length_s)
    out = []
    for s in starts:
        e = s + step
        out.append(sum((min(b, e) - max(a, s)).total_seconds() for a, b in segments if b > s and a < e))
    return out
