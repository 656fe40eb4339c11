"""Intraday workforce management: how today runs against its forecast. Pure Python, no Django, no I/O.

Three rules, each used by the intraday view (``GET /api/v1/wfm/intraday/``, docs/wfm.md §6) and tested by
table and on the simulator's days:

* ``deviation_pct`` — an interval's actual volume against its forecast, in percent.
* ``reforecast`` — the rest of the day re-projected from how the day has run so far: the forecast times
  the ratio of actual to forecast over the last closed intervals, damped by how much volume that ratio
  rests on (a credibility weight, as in Bühlmann's credibility theory: a ratio from 8 contacts is mostly
  noise, one from 300 is mostly signal).
* ``volume_alert`` — volume more than X % above forecast for N intervals in a row: an unannounced
  campaign, an outage, a mailing nobody told the planners about.

Figures are contacts per interval (the forecast is an expectation, a real number; the actual a count).
Intervals are given in time order; ``actual`` holds the closed intervals of the day so far (a prefix of the
day: its length is the number of closed intervals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The reforecast's defaults, chosen on the simulator's days (docs/wfm.md §6 has the measurement):
REFORECAST_WINDOW = 8  # the last 8 closed intervals with volume (two hours of quarter-hours)
REFORECAST_CREDIBILITY = 60.0  # contacts expected in the window at which the ratio gets half its weight
REFORECAST_RATIO_BOUNDS = (0.2, 5.0)  # beyond these a ratio says more about the forecast than the day
REFORECAST_METHOD = "damped_ratio"


@dataclass(frozen=True)
class Reforecast:
    """The reforecast of a day's remaining intervals.

    ``offered``: one value per interval from ``closed`` on (the open interval first), ``forecast × factor``.
    ``ratio``: Σ actual ÷ Σ forecast over the window (None when nothing was expected in it: no evidence).
    ``weight``: how far the ratio is trusted, ``F ÷ (F + credibility)`` with F the forecast volume of the
    window. ``factor``: ``1 + weight × (ratio − 1)`` (1 without evidence). ``window``: the closed intervals
    the ratio was taken over (at most ``window`` of them, those where something was expected or came)."""

    offered: tuple[float, ...]
    closed: int
    ratio: float | None
    weight: float
    factor: float
    window: int

    def as_dict(self) -> dict:
        return {
            "method": REFORECAST_METHOD,
            "ratio": self.ratio,
            "weight": self.weight,
            "factor": self.factor,
            "window_intervals": self.window,
        }


def deviation_pct(*, forecast: float | None, actual: float | None) -> float | None:
    """Actual against forecast in percent: ``(actual − forecast) ÷ forecast × 100`` — +25 means a quarter
    more contacts came than were expected, −50 half as many. None when either is unknown or nothing was
    expected (a percentage of nothing is not a number; 0 expected and 0 came is 0)."""
    if forecast is None or actual is None:
        return None
    if forecast < 0 or actual < 0:
        raise ValueError("forecast and actual must not be negative")
    if forecast == 0:
        return 0.0 if actual == 0 else None
    return (actual - forecast) / forecast * 100.0


def _window(forecast: Sequence[float], actual: Sequence[float], size: int) -> list[int]:
    """The indexes of the last ``size`` closed intervals in which something was expected or came (a queue
    closed at night has neither: its quiet hours say nothing about the day)."""
    picked: list[int] = []
    for i in range(len(actual) - 1, -1, -1):
        if forecast[i] > 0 or actual[i] > 0:
            picked.append(i)
            if len(picked) == size:
                break
    return picked


def reforecast(
    *,
    forecast: Sequence[float],
    actual: Sequence[float],
    window: int = REFORECAST_WINDOW,
    credibility: float = REFORECAST_CREDIBILITY,
) -> Reforecast:
    """Re-project the day's remaining intervals from how it has run so far.

    ``forecast``: every interval of the day; ``actual``: the closed ones so far (a prefix). Over the last
    ``window`` closed intervals with volume, ``ratio = Σ actual ÷ Σ forecast`` (bounded to
    ``REFORECAST_RATIO_BOUNDS``); it is damped towards 1 by ``weight = F ÷ (F + credibility)``, F being the
    window's forecast volume: Poisson noise on F expected contacts is about 1/√F of the ratio, so a
    quiet window moves the rest of the day little and a busy one a lot. Every remaining interval gets
    ``forecast × (1 + weight × (ratio − 1))``. The factor holds for the rest of the day (a campaign does
    not fade by the hour); the next closed interval updates it.

    Nothing expected in the window (a new queue, or the forecast is 0 while contacts come) gives no
    ratio: the forecast stands (factor 1), as nothing can be scaled from 0.
    """
    if window < 1:
        raise ValueError("window must be at least 1 interval")
    if credibility < 0:
        raise ValueError("credibility must not be negative")
    if len(actual) > len(forecast):
        raise ValueError("more actual intervals than forecast intervals")
    if any(v < 0 for v in forecast) or any(v < 0 for v in actual):
        raise ValueError("forecast and actual must not be negative")
    picked = _window(forecast, actual, window)
    expected = sum(forecast[i] for i in picked)
    came = sum(actual[i] for i in picked)
    ratio = None
    weight = 0.0
    factor = 1.0
    if expected > 0:
        lo, hi = REFORECAST_RATIO_BOUNDS
        ratio = min(hi, max(lo, came / expected))
        weight = expected / (expected + credibility)
        factor = 1.0 + weight * (ratio - 1.0)
    rest = tuple(f * factor for f in forecast[len(actual) :])
    return Reforecast(rest, len(actual), ratio, weight, factor, len(picked))


# --- the deviation alert -----------------------------------------------------------------------------

ALERT_THRESHOLD_PCT = 20.0  # defaults of a queue without its own setting (admin: intraday alert settings)
ALERT_INTERVALS = 6  # an hour and a half of quarter-hours
ALERT_NOISE_Z = 3.0  # the excess must also be this many Poisson standard deviations (√forecast) above it


@dataclass(frozen=True)
class VolumeAlert:
    """Volume stayed above forecast: ``intervals`` closed intervals in a row, ``deviation_pct`` over them
    pooled, from ``first`` (index of the first of the run) to ``last`` (the latest closed interval)."""

    first: int
    last: int
    intervals: int
    deviation_pct: float


def volume_alert(
    *,
    forecast: Sequence[float],
    actual: Sequence[float],
    threshold_pct: float = ALERT_THRESHOLD_PCT,
    intervals: int = ALERT_INTERVALS,
    noise_z: float = ALERT_NOISE_Z,
) -> VolumeAlert | None:
    """An alert when volume has stayed more than ``threshold_pct`` % above forecast for the last
    ``intervals`` closed intervals (those where something was expected; a closed queue's quiet
    intervals neither count nor break the run), else None.

    "Stayed above" is judged on the run pooled: Σ actual over the run more than (1 + X/100) × Σ forecast,
    **and** the excess beyond Poisson noise — at least ``noise_z`` × √Σ forecast (3 standard deviations).
    Single quarter-hours are too noisy to judge one by one (about ±20 % at 25 contacts): on the
    simulator's ordinary days, "every interval above" raised it on a third of the days. Since when
    (``first``): the first window of the day that crossed, from its first interval above its own forecast. ``deviation_pct`` is
    pooled from there to the latest closed interval."""
    if intervals < 1:
        raise ValueError("intervals must be at least 1")
    if threshold_pct < 0:
        raise ValueError("threshold_pct must not be negative")
    if len(actual) > len(forecast):
        raise ValueError("more actual intervals than forecast intervals")
    counted = [i for i in range(len(actual)) if forecast[i] > 0]  # in time order

    def above(indexes: list[int]) -> bool:
        expected = sum(forecast[i] for i in indexes)
        came = sum(actual[i] for i in indexes)
        return came > expected * (1.0 + threshold_pct / 100.0) and came - expected >= noise_z * expected**0.5

    def window_at(end: int) -> list[int]:  # the last ``intervals`` counted intervals up to position ``end``
        return counted[end - intervals + 1 : end + 1]

    last = len(counted) - 1
    if last + 1 < intervals or not above(window_at(last)):
        return None
    # Since when: the first window of the day that crossed, from its first interval above its own forecast
    # (a noisy quarter-hour inside a campaign may let the alert drop for a moment; the campaign began then).
    first_end = next(end for end in range(intervals - 1, last + 1) if above(window_at(end)))
    window = window_at(first_end)
    first = next((i for i in window if actual[i] > forecast[i]), window[0])
    span = [i for i in counted if first <= i]
    expected = sum(forecast[i] for i in span)
    came = sum(actual[i] for i in span)
    return VolumeAlert(first, span[-1], len(span), (came - expected) / expected * 100.0)
