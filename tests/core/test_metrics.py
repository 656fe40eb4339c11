"""Table-driven tests of dashboard/metrics.py (pure: no Django, no database).

Every expected value below is computed by hand in the comment or the id next to it, never by calling the
function under test.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.core.metrics import (
    SL_ANSWERED_OVER_ANSWERED,
    SL_ANSWERED_OVER_ANSWERED_AND_LATE_ABANDONED,
    SL_ANSWERED_OVER_OFFERED,
    SL_DEFAULT,
    SL_FORMULA_LABELS,
    Counts,
    abandon_rate,
    aht_of_handle_s,
    aht_s,
    answered_within,
    asa_s,
    average,
    handle_ms,
    is_short_abandon,
    kpis,
    longest_wait_s,
    occupancy,
    pooled_sl_formula,
    response_status,
    response_status_from_s,
    service_level,
    status_from_s,
    target_status,
    threshold_status,
)

UTC = UTC
AMS = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2026, 5, 4, 9, 0, 0, tzinfo=UTC)

ALL_FORMULAS = (SL_ANSWERED_OVER_ANSWERED_AND_LATE_ABANDONED, SL_ANSWERED_OVER_ANSWERED, SL_ANSWERED_OVER_OFFERED)


def after(seconds: float, base: datetime = T0) -> datetime:
    return base + timedelta(seconds=seconds)


# --- constants -----------------------------------------------------------------------------------


def test_formula_constants():
    assert SL_DEFAULT == SL_ANSWERED_OVER_ANSWERED_AND_LATE_ABANDONED == "answered_abandoned_excl_short"
    assert SL_ANSWERED_OVER_ANSWERED == "answered"
    assert SL_ANSWERED_OVER_OFFERED == "offered"
    assert set(SL_FORMULA_LABELS) == set(ALL_FORMULAS)


# --- service_level -------------------------------------------------------------------------------

# (formula, answered_within_threshold, answered, abandoned, short_abandoned, offered, expected)
SERVICE_LEVEL_CASES = [
    # Same counts, three formulas, three different documented results:
    # 110 offered, 90 answered (80 within), 15 abandoned of which 5 short, 5 still waiting / transferred.
    pytest.param(SL_DEFAULT, 80, 90, 15, 5, 110, 80.0, id="default-80/(90+15-5)"),
    pytest.param(SL_ANSWERED_OVER_ANSWERED, 80, 90, 15, 5, 110, 100 * 80 / 90, id="answered-80/90"),
    pytest.param(SL_ANSWERED_OVER_OFFERED, 80, 90, 15, 5, 110, 100 * 80 / 110, id="offered-80/110"),
    # Nothing offered: None (not 0, not ZeroDivisionError) for every formula.
    pytest.param(SL_DEFAULT, 0, 0, 0, 0, 0, None, id="default-nothing-offered"),
    pytest.param(SL_ANSWERED_OVER_ANSWERED, 0, 0, 0, 0, 0, None, id="answered-nothing-offered"),
    pytest.param(SL_ANSWERED_OVER_OFFERED, 0, 0, 0, 0, 0, None, id="offered-nothing-offered"),
    # Everything abandoned (10, 2 of them short).
    pytest.param(SL_DEFAULT, 0, 0, 10, 2, 10, 0.0, id="default-all-abandoned-0/8"),
    pytest.param(SL_ANSWERED_OVER_ANSWERED, 0, 0, 10, 2, 10, None, id="answered-all-abandoned-none"),
    pytest.param(SL_ANSWERED_OVER_OFFERED, 0, 0, 10, 2, 10, 0.0, id="offered-all-abandoned-0/10"),
    # Everything short-abandoned: the default formula has nothing to judge.
    pytest.param(SL_DEFAULT, 0, 0, 10, 10, 10, None, id="default-all-short-abandoned-none"),
    pytest.param(SL_ANSWERED_OVER_ANSWERED, 0, 0, 10, 10, 10, None, id="answered-all-short-abandoned-none"),
    pytest.param(SL_ANSWERED_OVER_OFFERED, 0, 0, 10, 10, 10, 0.0, id="offered-all-short-abandoned-0/10"),
    # Short abandons count for nothing in the default formula: 8/(10+4-4) = 80 %.
    pytest.param(SL_DEFAULT, 8, 10, 4, 4, 14, 80.0, id="default-short-abandons-excluded"),
    # Everything answered within the threshold.
    pytest.param(SL_DEFAULT, 50, 50, 0, 0, 50, 100.0, id="default-all-within"),
    pytest.param(SL_ANSWERED_OVER_ANSWERED, 50, 50, 0, 0, 50, 100.0, id="answered-all-within"),
    pytest.param(SL_ANSWERED_OVER_OFFERED, 50, 50, 0, 0, 50, 100.0, id="offered-all-within"),
    # Nothing answered within the threshold.
    pytest.param(SL_DEFAULT, 0, 10, 0, 0, 10, 0.0, id="default-none-within"),
    # "offered" counts contacts still waiting or transferred away: 10 within of 20 offered.
    pytest.param(SL_ANSWERED_OVER_OFFERED, 10, 10, 0, 0, 20, 50.0, id="offered-counts-waiting-and-transferred"),
    # Defaults of the keyword arguments (abandoned=short=offered=0).
    pytest.param(SL_ANSWERED_OVER_ANSWERED, 3, 4, None, None, None, 75.0, id="answered-keyword-defaults"),
    pytest.param(SL_ANSWERED_OVER_OFFERED, 3, 4, None, None, None, None, id="offered-default-offered-0-none"),
]


@pytest.mark.parametrize(
    ("formula", "within", "answered", "abandoned", "short", "offered", "expected"), SERVICE_LEVEL_CASES
)
def test_service_level(formula, within, answered, abandoned, short, offered, expected):
    kwargs = {"formula": formula, "answered_within_threshold": within, "answered": answered}
    for name, value in (("abandoned", abandoned), ("short_abandoned", short), ("offered", offered)):
        if value is not None:
            kwargs[name] = value
    result = service_level(**kwargs)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)
        assert isinstance(result, float)


@pytest.mark.parametrize(
    "formula",
    [
        pytest.param("", id="empty"),
        pytest.param("Answered", id="wrong-case"),
        pytest.param("abandoned", id="not-a-formula"),
        pytest.param(None, id="none"),
    ],
)
def test_service_level_unknown_formula_names_the_valid_ones(formula):
    # Raised even when there is nothing to judge (a misconfigured queue must not look fine when idle).
    with pytest.raises(ValueError, match="unknown service-level formula") as excinfo:
        service_level(formula=formula, answered_within_threshold=0, answered=0)
    for valid in ALL_FORMULAS:
        assert repr(valid) in str(excinfo.value)


# --- thresholds of one contact -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wait_s", "threshold_s", "expected"),
    [
        pytest.param(0, 20, True, id="immediately"),
        pytest.param(19.999, 20, True, id="1ms-under"),
        pytest.param(20, 20, True, id="exactly-at-threshold-is-within"),
        pytest.param(20.0, 20, True, id="exactly-at-threshold-float"),
        pytest.param(20.001, 20, False, id="1ms-over"),
        pytest.param(60, 20, False, id="well-over"),
        pytest.param(0, 0, True, id="zero-threshold-zero-wait"),
        pytest.param(0.001, 0, False, id="zero-threshold-1ms"),
    ],
)
def test_answered_within(wait_s, threshold_s, expected):
    assert answered_within(wait_s, threshold_s) is expected


@pytest.mark.parametrize(
    ("wait_s", "threshold_s", "expected"),
    [
        pytest.param(0, 5, True, id="immediately"),
        pytest.param(4.999, 5, True, id="1ms-under-is-short"),
        pytest.param(5, 5, False, id="exactly-at-threshold-is-not-short"),
        pytest.param(5.0, 5, False, id="exactly-at-threshold-float-is-not-short"),
        pytest.param(5.001, 5, False, id="1ms-over"),
        pytest.param(0, 0, False, id="zero-threshold-nothing-is-short"),
    ],
)
def test_is_short_abandon(wait_s, threshold_s, expected):
    assert is_short_abandon(wait_s, threshold_s) is expected


# --- averages and rates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wait_answered_ms", "answered", "expected"),
    [
        pytest.param(0, 0, None, id="nothing-answered"),
        pytest.param(5000, 0, None, id="nothing-answered-nonzero-wait"),
        pytest.param(45_000, 3, 15.0, id="45s/3"),
        pytest.param(0, 5, 0.0, id="all-answered-immediately"),
        pytest.param(1, 4, 0.00025, id="1ms/4"),
        pytest.param(20_001, 1, 20.001, id="one-20.001s"),
    ],
)
def test_asa_s(wait_answered_ms, answered, expected):
    result = asa_s(wait_answered_ms=wait_answered_ms, answered=answered)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("talk_ms", "hold_ms", "acw_ms", "handled", "expected"),
    [
        pytest.param(0, 0, 0, 0, None, id="nothing-handled"),
        pytest.param(120_000, 0, 0, 0, None, id="nothing-handled-nonzero-talk"),
        pytest.param(120_000, 0, 0, 1, 120.0, id="talk-only"),
        # (300 + 60 + 30) s / 3 = 130 s: hold and after-call work are part of handle time.
        pytest.param(300_000, 60_000, 30_000, 3, 130.0, id="talk+hold+acw/3"),
        pytest.param(0, 60_000, 0, 1, 60.0, id="hold-counts"),
        pytest.param(0, 0, 45_000, 1, 45.0, id="acw-counts"),
        pytest.param(1, 1, 1, 2, 0.0015, id="3ms/2"),
    ],
)
def test_aht_s(talk_ms, hold_ms, acw_ms, handled, expected):
    result = aht_s(talk_ms=talk_ms, hold_ms=hold_ms, acw_ms=acw_ms, handled=handled)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("abandoned", "offered", "expected"),
    [
        pytest.param(0, 0, None, id="nothing-offered"),
        pytest.param(10, 10, 100.0, id="everything-abandoned"),
        pytest.param(0, 10, 0.0, id="nothing-abandoned"),
        pytest.param(3, 12, 25.0, id="3/12"),
        pytest.param(1, 3, 100 / 3, id="1/3"),
    ],
)
def test_abandon_rate(abandoned, offered, expected):
    result = abandon_rate(abandoned=abandoned, offered=offered)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        pytest.param(0, 0, None, id="empty"),
        pytest.param(10.0, 0, None, id="empty-nonzero-total"),
        pytest.param(5.0, -1, None, id="negative-count"),
        pytest.param(10.0, 4, 2.5, id="10/4"),
        pytest.param(0.0, 3, 0.0, id="zero-total"),
    ],
)
def test_average(total, count, expected):
    result = average(total, count)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("on_contact_s", "acw_s", "available_s", "expected"),
    [
        pytest.param(0, 0, 0, None, id="zero-staffed-time"),
        pytest.param(0.0, 0.0, 0.0, None, id="zero-staffed-time-float"),
        # (1800 + 600) / (1800 + 600 + 1200) = 2400 / 3600
        pytest.param(1800, 600, 1200, 200 / 3, id="2400/3600"),
        pytest.param(0, 0, 100, 0.0, id="only-available"),
        pytest.param(100, 0, 0, 100.0, id="only-on-contact"),
        pytest.param(0, 50, 0, 100.0, id="only-acw-is-busy"),
        # Live: 3 agents on a contact, 1 in wrap-up, 4 available -> 4/8.
        pytest.param(3, 1, 4, 50.0, id="agent-counts"),
    ],
)
def test_occupancy(on_contact_s, acw_s, available_s, expected):
    result = occupancy(on_contact_s=on_contact_s, acw_s=acw_s, available_s=available_s)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("oldest_offered_at", "now", "expected"),
    [
        pytest.param(None, T0, 0.0, id="no-waiting-contact"),
        pytest.param(T0, T0, 0.0, id="just-offered"),
        pytest.param(after(-90), T0, 90.0, id="90s"),
        pytest.param(after(-0.001), T0, 0.001, id="1ms"),
        pytest.param(after(0.5), T0, 0.0, id="clock-skew-offered-in-future"),
        pytest.param(after(3600), T0, 0.0, id="large-skew-still-0"),
        # Different tzinfo objects: Python compares instants, so this is correct today.
        pytest.param(
            datetime(2026, 3, 29, 1, 59, 50, tzinfo=AMS),
            datetime(2026, 3, 29, 1, 0, 5, tzinfo=UTC),  # = 03:00:05 CEST
            15.0,
            id="dst-spring-forward-offered-local-now-utc",
        ),
        pytest.param(
            datetime(2026, 3, 29, 1, 59, 50, tzinfo=AMS),
            datetime(2026, 3, 29, 3, 0, 5, tzinfo=AMS),
            15.0,
            id="dst-spring-forward-both-amsterdam",
        ),
    ],
)
def test_longest_wait_s(oldest_offered_at, now, expected):
    result = longest_wait_s(oldest_offered_at, now)
    assert result == pytest.approx(expected)
    assert isinstance(result, float)


# --- threshold_status ----------------------------------------------------------------------------


# Service level: warning at or below 80 %, critical at or below 60 %.
# ASA / longest wait: warning at or above 30 s, critical at or above 60 s.
@pytest.mark.parametrize(
    ("value", "warning", "critical", "higher_is_better", "expected"),
    [
        pytest.param(None, 80, 60, True, "normal", id="higher-none"),
        pytest.param(100.0, 80, 60, True, "normal", id="higher-100"),
        pytest.param(80.001, 80, 60, True, "normal", id="higher-just-above-warning"),
        pytest.param(80.0, 80, 60, True, "warning", id="higher-exactly-warning"),
        pytest.param(70.0, 80, 60, True, "warning", id="higher-between"),
        pytest.param(60.001, 80, 60, True, "warning", id="higher-just-above-critical"),
        pytest.param(60.0, 80, 60, True, "critical", id="higher-exactly-critical"),
        pytest.param(0.0, 80, 60, True, "critical", id="higher-zero"),
        pytest.param(None, 30, 60, False, "normal", id="lower-none"),
        pytest.param(0.0, 30, 60, False, "normal", id="lower-zero"),
        pytest.param(29.999, 30, 60, False, "normal", id="lower-just-below-warning"),
        pytest.param(30.0, 30, 60, False, "warning", id="lower-exactly-warning"),
        pytest.param(45.0, 30, 60, False, "warning", id="lower-between"),
        pytest.param(59.999, 30, 60, False, "warning", id="lower-just-below-critical"),
        pytest.param(60.0, 30, 60, False, "critical", id="lower-exactly-critical"),
        pytest.param(600.0, 30, 60, False, "critical", id="lower-far-over"),
    ],
)
def test_threshold_status(value, warning, critical, higher_is_better, expected):
    assert threshold_status(value, warning=warning, critical=critical, higher_is_better=higher_is_better) == expected


# --- Counts.of_contact ---------------------------------------------------------------------------

SL_S = 20
SHORT_S = 5


def contact(**overrides) -> Counts:
    """Counts.of_contact with every argument defaulted to "nothing happened yet"."""
    kwargs = {
        "offered_at": T0,
        "answered_at": None,
        "abandoned_at": None,
        "ended_at": None,
        "transferred_at": None,
        "talk_s": None,
        "hold_s": None,
        "acw_s": None,
        "callback_promised_by": None,
        "callback_completed_at": None,
        "sl_threshold_s": SL_S,
        "short_abandon_threshold_s": SHORT_S,
    }
    kwargs.update(overrides)
    return Counts.of_contact(**kwargs)


# (overrides of contact(), expected non-zero counters; every other counter must be 0)
OF_CONTACT_CASES = [
    pytest.param({}, {"offered": 1}, id="still-waiting"),
    # Answered, not yet ended: answered but not handled.
    pytest.param(
        {"answered_at": after(12)},
        {"offered": 1, "answered": 1, "answered_within_threshold": 1, "wait_answered_ms": 12_000},
        id="answered-not-ended-not-handled",
    ),
    pytest.param(
        {"answered_at": after(0)},
        {"offered": 1, "answered": 1, "answered_within_threshold": 1},
        id="answered-immediately",
    ),
    pytest.param(
        {"answered_at": after(20)},
        {"offered": 1, "answered": 1, "answered_within_threshold": 1, "wait_answered_ms": 20_000},
        id="answered-exactly-at-sl-threshold-is-within",
    ),
    pytest.param(
        {"answered_at": after(20.001)},
        {"offered": 1, "answered": 1, "wait_answered_ms": 20_001},
        id="answered-1ms-over-sl-threshold",
    ),
    pytest.param(
        {"answered_at": after(-0.2)},
        {"offered": 1, "answered": 1, "answered_within_threshold": 1},
        id="answered-before-offered-clock-skew-wait-0",
    ),
    # Handled: answered and ended, with talk + hold + after-call work.
    pytest.param(
        {"answered_at": after(8), "ended_at": after(300), "talk_s": 180.5, "hold_s": 30, "acw_s": 45.25},
        {
            "offered": 1,
            "answered": 1,
            "answered_within_threshold": 1,
            "wait_answered_ms": 8_000,
            "handled": 1,
            "talk_ms": 180_500,
            "hold_ms": 30_000,
            "acw_ms": 45_250,
        },
        id="handled-talk-hold-acw",
    ),
    pytest.param(
        {"answered_at": after(30), "ended_at": after(90), "talk_s": 60.0},
        {"offered": 1, "answered": 1, "wait_answered_ms": 30_000, "handled": 1, "talk_ms": 60_000},
        id="handled-late-no-hold-no-acw",
    ),
    pytest.param(
        {"answered_at": after(5), "ended_at": after(5)},
        {"offered": 1, "answered": 1, "answered_within_threshold": 1, "wait_answered_ms": 5_000, "handled": 1},
        id="handled-no-durations-known",
    ),
    pytest.param(
        {"answered_at": after(5), "talk_s": 60.0, "hold_s": 10.0, "acw_s": 20.0},
        {"offered": 1, "answered": 1, "answered_within_threshold": 1, "wait_answered_ms": 5_000},
        id="durations-ignored-until-ended",
    ),
    # Abandoned.
    pytest.param(
        {"abandoned_at": after(30)},
        {"offered": 1, "abandoned": 1, "wait_abandoned_ms": 30_000},
        id="abandoned-late",
    ),
    pytest.param(
        {"abandoned_at": after(12)},
        {"offered": 1, "abandoned": 1, "abandoned_within_threshold": 1, "wait_abandoned_ms": 12_000},
        id="abandoned-within-sl-threshold-not-short",
    ),
    pytest.param(
        {"abandoned_at": after(3)},
        {
            "offered": 1,
            "abandoned": 1,
            "short_abandoned": 1,
            "abandoned_within_threshold": 1,
            "wait_abandoned_ms": 3_000,
        },
        id="short-abandoned",
    ),
    pytest.param(
        {"abandoned_at": after(4.999)},
        {
            "offered": 1,
            "abandoned": 1,
            "short_abandoned": 1,
            "abandoned_within_threshold": 1,
            "wait_abandoned_ms": 4_999,
        },
        id="short-abandoned-1ms-under-threshold",
    ),
    pytest.param(
        {"abandoned_at": after(5)},
        {"offered": 1, "abandoned": 1, "abandoned_within_threshold": 1, "wait_abandoned_ms": 5_000},
        id="abandoned-exactly-at-short-threshold-is-not-short",
    ),
    pytest.param(
        {"abandoned_at": after(20.001)},
        {"offered": 1, "abandoned": 1, "wait_abandoned_ms": 20_001},
        id="abandoned-1ms-over-sl-threshold",
    ),
    pytest.param(
        {"abandoned_at": after(60), "ended_at": after(60), "talk_s": 0.0},
        {"offered": 1, "abandoned": 1, "wait_abandoned_ms": 60_000},
        id="abandoned-with-ended-at-not-handled",
    ),
    # Transfers.
    pytest.param(
        {"transferred_at": after(8)},
        {"offered": 1, "transferred_out": 1},
        id="transferred-before-answer",
    ),
    pytest.param(
        {"answered_at": after(10), "transferred_at": after(70), "ended_at": after(70), "talk_s": 60.0},
        {
            "offered": 1,
            "answered": 1,
            "answered_within_threshold": 1,
            "wait_answered_ms": 10_000,
            "transferred_out": 1,
            "handled": 1,
            "talk_ms": 60_000,
        },
        id="transferred-after-answer",
    ),
    # Callbacks.
    pytest.param(
        {"callback_promised_by": after(3600), "callback_completed_at": after(1800)},
        {"offered": 1, "callbacks_requested": 1, "callbacks_completed": 1, "callbacks_kept_on_time": 1},
        id="callback-kept-on-time",
    ),
    pytest.param(
        {"callback_promised_by": after(3600), "callback_completed_at": after(3600)},
        {"offered": 1, "callbacks_requested": 1, "callbacks_completed": 1, "callbacks_kept_on_time": 1},
        id="callback-completed-exactly-at-promise-is-on-time",
    ),
    pytest.param(
        {"callback_promised_by": after(3600), "callback_completed_at": after(3600.001)},
        {"offered": 1, "callbacks_requested": 1, "callbacks_completed": 1},
        id="callback-late",
    ),
    pytest.param(
        {"callback_promised_by": after(3600)},
        {"offered": 1, "callbacks_requested": 1},
        id="callback-not-completed",
    ),
    # DST day (Europe/Amsterdam, 2026-03-29 02:00 CET -> 03:00 CEST): 01:59:50 CET to 03:00:05 CEST is 15 s.
    pytest.param(
        {
            "offered_at": datetime(2026, 3, 29, 0, 59, 50, tzinfo=UTC),
            "answered_at": datetime(2026, 3, 29, 1, 0, 5, tzinfo=UTC),
        },
        {"offered": 1, "answered": 1, "answered_within_threshold": 1, "wait_answered_ms": 15_000},
        id="dst-spring-forward-utc",
    ),
    pytest.param(
        {
            "offered_at": datetime(2026, 3, 29, 1, 59, 50, tzinfo=AMS),
            "answered_at": datetime(2026, 3, 29, 1, 0, 5, tzinfo=UTC),
        },
        {"offered": 1, "answered": 1, "answered_within_threshold": 1, "wait_answered_ms": 15_000},
        id="dst-spring-forward-mixed-zones",
    ),
    pytest.param(
        {
            "offered_at": datetime(2026, 3, 29, 1, 59, 50, tzinfo=AMS),
            "answered_at": datetime(2026, 3, 29, 3, 0, 5, tzinfo=AMS),
        },
        {"offered": 1, "answered": 1, "answered_within_threshold": 1, "wait_answered_ms": 15_000},
        id="dst-spring-forward-answered-amsterdam",
    ),
    pytest.param(
        {
            "offered_at": datetime(2026, 3, 29, 1, 59, 58, tzinfo=AMS),
            "abandoned_at": datetime(2026, 3, 29, 3, 0, 1, tzinfo=AMS),
        },
        {
            "offered": 1,
            "abandoned": 1,
            "short_abandoned": 1,
            "abandoned_within_threshold": 1,
            "wait_abandoned_ms": 3_000,
        },
        id="dst-spring-forward-short-abandon-amsterdam",
    ),
    # Autumn (2026-10-25 03:00 CEST -> 02:00 CET): completed 02:40 CEST (00:40 UTC, fold=0) is before the
    # promise 02:10 CET (01:10 UTC, fold=1), so the callback was kept on time.
    pytest.param(
        {
            "offered_at": datetime(2026, 10, 25, 1, 0, tzinfo=AMS),
            "callback_promised_by": datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=AMS),
            "callback_completed_at": datetime(2026, 10, 25, 2, 40, fold=0, tzinfo=AMS),
        },
        {"offered": 1, "callbacks_requested": 1, "callbacks_completed": 1, "callbacks_kept_on_time": 1},
        id="dst-fall-back-callback-on-time-amsterdam",
    ),
]


@pytest.mark.parametrize(("overrides", "expected_nonzero"), OF_CONTACT_CASES)
def test_of_contact(overrides, expected_nonzero):
    expected = Counts(**expected_nonzero)
    assert contact(**overrides) == expected


def test_of_contact_returns_ints():
    c = contact(answered_at=after(1.2345), ended_at=after(100), talk_s=1.0005, hold_s=0.1, acw_s=2)
    assert all(type(v) is int for v in c.as_dict().values()), c


# --- Counts arithmetic and mapping ---------------------------------------------------------------

A = Counts(offered=3, answered=2, answered_within_threshold=1, abandoned=1, wait_answered_ms=30_000, talk_ms=7)
B = Counts(offered=5, answered=4, short_abandoned=1, abandoned=1, hold_ms=9, callbacks_requested=2)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param(
            A + B,
            Counts(
                offered=8,
                answered=6,
                answered_within_threshold=1,
                abandoned=2,
                short_abandoned=1,
                wait_answered_ms=30_000,
                talk_ms=7,
                hold_ms=9,
                callbacks_requested=2,
            ),
            id="add",
        ),
        pytest.param(B + A, A + B, id="add-commutes"),
        pytest.param(A + Counts(), A, id="add-zero"),
        pytest.param((A + B) - B, A, id="sub-inverse-of-add"),
        pytest.param(A - A, Counts(), id="sub-self"),
        pytest.param(
            Counts() - A,
            Counts(
                offered=-3,
                answered=-2,
                answered_within_threshold=-1,
                abandoned=-1,
                wait_answered_ms=-30_000,
                talk_ms=-7,
            ),
            id="sub-can-go-negative",
        ),
        pytest.param(sum([A, B, A], Counts()), A + A + B, id="sum-with-start"),
    ],
)
def test_counts_arithmetic(result, expected):
    assert result == expected


def test_counts_add_returns_new_object():
    a = Counts(offered=1)
    total = a + Counts(offered=2)
    assert total is not a
    assert a.offered == 1


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        pytest.param({}, Counts(), id="empty"),
        pytest.param(
            {"offered": "12", "answered": "10", "talk_ms": "123456"},
            Counts(offered=12, answered=10, talk_ms=123_456),
            id="str-values-parsed",
        ),
        pytest.param({"offered": 7, "handled": 3}, Counts(offered=7, handled=3), id="int-values"),
        pytest.param({"offered": b"4"}, Counts(offered=4), id="bytes-value-parsed"),
        pytest.param({"offered": "-3"}, Counts(offered=-3), id="negative"),
        pytest.param({"offered": " 7\n"}, Counts(offered=7), id="whitespace"),
        pytest.param(
            {"offered": "2", "sl_pct": "99.5", "queue": "sales", "": "x"},
            Counts(offered=2),
            id="unknown-names-ignored-even-non-numeric",
        ),
    ],
)
def test_counts_from_mapping(mapping, expected):
    result = Counts.from_mapping(mapping)
    assert result == expected
    assert all(type(v) is int for v in result.as_dict().values())


def test_counts_from_mapping_non_integer_value_raises():
    with pytest.raises(ValueError):
        Counts.from_mapping({"offered": "1.5"})


def test_counts_as_dict_and_round_trip():
    d = A.as_dict()
    assert list(d) == [f.name for f in fields(Counts)]
    assert d["offered"] == 3 and d["talk_ms"] == 7 and d["handled"] == 0
    assert Counts.from_mapping(d) == A
    assert Counts.from_mapping({k: str(v) for k, v in d.items()}) == A  # as a Redis hash returns it


# --- kpis ----------------------------------------------------------------------------------------

# 110 offered, 90 answered (80 within), 15 abandoned (5 short); 90 handled.
# ASA = 1 350 000 ms / 90 = 15 s; AHT = (9 000 000 + 900 000 + 1 800 000) ms / 90 = 130 s;
# abandon rate = 15 / 110.
BUSY_DAY = Counts(
    offered=110,
    answered=90,
    answered_within_threshold=80,
    abandoned=15,
    short_abandoned=5,
    handled=90,
    wait_answered_ms=1_350_000,
    talk_ms=9_000_000,
    hold_ms=900_000,
    acw_ms=1_800_000,
)


@pytest.mark.parametrize(
    ("counts", "formula", "expected"),
    [
        pytest.param(
            BUSY_DAY,
            None,
            {"service_level": 80.0, "asa_s": 15.0, "aht_s": 130.0, "abandon_rate": 1500 / 110},
            id="busy-day-default-formula",
        ),
        pytest.param(
            BUSY_DAY,
            SL_ANSWERED_OVER_ANSWERED,
            {"service_level": 8000 / 90, "asa_s": 15.0, "aht_s": 130.0, "abandon_rate": 1500 / 110},
            id="busy-day-answered-formula",
        ),
        pytest.param(
            BUSY_DAY,
            SL_ANSWERED_OVER_OFFERED,
            {"service_level": 8000 / 110, "asa_s": 15.0, "aht_s": 130.0, "abandon_rate": 1500 / 110},
            id="busy-day-offered-formula",
        ),
        pytest.param(
            Counts(),
            None,
            {"service_level": None, "asa_s": None, "aht_s": None, "abandon_rate": None},
            id="nothing-offered",
        ),
        pytest.param(
            Counts(offered=4, abandoned=4, short_abandoned=4, wait_abandoned_ms=8_000),
            None,
            {"service_level": None, "asa_s": None, "aht_s": None, "abandon_rate": 100.0},
            id="all-short-abandoned",
        ),
        # Answered but none handled yet: ASA known, AHT None.
        pytest.param(
            Counts(offered=2, answered=2, answered_within_threshold=1, wait_answered_ms=50_000),
            None,
            {"service_level": 50.0, "asa_s": 25.0, "aht_s": None, "abandon_rate": 0.0},
            id="answered-none-handled",
        ),
    ],
)
def test_kpis(counts, formula, expected):
    result = kpis(counts) if formula is None else kpis(counts, formula=formula)
    assert set(result) == set(expected)
    for name, value in expected.items():
        assert result[name] == (None if value is None else pytest.approx(value)), name


def test_kpis_unknown_formula():
    with pytest.raises(ValueError, match="unknown service-level formula"):
        kpis(BUSY_DAY, formula="nope")


def test_kpis_of_summed_contacts():
    # Four contacts: answered in 10 s and handled (talk 100, hold 20, acw 30), answered in 30 s (not ended),
    # abandoned after 2 s (short), abandoned after 40 s.
    total = sum(
        [
            contact(answered_at=after(10), ended_at=after(200), talk_s=100, hold_s=20, acw_s=30),
            contact(answered_at=after(30)),
            contact(abandoned_at=after(2)),
            contact(abandoned_at=after(40)),
        ],
        Counts(),
    )
    result = kpis(total)
    assert result["service_level"] == pytest.approx(100 * 1 / (2 + 2 - 1))  # 1 within / (2 answered + 1 late)
    assert result["asa_s"] == pytest.approx(20.0)  # (10 + 30) / 2
    assert result["aht_s"] == pytest.approx(150.0)  # (100 + 20 + 30) / 1 handled
    assert result["abandon_rate"] == pytest.approx(50.0)  # 2 / 4


# --- properties ----------------------------------------------------------------------------------


@st.composite
def consistent_counts(draw):
    answered = draw(st.integers(0, 10_000))
    within = draw(st.integers(0, answered))
    abandoned = draw(st.integers(0, 10_000))
    short = draw(st.integers(0, abandoned))
    offered = answered + abandoned + draw(st.integers(0, 10_000))  # + waiting / transferred away
    return within, answered, abandoned, short, offered


@settings(database=None)
@given(counts=consistent_counts(), formula=st.sampled_from(ALL_FORMULAS))
def test_property_service_level_between_0_and_100(counts, formula):
    within, answered, abandoned, short, offered = counts
    result = service_level(
        formula=formula,
        answered_within_threshold=within,
        answered=answered,
        abandoned=abandoned,
        short_abandoned=short,
        offered=offered,
    )
    denominator = {
        SL_ANSWERED_OVER_ANSWERED_AND_LATE_ABANDONED: answered + abandoned - short,
        SL_ANSWERED_OVER_ANSWERED: answered,
        SL_ANSWERED_OVER_OFFERED: offered,
    }[formula]
    if denominator > 0:
        assert result is not None
        assert 0.0 <= result <= 100.0
    else:
        assert result is None


OUTCOMES = ("waiting", "answered", "handled", "abandoned", "transferred_before_answer", "transferred_after_answer")
CALLBACKS = ("none", "not_completed", "on_time", "late")


@st.composite
def contact_specs(draw):
    """A contact as plain integers (milliseconds), from which the counters are computed by hand."""
    return {
        "offset_ms": draw(st.integers(0, 86_400_000)),
        "outcome": draw(st.sampled_from(OUTCOMES)),
        "wait_ms": draw(st.integers(0, 120_000)),
        "talk_ms": draw(st.integers(0, 3_600_000)),
        "hold_ms": draw(st.integers(0, 600_000)),
        "acw_ms": draw(st.integers(0, 600_000)),
        "callback": draw(st.sampled_from(CALLBACKS)),
        "callback_delta_ms": draw(st.integers(1, 7_200_000)),
    }


def build_contact(spec, sl_s, short_s) -> Counts:
    ms = timedelta(milliseconds=1)
    offered_at = T0 + spec["offset_ms"] * ms
    end_of_wait = offered_at + spec["wait_ms"] * ms
    outcome = spec["outcome"]
    kwargs = {"offered_at": offered_at}
    if outcome in ("answered", "handled", "transferred_after_answer"):
        kwargs["answered_at"] = end_of_wait
    if outcome in ("handled", "transferred_after_answer"):
        kwargs.update(
            ended_at=end_of_wait + spec["talk_ms"] * ms,
            talk_s=spec["talk_ms"] / 1000,
            hold_s=spec["hold_ms"] / 1000,
            acw_s=spec["acw_ms"] / 1000,
        )
    if outcome == "abandoned":
        kwargs["abandoned_at"] = end_of_wait
    if outcome == "transferred_before_answer":
        kwargs["transferred_at"] = end_of_wait
    if outcome == "transferred_after_answer":
        kwargs["transferred_at"] = kwargs["ended_at"]
    promised_by = offered_at + timedelta(hours=2)
    if spec["callback"] != "none":
        kwargs["callback_promised_by"] = promised_by
    if spec["callback"] == "on_time":
        kwargs["callback_completed_at"] = promised_by - spec["callback_delta_ms"] * ms + ms  # <= promise
    if spec["callback"] == "late":
        kwargs["callback_completed_at"] = promised_by + spec["callback_delta_ms"] * ms
    return contact(sl_threshold_s=sl_s, short_abandon_threshold_s=short_s, **kwargs)


def count_by_hand(specs, sl_s, short_s) -> dict[str, int]:
    answered = [s for s in specs if s["outcome"] in ("answered", "handled", "transferred_after_answer")]
    handled = [s for s in specs if s["outcome"] in ("handled", "transferred_after_answer")]
    abandoned = [s for s in specs if s["outcome"] == "abandoned"]
    callbacks = [s for s in specs if s["callback"] != "none"]
    return {
        "offered": len(specs),
        "answered": len(answered),
        "answered_within_threshold": sum(1 for s in answered if s["wait_ms"] <= sl_s * 1000),
        "abandoned": len(abandoned),
        "short_abandoned": sum(1 for s in abandoned if s["wait_ms"] < short_s * 1000),
        "abandoned_within_threshold": sum(1 for s in abandoned if s["wait_ms"] <= sl_s * 1000),
        "transferred_out": sum(1 for s in specs if s["outcome"].startswith("transferred")),
        "handled": len(handled),
        "wait_answered_ms": sum(s["wait_ms"] for s in answered),
        "wait_abandoned_ms": sum(s["wait_ms"] for s in abandoned),
        "talk_ms": sum(s["talk_ms"] for s in handled),
        "hold_ms": sum(s["hold_ms"] for s in handled),
        "acw_ms": sum(s["acw_ms"] for s in handled),
        "callbacks_requested": len(callbacks),
        "callbacks_completed": sum(1 for s in callbacks if s["callback"] in ("on_time", "late")),
        "callbacks_kept_on_time": sum(1 for s in callbacks if s["callback"] == "on_time"),
    }


@settings(database=None, deadline=None)
@given(
    specs=st.lists(contact_specs(), max_size=30),
    sl_s=st.integers(0, 60),
    short_s=st.integers(0, 10),
)
def test_property_sum_of_contacts_equals_hand_count(specs, sl_s, short_s):
    total = sum((build_contact(s, sl_s, short_s) for s in specs), Counts())
    assert total.as_dict() == count_by_hand(specs, sl_s, short_s)


@settings(database=None)
@given(
    a=st.builds(Counts, **{f.name: st.integers(-(10**9), 10**9) for f in fields(Counts)}),
    b=st.builds(Counts, **{f.name: st.integers(-(10**9), 10**9) for f in fields(Counts)}),
)
def test_property_counts_add_sub_inverse(a, b):
    assert (a + b) - b == a
    assert a + b == b + a
    assert Counts.from_mapping({k: str(v) for k, v in (a + b).as_dict().items()}) == a + b


# --- handle time and AHT (one formula for the live, report, WFM and forecast figures) ---------------

# (talk_ms, hold_ms, acw_ms, handled, expected aht_s)
AHT_CASES = [
    pytest.param(0, 0, 0, 0, None, id="nothing-handled"),
    pytest.param(120_000, 30_000, 30_000, 0, None, id="time-but-nothing-handled"),
    pytest.param(0, 0, 0, 2, 0.0, id="aht-0"),  # zero-length contacts: an AHT of 0, not unknown
    pytest.param(120_000, 30_000, 30_000, 1, 180.0, id="one-contact-3-min"),  # 180 000 ms / 1 / 1000
    pytest.param(200_000, 0, 100_000, 4, 75.0, id="four-contacts"),  # 300 000 / 4 / 1000
    pytest.param(1_000, 0, 0, 3, 1 / 3, id="a-third"),
]


@pytest.mark.parametrize(("talk", "hold", "acw", "handled", "expected"), AHT_CASES)
def test_aht_s_and_aht_of_handle_s(talk, hold, acw, handled, expected):
    assert aht_s(talk_ms=talk, hold_ms=hold, acw_ms=acw, handled=handled) == expected
    total = handle_ms(talk_ms=talk, hold_ms=hold, acw_ms=acw)
    assert total == talk + hold + acw
    assert aht_of_handle_s(handle_ms=total, handled=handled) == expected


@pytest.mark.parametrize(
    ("total_ms", "handled", "expected"),
    [
        pytest.param(90_000.0, 0.5, 180.0, id="weighted-half-a-contact"),  # a weighted history week
        pytest.param(0.0, 0.0, None, id="weighted-nothing"),
        pytest.param(0.0, -1.0, None, id="negative-count"),
        pytest.param(360_000.0, 2.5, 144.0, id="weighted-2.5"),
    ],
)
def test_aht_of_handle_s_with_weighted_counts(total_ms, handled, expected):
    assert aht_of_handle_s(handle_ms=total_ms, handled=handled) == expected


# --- the service-level formula of pooled queues --------------------------------------------------------


@pytest.mark.parametrize(
    ("formulas", "expected"),
    [
        pytest.param([], SL_DEFAULT, id="no-queues"),
        pytest.param([SL_ANSWERED_OVER_ANSWERED], SL_ANSWERED_OVER_ANSWERED, id="one-queue"),
        pytest.param([SL_ANSWERED_OVER_OFFERED] * 3, SL_ANSWERED_OVER_OFFERED, id="all-the-same"),
        pytest.param([SL_ANSWERED_OVER_ANSWERED, SL_ANSWERED_OVER_OFFERED], SL_DEFAULT, id="differ"),
        pytest.param([SL_ANSWERED_OVER_OFFERED, SL_DEFAULT], SL_DEFAULT, id="differ-one-default"),
        pytest.param(iter([SL_ANSWERED_OVER_ANSWERED] * 2), SL_ANSWERED_OVER_ANSWERED, id="a-generator"),
    ],
)
def test_pooled_sl_formula(formulas, expected):
    assert pooled_sl_formula(formulas) == expected


# --- statuses: a bare target, and the ages from which a ticking wait changes colour ------------------


@pytest.mark.parametrize(
    ("value", "target", "higher_is_better", "expected"),
    [
        pytest.param(None, 80.0, True, "normal", id="nothing-offered"),
        pytest.param(80.0, 80.0, True, "normal", id="exactly-the-target-is-met"),
        pytest.param(80.1, 80.0, True, "normal", id="above"),
        pytest.param(79.9, 80.0, True, "critical", id="just-below"),
        pytest.param(0.0, 80.0, True, "critical", id="everything-abandoned"),
        pytest.param(20.0, 20.0, False, "normal", id="lower-exactly"),
        pytest.param(20.1, 20.0, False, "critical", id="lower-above"),
        pytest.param(0.0, 0.0, False, "normal", id="lower-zero-target"),
    ],
)
def test_target_status(value, target, higher_is_better, expected):
    assert target_status(value, target=target, higher_is_better=higher_is_better) == expected


def _status_at(age: float, steps: dict) -> str:
    # What static/js/live.js statusAt does with the steps (age ≥ step).
    return "critical" if age >= steps["critical"] else "warning" if age >= steps["warning"] else "normal"


# Longest wait: warning from 30 s, critical from 60 s (lower is better).
@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0.0, "normal"),
        (29.999, "normal"),
        (30.0, "warning"),
        (59.5, "warning"),
        (60.0, "critical"),
        (86_400.0, "critical"),
    ],
)
def test_status_from_s_agrees_with_threshold_status(age, expected):
    steps = status_from_s(warning=30, critical=60, higher_is_better=False)
    assert steps == {"warning": 30.0, "critical": 60.0}
    assert _status_at(age, steps) == expected
    assert threshold_status(age, warning=30, critical=60, higher_is_better=False) == expected


def test_status_from_s_is_none_when_higher_is_better():
    assert status_from_s(warning=60, critical=30, higher_is_better=True) is None


# Response target one hour: warning from 80 % (2880 s), critical from 100 % (3600 s).
@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0.0, "normal"),
        (2879.9, "normal"),
        (2880.0, "warning"),
        (3599.0, "warning"),
        (3600.0, "critical"),
        (90_000.0, "critical"),
    ],
)
def test_response_status_from_s_agrees_with_response_status(age, expected):
    steps = response_status_from_s(3600)
    assert steps == {"warning": 2880.0, "critical": 3600.0}
    assert _status_at(age, steps) == expected
    assert response_status(age, 3600) == expected


@pytest.mark.parametrize("target", [None, 0])
def test_response_status_from_s_without_a_target(target):
    assert response_status_from_s(target) is None
    assert response_status(500.0, target) == "normal"


def test_metrics_and_erlang_import_nothing_from_django():
    import subprocess
    import sys

    code = (
        "import sys; import dashboard.core.metrics, dashboard.core.erlang, dashboard.core.formats; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
