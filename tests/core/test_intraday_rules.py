"""The intraday rules of ``dashboard.core.wfm``, table-driven: deviation, the damped reforecast and the
deviation alert ("unannounced campaign?")."""

from __future__ import annotations

import pytest

from dashboard.core import wfm


@pytest.mark.parametrize(
    ("forecast", "actual", "expected"),
    [
        pytest.param(20.0, 25, 25.0, id="a-quarter-more"),
        pytest.param(20.0, 10, -50.0, id="half"),
        pytest.param(20.0, 20, 0.0, id="as-expected"),
        pytest.param(0.0, 0, 0.0, id="nothing-expected-nothing-came"),
        pytest.param(0.0, 3, None, id="nothing-expected-some-came: no percentage of nothing"),
        pytest.param(None, 3, None, id="no-forecast"),
        pytest.param(12.5, None, None, id="no-actual"),
        pytest.param(0.5, 1, 100.0, id="fractional-forecast"),
    ],
)
def test_deviation_pct(forecast, actual, expected):
    assert wfm.deviation_pct(forecast=forecast, actual=actual) == (
        None if expected is None else pytest.approx(expected)
    )


def test_deviation_pct_refuses_negative():
    with pytest.raises(ValueError, match="negative"):
        wfm.deviation_pct(forecast=-1, actual=2)


DAY = [10.0] * 8  # eight intervals of 10 expected contacts


@pytest.mark.parametrize(
    ("forecast", "actual", "window", "credibility", "ratio", "weight", "rest"),
    [
        # 4 closed intervals × 10 = 40 expected, 60 came: ratio 1.5, weight 40/(40+40) = 0.5 → factor 1.25.
        pytest.param(DAY, [15, 15, 15, 15], 4, 40, 1.5, 0.5, [12.5] * 4, id="busier-half-weight"),
        # No damping (credibility 0): the ratio itself.
        pytest.param(DAY, [15, 15, 15, 15], 4, 0, 1.5, 1.0, [15.0] * 4, id="undamped"),
        # Only the last 2 intervals count with window 2: 20 expected, 10 came → 0.5, weight 20/40.
        pytest.param(DAY, [30, 30, 5, 5], 2, 20, 0.5, 0.5, [7.5] * 4, id="window-takes-the-latest"),
        # Closed queue at the start (0 expected, 0 came) is skipped: the window reaches back past it.
        pytest.param([0, 0, 10, 10, 10, 10], [0, 0, 20, 20], 4, 0, 2.0, 1.0, [20.0, 20.0], id="quiet-night-skipped"),
        # Nothing closed yet: the forecast stands.
        pytest.param(DAY, [], 4, 40, None, 0.0, DAY, id="nothing-closed"),
        # Nothing expected in the window while contacts came: no ratio, the forecast stands.
        pytest.param([0, 0, 0, 10], [0, 5, 5], 4, 10, None, 0.0, [10.0], id="nothing-expected"),
        # A ratio beyond the bounds is bounded (5 at most).
        pytest.param([1.0, 1.0, 1.0], [40, 40], 2, 0, 5.0, 1.0, [5.0], id="bounded-ratio"),
        # Whole day closed: nothing left to reforecast.
        pytest.param([10.0, 10.0], [12, 8], 4, 0, 1.0, 1.0, [], id="day-over"),
    ],
)
def test_reforecast(forecast, actual, window, credibility, ratio, weight, rest):
    got = wfm.reforecast(forecast=forecast, actual=actual, window=window, credibility=credibility)
    assert got.ratio == (None if ratio is None else pytest.approx(ratio))
    assert got.weight == pytest.approx(weight)
    assert list(got.offered) == pytest.approx(rest)
    assert got.closed == len(actual)
    assert got.factor == pytest.approx(1 + weight * ((ratio or 1.0) - 1))


def test_reforecast_damps_more_on_less_volume():
    quiet = wfm.reforecast(forecast=[2.0] * 10, actual=[3] * 4)
    busy = wfm.reforecast(forecast=[50.0] * 10, actual=[75] * 4)
    assert quiet.ratio == busy.ratio == pytest.approx(1.5)
    assert 1.0 < quiet.factor < busy.factor < 1.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"forecast": [1.0], "actual": [1, 2]}, "more actual"),
        ({"forecast": [1.0], "actual": [-1]}, "negative"),
        ({"forecast": [1.0], "actual": [], "window": 0}, "window"),
        ({"forecast": [1.0], "actual": [], "credibility": -1}, "credibility"),
    ],
)
def test_reforecast_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        wfm.reforecast(**kwargs)


@pytest.mark.parametrize(
    ("forecast", "actual", "threshold", "intervals", "alert"),
    [
        # 4 intervals of 25 expected = 100; 140 came: +40 % > 20 % and 40 ≥ 3·√100 = 30 → alert over all 4.
        pytest.param([25.0] * 6, [35, 35, 35, 35], 20, 4, (0, 3, 4, 40.0), id="campaign"),
        # Same +40 % but on 4 × 2.5 = 10 expected: 4 more is within noise (3·√10 ≈ 9.5).
        pytest.param([2.5] * 6, [4, 3, 4, 3], 20, 4, None, id="quiet-queue-noise"),
        # +15 %: below the 20 % threshold.
        pytest.param([25.0] * 6, [29, 29, 29, 28, 29, 29], 20, 4, None, id="below-threshold"),
        # Only 3 closed intervals with a forecast: not yet N.
        pytest.param([25.0] * 6, [40, 40, 40], 20, 4, None, id="too-few-intervals"),
        # Since when: the day's first window that crossed is 2..5 (130 of 100: +30 %, 30 ≥ 3·√100), and its
        # first interval above forecast is 4; pooled 4..8: 200 of 125 = +60 %.
        pytest.param([25.0] * 10, [25, 25, 25, 25, 40, 40, 40, 40, 40], 20, 4, (4, 8, 5, 60.0), id="since-when"),
        # The latest interval fell back to forecast: the last 4 pooled are +30 % (130 of 100) yet 30 ≥ 30.
        pytest.param([25.0] * 6, [40, 40, 40, 25], 20, 4, (0, 3, 4, 45.0), id="pooled-not-each"),
        # Held earlier but not now (the last window is back to forecast): no alert.
        pytest.param([25.0] * 10, [40, 40, 40, 40, 25, 25, 25, 25], 20, 4, None, id="over"),
        # Closed-queue intervals (0 expected) neither count nor break the run.
        pytest.param([25, 25, 0, 0, 25, 25, 25], [40, 40, 0, 0, 40, 40], 20, 4, (0, 5, 4, 60.0), id="skip-closed"),
        # Below forecast: never an alert.
        pytest.param([25.0] * 6, [10, 10, 10, 10], 20, 4, None, id="below"),
    ],
)
def test_volume_alert(forecast, actual, threshold, intervals, alert):
    got = wfm.volume_alert(forecast=forecast, actual=actual, threshold_pct=threshold, intervals=intervals)
    if alert is None:
        assert got is None
    else:
        assert (got.first, got.last, got.intervals) == alert[:3]
        assert got.deviation_pct == pytest.approx(alert[3])
