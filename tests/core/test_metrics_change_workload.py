"""Table-driven tests of two formulas of dashboard/core/metrics.py: how a figure changed against an earlier
period (direction apart from verdict), and the workload an asynchronous queue needs. Expected values are
computed by hand in the ids and comments."""

from __future__ import annotations

import pytest

from dashboard.core.metrics import HIGHER_IS_BETTER, change, workload_agents


@pytest.mark.parametrize(
    ("value", "previous", "higher", "expected"),
    [
        # ASA fell from 1100 s to 23.9 s: the number went down (▼) and that is good (green).
        (23.9, 1100.0, False, {"delta": -1076.1, "direction": "down", "verdict": "better"}),
        (40.0, 20.0, False, {"delta": 20.0, "direction": "up", "verdict": "worse"}),  # ASA up: worse
        (85.0, 80.0, True, {"delta": 5.0, "direction": "up", "verdict": "better"}),  # service level up
        (70.0, 80.0, True, {"delta": -10.0, "direction": "down", "verdict": "worse"}),
        (462, 400, None, {"delta": 62, "direction": "up", "verdict": None}),  # a volume is neither
        (80.0, 80.0, True, {"delta": 0.0, "direction": "same", "verdict": "same"}),
        (None, 80.0, True, {"delta": None, "direction": None, "verdict": None}),  # nothing to compare
        (80.0, None, True, {"delta": None, "direction": None, "verdict": None}),
    ],
    ids=["asa-down-better", "asa-up-worse", "sl-up-better", "sl-down-worse", "volume", "same", "no-value", "no-before"],
)
def test_change(value, previous, higher, expected):
    got = change(value, previous, higher_is_better=higher)
    if expected["delta"] is not None:
        assert got["delta"] == pytest.approx(expected["delta"])
        got = {**got, "delta": expected["delta"]}
    assert got == expected


def test_higher_is_better_covers_the_report_figures():
    from dashboard.reports.selectors import KPI_TABLE

    assert {row[0] for row in KPI_TABLE} <= set(HIGHER_IS_BETTER)
    assert HIGHER_IS_BETTER["asa_s"] is False and HIGHER_IS_BETTER["service_level"] is True
    assert HIGHER_IS_BETTER["offered"] is None


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        # no target: the interval's work within the interval: 10 × 300 s ÷ 900 s = 3.333…
        ({"arriving": 10, "backlog": 0, "handle_s": 300, "interval_s": 900, "response_target_s": None}, 10 / 3),
        # a 1 h target spreads it: 3000 s ÷ 3600 s = 0.8333…
        ({"arriving": 10, "backlog": 0, "handle_s": 300, "interval_s": 900, "response_target_s": 3600}, 3000 / 3600),
        # the backlog counts too: (10 + 20) × 300 s ÷ 28 800 s (8 h) = 0.3125
        ({"arriving": 10, "backlog": 20, "handle_s": 300, "interval_s": 900, "response_target_s": 28800}, 0.3125),
        # a target shorter than the interval leaves the interval: 3000 ÷ 900
        ({"arriving": 10, "backlog": 0, "handle_s": 300, "interval_s": 900, "response_target_s": 60}, 10 / 3),
        # at most 80 % occupancy: 3.333… ÷ 0.8 = 4.1666…
        (
            {
                "arriving": 10,
                "backlog": 0,
                "handle_s": 300,
                "interval_s": 900,
                "response_target_s": None,
                "max_occupancy": 0.8,
            },
            10 / 3 / 0.8,
        ),  # fmt: skip
        # a night with only a backlog: 40 e-mails × 240 s ÷ 86 400 s (24 h) = 0.1111…
        (
            {"arriving": 0, "backlog": 40, "handle_s": 240, "interval_s": 900, "response_target_s": 86400},
            40 * 240 / 86400,
        ),
        ({"arriving": 0, "backlog": 0, "handle_s": None, "interval_s": 900, "response_target_s": 3600}, 0.0),  # no work
        (
            {"arriving": 3, "backlog": 0, "handle_s": None, "interval_s": 900, "response_target_s": 3600},
            None,
        ),  # unknown
        ({"arriving": 0.5, "backlog": 0, "handle_s": 600, "interval_s": 1800, "response_target_s": 0}, 300 / 1800),
    ],
    ids=[
        "no-target",
        "target",
        "backlog",
        "short-target",
        "occupancy",
        "night-backlog",
        "no-work",
        "no-aht",
        "forecast",
    ],
)
def test_workload_agents(kw, expected):
    got = workload_agents(**kw)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    "kw",
    [
        {"interval_s": 0},
        {"max_occupancy": 0},
        {"max_occupancy": 1.2},
        {"arriving": -1},
        {"backlog": -1},
        {"handle_s": -5},
    ],
)
def test_workload_agents_refuses_impossible_input(kw):
    base = {"arriving": 1, "backlog": 0, "handle_s": 60, "interval_s": 900, "response_target_s": None}
    with pytest.raises(ValueError):
        workload_agents(**{**base, **kw})
