"""The intraday view on the simulator's days: a day with an unannounced campaign (volume × 1.5 from 11:00,
injected with the engine's ``Campaign``) raises the alert "unannounced campaign?" through the API, an
ordinary day does not; and the reforecast predicts the rest of the campaign day better than the plain
forecast does. The forecast is built from the simulated history as the forecast builder builds it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.core import wfm as rules
from dashboard.core.periods import day_bounds, interval_starts
from dashboard.intervals.models import IntervalWatermark, QueueInterval
from dashboard.simulator import reforecast_check as check
from dashboard.simulator.engine import Campaign, Simulator
from dashboard.wfm.models import ForecastInterval
from tests.factories import QueueFactory, TeamFactory, UserFactory

TZ = ZoneInfo("Europe/Amsterdam")
FIRST_MONDAY = date(2026, 4, 20)
HISTORY_WEEKS = 3
TEST_DAY = FIRST_MONDAY + timedelta(weeks=HISTORY_WEEKS, days=2)  # a Wednesday, 13 May 2026
CAMPAIGN_AT = datetime.combine(TEST_DAY, time(11), TZ)


@pytest.fixture(scope="module")
def simulated():
    spec = check._spec(1200.0, 30, TZ)
    start = datetime.combine(FIRST_MONDAY, time(0), TZ)
    end = datetime.combine(TEST_DAY + timedelta(days=1), time(0), TZ)
    campaign = Campaign(start=CAMPAIGN_AT, end=end, factor=1.5, queues=frozenset({check.QUEUE}))
    ordinary = check._offered_per_quarter(Simulator(spec, 7, start).run_until(end), TZ)
    busy = check._offered_per_quarter(Simulator(spec, 7, start, campaigns=[campaign]).run_until(end), TZ)
    forecast = check._forecast(ordinary, TEST_DAY, HISTORY_WEEKS)
    return {"forecast": forecast, "ordinary": ordinary[TEST_DAY], "campaign": busy[TEST_DAY]}


def test_the_campaign_raises_the_volume_from_its_start_only(simulated):
    before = slice(32, 44)  # 08:00–11:00
    after = slice(44, 80)
    assert sum(simulated["campaign"][before]) == sum(simulated["ordinary"][before])  # same draws until 11:00
    assert sum(simulated["campaign"][after]) > 1.3 * sum(simulated["ordinary"][after])


def test_the_reforecast_beats_the_forecast_on_the_campaign_day(simulated):
    forecast, actual = simulated["forecast"], simulated["campaign"]
    errors = {"forecast": 0.0, "reforecast": 0.0}
    came = 0
    for closed in range(48, 80):  # seen from every quarter-hour from 12:00 to closing
        rest = rules.reforecast(forecast=forecast, actual=actual[:closed]).offered
        for i in range(closed, 80):
            came += actual[i]
            errors["forecast"] += abs(actual[i] - forecast[i])
            errors["reforecast"] += abs(actual[i] - rest[i - closed])
    wape = {k: v / came * 100 for k, v in errors.items()}
    assert wape["reforecast"] < 0.8 * wape["forecast"], wape


@pytest.mark.django_db
def test_the_alert_is_raised_on_the_campaign_day_and_not_on_an_ordinary_day(simulated):
    queue = QueueFactory(name=check.QUEUE, team=TeamFactory(name="Team"))
    ordinary_day, campaign_day = TEST_DAY, TEST_DAY + timedelta(days=7)  # both in the past, both Wednesdays
    stamp = timezone.now()
    for day, counts in ((ordinary_day, simulated["ordinary"]), (campaign_day, simulated["campaign"])):
        start, end = day_bounds(day)
        starts = interval_starts(start, end)
        ForecastInterval.objects.bulk_create(
            ForecastInterval(queue=queue, start=at, offered=f, aht_s=300.0, source="built")
            for at, f in zip(starts, simulated["forecast"], strict=True)
        )
        QueueInterval.objects.bulk_create(
            QueueInterval(queue=queue, start=at, end=at + timedelta(minutes=15), offered=n, computed_at=stamp)
            for at, n in zip(starts, counts, strict=True)
        )
    IntervalWatermark.objects.update_or_create(pk=1, defaults={"aggregated_until": day_bounds(campaign_day)[1]})
    client = APIClient()
    client.force_login(UserFactory(role="wfm"))
    quiet = client.get("/api/v1/wfm/intraday/", {"queue": queue.id, "date": ordinary_day.isoformat()}).json()
    assert quiet["alerts"] == []
    busy = client.get("/api/v1/wfm/intraday/", {"queue": queue.id, "date": campaign_day.isoformat()}).json()
    assert len(busy["alerts"]) == 1
    alert = busy["alerts"][0]
    assert alert["queue"] == check.QUEUE and alert["deviation_pct"] > rules.ALERT_THRESHOLD_PCT
    assert alert["intervals"] >= rules.ALERT_INTERVALS and alert["required_intervals"] == rules.ALERT_INTERVALS
    # It runs up to the day's last interval with a forecast (closing, 20:00) and began around the campaign.
    assert alert["until"].startswith(f"{campaign_day.isoformat()}T20:00")
    assert f"{campaign_day.isoformat()}T09:00" <= alert["since"] <= f"{campaign_day.isoformat()}T13:00"
