"""The adherence rules of ``dashboard.core.adherence``, table-driven: a plan against the actual states,
adherence, minutes out, conformance, the current stretch out of adherence and the scheduled working
time per interval; with no schedule, an agent who never logged in, a DST day and a shift across midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.core import adherence as a

AMS = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 12, 2)  # a Wednesday, UTC+1


def t(hhmm: str, day: date = DAY) -> datetime:
    """Local wall-clock time of ``day`` as a UTC instant."""
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=AMS).astimezone(UTC)


def plan(*entries):
    kinds = {"shift": "working", "break": "away", "lunch": "away", "meeting": "away", "off": "off"}
    return [a.PlannedSpan(t(s) if isinstance(s, str) else s, t(e) if isinstance(e, str) else e, k, kinds[k])
            for s, e, k in entries]  # fmt: skip


def states(*spans):
    return [a.StateSpan(t(s), t(e) if e else None, st) for s, e, st in spans]


SHIFT = plan(("08:00", "12:00", "shift"), ("10:00", "10:15", "break"))  # 225 min working, 15 away


@pytest.mark.parametrize(
    ("actual", "until", "scheduled", "kept", "worked", "out_since"),
    [
        pytest.param(
            states(("08:00", "10:00", "available"), ("10:00", "10:15", "paused"), ("10:15", None, "on_contact")),
            "12:00",
            240,
            240,
            225,
            None,
            id="kept-to-the-minute",
        ),
        pytest.param(
            states(("08:07", "10:00", "available"), ("10:00", "10:15", "paused"), ("10:15", None, "acw")),
            "12:00",
            240,
            233,
            218,
            None,
            id="seven-minutes-late",
        ),
        pytest.param(
            states(("08:00", "10:00", "available"), ("10:00", "10:25", "paused"), ("10:25", None, "available")),
            "12:00",
            240,
            230,
            215,
            None,
            id="long-break",
        ),
        pytest.param(
            states(
                ("08:00", "10:00", "on_contact"),
                ("10:00", "10:10", "acw"),
                ("10:10", "10:15", "paused"),
                ("10:15", None, "available"),
            ),
            "12:00",
            240,
            230,
            235,
            None,
            id="break-taken-late-after-a-call",
        ),  # fmt: skip
        pytest.param([], "12:00", 240, 15, 0, t("10:15"), id="never-logged-in: the break is kept, the shift not"),
        pytest.param(
            states(("08:00", "09:00", "available"), ("09:00", None, "paused")),
            "09:30",
            90,
            60,
            60,
            t("09:00"),
            id="so-far: paused since 09:00",
        ),
        pytest.param(
            states(("08:00", "09:00", "available"), ("09:00", None, "logged_out")),
            "10:05",
            125,
            65,
            60,
            None,
            id="in-the-break-now: out stretch ended, in again",
        ),
        pytest.param(
            states(("07:30", "12:30", "available")),
            "12:00",
            240,
            225,
            270,
            None,
            id="worked-through-the-break: worked counts from 07:30",
        ),
        pytest.param(states(("08:00", None, "available")), "08:00", 0, 0, 0, None, id="nothing-yet"),
    ],
)
def test_adherence_table(actual, until, scheduled, kept, worked, out_since):
    r = a.adherence(plan=SHIFT, states=actual, start=t("00:00"), until=t(until))
    assert r.scheduled_s == scheduled * 60
    assert r.in_adherence_s == kept * 60
    assert r.minutes_out == pytest.approx(scheduled - kept)
    assert r.worked_s == worked * 60
    assert r.out_since == out_since
    assert r.adherence_pct == (pytest.approx(kept / scheduled * 100) if scheduled else None)


def test_in_the_break_now_marks_no_out_stretch():
    """At 10:05 the agent is logged out during a planned break: in adherence now, no stretch out."""
    r = a.adherence(plan=SHIFT, states=states(("08:00", "09:00", "available"), ("09:00", None, "logged_out")),
                    start=t("00:00"), until=t("10:05"))  # fmt: skip
    assert r.out_since is None
    assert r.in_adherence_s == (60 + 5) * 60


def test_conformance_can_exceed_hundred_and_differs_from_adherence():
    """An hour late and an hour longer: conformance 100 %, adherence not."""
    p = plan(("08:00", "12:00", "shift"))
    r = a.adherence(plan=p, states=states(("09:00", "13:00", "available")), start=t("00:00"), until=t("14:00"))
    assert r.conformance_pct == pytest.approx(100.0)
    assert r.adherence_pct == pytest.approx(75.0)
    r = a.adherence(plan=p, states=states(("07:00", "13:00", "available")), start=t("00:00"), until=t("14:00"))
    assert r.conformance_pct == pytest.approx(150.0)
    assert r.adherence_pct == pytest.approx(100.0)


def test_no_schedule():
    r = a.adherence(plan=[], states=states(("08:00", "12:00", "available")), start=t("00:00"), until=t("23:00"))
    assert (r.scheduled_s, r.adherence_pct, r.conformance_pct, r.out_since) == (0, None, None, None)
    assert r.worked_s == 4 * 3600


def test_off_is_not_scheduled_and_overrides_the_shift():
    p = plan(("08:00", "12:00", "shift"), ("08:00", "10:00", "off"))
    r = a.adherence(plan=p, states=[], start=t("00:00"), until=t("12:00"))
    assert r.scheduled_s == 2 * 3600  # only 10:00–12:00 is scheduled
    assert r.scheduled_working_s == 2 * 3600
    assert r.in_adherence_s == 0


@pytest.mark.parametrize(
    ("day", "expected_h"),
    [
        pytest.param(date(2026, 3, 29), 3, id="spring-forward: 01:00–05:00 local is 3 hours"),
        pytest.param(date(2026, 10, 25), 5, id="fall-back: 01:00–05:00 local is 5 hours"),
        pytest.param(date(2026, 3, 30), 4, id="ordinary day"),
    ],
)
def test_dst_day(day, expected_h):
    start = datetime(day.year, day.month, day.day, tzinfo=AMS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), AMS).astimezone(UTC)
    p = [a.PlannedSpan(t("01:00", day), t("05:00", day), "shift", "working")]
    logged = [a.StateSpan(t("00:30", day), None, "available")]
    r = a.adherence(plan=p, states=logged, start=start, until=end)
    assert r.scheduled_s == expected_h * 3600
    assert r.adherence_pct == 100.0
    assert r.worked_s == (end - t("00:30", day)).total_seconds()


def test_night_shift_across_midnight_is_cut_at_the_day_bounds():
    night = [a.PlannedSpan(t("23:00"), t("07:00", DAY + timedelta(days=1)), "shift", "working")]
    worked = [a.StateSpan(t("23:05"), t("06:55", DAY + timedelta(days=1)), "available")]
    first = a.adherence(plan=night, states=worked, start=t("00:00"), until=t("00:00", DAY + timedelta(days=1)))
    second = a.adherence(
        plan=night, states=worked, start=t("00:00", DAY + timedelta(days=1)), until=t("00:00", DAY + timedelta(days=2))
    )
    assert (first.scheduled_s, first.in_adherence_s) == (3600, 55 * 60)
    assert (second.scheduled_s, second.in_adherence_s) == (7 * 3600, 7 * 3600 - 5 * 60)


@pytest.mark.parametrize(
    ("entries", "at", "expected"),
    [
        pytest.param(SHIFT, "10:05", "break", id="break-on-top-of-shift"),
        pytest.param(SHIFT, "10:15", "shift", id="half-open: the break ended"),
        pytest.param(SHIFT, "07:59", None, id="before"),
        pytest.param(
            plan(("08:00", "12:00", "shift"), ("08:00", "09:00", "meeting")),
            "08:30",
            "meeting",
            id="same-start: the shorter wins",
        ),  # fmt: skip
    ],
)
def test_planned_at(entries, at, expected):
    span = a.planned_at(entries, t(at))
    assert (span.activity if span else None) == expected


@pytest.mark.parametrize(
    ("counts_as", "state", "expected"),
    [
        ("working", "available", True),
        ("working", "on_contact", True),
        ("working", "acw", True),
        ("working", "paused", False),
        ("working", "logged_out", False),
        ("away", "paused", True),
        ("away", "logged_out", True),
        ("away", "on_contact", False),
        ("off", "available", None),
        (None, "available", None),
    ],
)
def test_in_adherence(counts_as, state, expected):
    assert a.in_adherence(counts_as, state) is expected


def test_state_at_and_gaps():
    s = states(("08:00", "09:00", "available"), ("09:30", None, "paused"))
    assert a.state_at(s, t("08:30")) == "available"
    assert a.state_at(s, t("09:10")) == "logged_out"
    assert a.state_at(s, t("23:00")) == "paused"


def test_working_seconds_per_interval():
    starts = [t("09:45"), t("10:00"), t("10:15"), t("11:45"), t("12:00")]
    assert a.working_seconds_per_interval(SHIFT, starts, 900) == [900, 0, 900, 900, 0]
    assert a.working_seconds(SHIFT, t("00:00"), t("23:59")) == 225 * 60


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"in_adherence_s": 45, "scheduled_s": 60}, 75.0),
        ({"in_adherence_s": 0, "scheduled_s": 0}, None),
    ],
)
def test_adherence_pct(kwargs, expected):
    assert a.adherence_pct(**kwargs) == expected


def test_refuses_bad_input():
    with pytest.raises(ValueError, match="not after start"):
        a.PlannedSpan(t("10:00"), t("09:00"), "shift", "working")
    with pytest.raises(ValueError, match="counts_as"):
        a.PlannedSpan(t("09:00"), t("10:00"), "shift", "busy")
    with pytest.raises(ValueError, match="until"):
        a.adherence(plan=SHIFT, states=[], start=t("10:00"), until=t("09:00"))
    with pytest.raises(ValueError):
        a.adherence_pct(in_adherence_s=70, scheduled_s=60)
