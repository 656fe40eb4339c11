"""What a wallboard tile carries about statuses: the server's status of each KPI that is not normal, and
for the wait that ticks in the browser the ages from which its status changes (no rule in the page)."""

from __future__ import annotations

import pytest

from dashboard.live.publisher import tile


def scope(**extra) -> dict:
    base = {
        "id": 1,
        "name": "Algemeen",
        "synchronous": True,
        "waiting": 2,
        "agents": {"available": 1, "logged_out": 3},
        "today": dict.fromkeys(
            (
                "offered",
                "answered",
                "abandoned",
                "short_abandoned",
                "answered_within_threshold",
                "handled",
                "transferred_out",
                "callbacks_requested",
                "callbacks_kept_on_time",
                "service_level",
                "asa_s",
                "aht_s",
                "abandon_rate",
            ),
            0,
        ),  # fmt: skip
        "last_30m": dict.fromkeys(("offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate"), 0),
    }
    base.update(extra)
    return base


LONGEST_WAIT = {"target": 20, "warning": 60, "critical": 120, "higher_is_better": False}


@pytest.mark.parametrize(
    ("extra", "status", "status_from"),
    [
        pytest.param({}, {}, None, id="no-thresholds"),
        pytest.param(
            {"status": {"longest_wait": "warning", "waiting": "normal"}, "thresholds": {"longest_wait": LONGEST_WAIT}},
            {"longest_wait": "warning"},
            {"longest_wait": {"warning": 60.0, "critical": 120.0}},
            id="longest-wait-kpi",
        ),
        pytest.param(
            {"thresholds": {"longest_wait": {**LONGEST_WAIT, "warning": 20, "critical": 10, "higher_is_better": True}}},
            {},
            None,
            id="higher-is-better-sends-only-the-status",
        ),
        pytest.param(
            {"synchronous": False, "response_target_s": 3600, "status": {"response_target": "critical"}},
            {"response_target": "critical"},
            {"response_target": {"warning": 2880.0, "critical": 3600.0}},
            id="asynchronous-response-target",
        ),
        pytest.param({"synchronous": False, "response_target_s": None}, {}, None, id="asynchronous-without-target"),
    ],
)
def test_tile_statuses(extra, status, status_from):
    out = tile(scope(**extra))
    assert out["status"] == status
    assert out.get("status_from") == status_from
    assert "thresholds" not in out
    assert "logged_out" not in out["agents"]
