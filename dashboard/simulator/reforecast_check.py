"""How good is the intraday reforecast? Measured on the simulator's days, with no database.

A one-queue voice centre (open 08:00–20:00 on weekdays) is simulated for some weeks of history and then
for test weeks, twice from the same seed: once as usual, once with an unannounced campaign on each test
day (volume × ``factor`` from some hour to midnight; the history is the same in both runs, as the random
draws only part where the campaign starts). For each test day:

* the **forecast** is built as ``dashboard.wfm`` builds one from history: per quarter-hour the weighted
  mean of the same weekday in the weeks before (weights ``weeks, weeks − 1, …, 1``, most recent first);
* at every closed quarter-hour from ``from_hour`` until closing, the rest of the day is predicted two ways
  — the plain forecast and ``dashboard.core.wfm.reforecast`` — and compared with what came:
  **WAPE** = Σ|actual − predicted| ÷ Σ actual × 100 over all those (moment, remaining interval) pairs;
* the deviation alert (``volume_alert``) is evaluated at every closed quarter-hour: on how many ordinary
  days it was ever raised, and on how many campaign days it was raised, and how long after the start.

``make bench-reforecast`` prints the figures for larger runs; tests/simulator checks a small one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dashboard.core import wfm
from dashboard.simulator.engine import AgentSpec, Campaign, CentreSpec, QueueSpec, Simulator

QUEUE = "Algemeen"
OPENS, CLOSES = 8, 20  # local hours
QUARTERS = 96


@dataclass
class CheckResult:
    days: int = 0
    forecast_abs_error: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    reforecast_abs_error: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    actual: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    alert_days: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    alert_delay_min: list[float] = field(default_factory=list)

    def wape(self, kind: str, which: str) -> float:
        errors = self.forecast_abs_error if which == "forecast" else self.reforecast_abs_error
        return errors[kind] / self.actual[kind] * 100.0 if self.actual[kind] else float("nan")

    def as_dict(self) -> dict:
        return {
            "test_days": self.days,
            **{
                f"{kind}_wape_{which}": round(self.wape(kind, which), 2)
                for kind in ("ordinary", "campaign")
                for which in ("forecast", "reforecast")
            },
            "ordinary_days_alerted": self.alert_days["ordinary"],
            "campaign_days_alerted": self.alert_days["campaign"],
            "alert_delay_min": sorted(self.alert_delay_min),
        }


def _spec(volume_per_day: float, agents: int, tz: ZoneInfo) -> CentreSpec:
    hours = {d: [(time(OPENS), time(CLOSES))] for d in range(5)}
    queue = QueueSpec(QUEUE, "voice", team="Team", opening_hours=hours, volume_per_day=volume_per_day)
    return CentreSpec(
        queues=[queue], agents=[AgentSpec(f"a{i:03d}", team="Team", skills=[QUEUE]) for i in range(agents)], tz=tz
    )


def _offered_per_quarter(events: list[dict], tz: ZoneInfo) -> dict[date, list[int]]:
    """Contacts offered per local day and quarter-hour (wall clock; the test days are not DST days)."""
    out: dict[date, list[int]] = defaultdict(lambda: [0] * QUARTERS)
    for e in events:
        if e["type"] == "contact.offered":
            at = datetime.fromisoformat(e["at"].replace("Z", "+00:00")).astimezone(tz)
            out[at.date()][at.hour * 4 + at.minute // 15] += 1
    return out


def _forecast(history: dict[date, list[int]], day: date, weeks: int) -> list[float]:
    weights = [(weeks - k, history[day - timedelta(days=7 * (k + 1))]) for k in range(weeks)]
    total = sum(w for w, _ in weights)
    return [sum(w * counts[i] for w, counts in weights) / total for i in range(QUARTERS)]


def reforecast_check(
    *,
    first_monday: date,
    history_weeks: int = 6,
    test_weeks: int = 1,
    volume_per_day: float = 1200.0,
    agents: int = 30,
    seed: int = 1,
    campaign_factor: float = 1.4,
    campaign_hours: tuple[int, ...] = (10, 11, 12, 13, 14),
    from_hour: int = 9,
    window: int = wfm.REFORECAST_WINDOW,
    credibility: float = wfm.REFORECAST_CREDIBILITY,
    alert_threshold_pct: float = wfm.ALERT_THRESHOLD_PCT,
    alert_intervals: int = wfm.ALERT_INTERVALS,
    tz_name: str = "Europe/Amsterdam",
) -> CheckResult:
    """Simulate, forecast, reforecast and alert as the module docstring says; the test days are the
    weekdays of the ``test_weeks`` after ``history_weeks`` weeks from ``first_monday``. The campaign on
    the n-th test day starts at ``campaign_hours[n % len]`` o'clock."""
    if first_monday.weekday() != 0:
        raise ValueError("first_monday must be a Monday")
    tz = ZoneInfo(tz_name)
    spec = _spec(volume_per_day, agents, tz)
    start = datetime.combine(first_monday, time(0), tz)
    end = datetime.combine(first_monday + timedelta(weeks=history_weeks + test_weeks), time(0), tz)
    test_days = [first_monday + timedelta(weeks=history_weeks + w, days=d) for w in range(test_weeks) for d in range(5)]
    campaign_at = {
        day: datetime.combine(day, time(campaign_hours[n % len(campaign_hours)]), tz) for n, day in enumerate(test_days)
    }
    campaigns = [
        Campaign(start=at, end=datetime.combine(day + timedelta(days=1), time(0), tz), factor=campaign_factor)
        for day, at in campaign_at.items()
    ]
    ordinary = _offered_per_quarter(Simulator(spec, seed, start).run_until(end), tz)
    with_campaign = _offered_per_quarter(Simulator(spec, seed, start, campaigns=campaigns).run_until(end), tz)
    result = CheckResult()
    first, last = from_hour * 4, CLOSES * 4
    for day in test_days:
        # A test week's forecast learns from the ordinary run only: no campaign leaks into history.
        forecast = _forecast(ordinary, day, history_weeks)
        result.days += 1
        for kind, actual in (("ordinary", ordinary[day]), ("campaign", with_campaign[day])):
            alerted_at = None
            for closed in range(OPENS * 4 + 1, last):
                seen = actual[:closed]
                if alerted_at is None and wfm.volume_alert(
                    forecast=forecast, actual=seen, threshold_pct=alert_threshold_pct, intervals=alert_intervals
                ):
                    alerted_at = closed
                if closed < first:
                    continue
                rest = wfm.reforecast(forecast=forecast, actual=seen, window=window, credibility=credibility)
                for i, projected in enumerate(rest.offered[: last - closed]):
                    came = actual[closed + i]
                    result.actual[kind] += came
                    result.forecast_abs_error[kind] += abs(came - forecast[closed + i])
                    result.reforecast_abs_error[kind] += abs(came - projected)
            if alerted_at is not None:
                result.alert_days[kind] += 1
                if kind == "campaign":
                    began = campaign_at[day]
                    result.alert_delay_min.append(alerted_at * 15 - (began.hour * 60 + began.minute))
    return result
