"""``manage.py simulate`` as `make run` starts it: after a backfill the real-time phase runs at the wall
clock, and it prints no progress line every few seconds for ever (issue 9, points 2 and 6)."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard.management.commands import simulate
from dashboard.simulator.engine import Simulator

BACKFILL_TAKES_S = 3.0  # a backfill of eight days takes ~50 s; any length shows the lag


@pytest.mark.django_db
def test_after_a_backfill_the_live_phase_runs_at_the_wall_clock_and_says_little(monkeypatch):
    calls: list[tuple[str, float, float]] = []  # (phase, wall clock, simulated clock asked for)
    phase = ["backfill"]
    run_until = Simulator.run_until

    def recording_run_until(self, until):
        calls.append((phase[0], time.time(), until.timestamp()))
        return run_until(self, until)

    backfill = simulate.Command._backfill

    def slow_backfill(self, start, until):
        reached = backfill(self, start, until)
        time.sleep(BACKFILL_TAKES_S)
        phase[0] = "live"
        return reached

    monkeypatch.setattr(Simulator, "run_until", recording_run_until)
    monkeypatch.setattr(simulate.Command, "_backfill", slow_backfill)
    start = timezone.localtime() - timedelta(minutes=20)
    out = io.StringIO()
    call_command(
        "simulate",
        "--backfill-days=0",
        f"--start={start.replace(tzinfo=None).isoformat(timespec='seconds')}",
        "--duration=3.5",
        stdout=out,
        stderr=io.StringIO(),
    )

    live = [(wall, simulated) for kind, wall, simulated in calls if kind == "live"]
    assert len(live) >= 5  # a round every half second
    for wall, simulated in live:
        assert abs(simulated - wall) < 1.0, f"the simulated clock is {wall - simulated:.1f} s behind"

    text = out.getvalue()
    assert "Running live" in text
    after_live = text.split("Running live", 1)[1].splitlines()[1:]
    assert [line for line in after_live if " accepted, " in line and not line.startswith("Stopped")] == []


@pytest.mark.django_db
def test_a_fixed_start_without_a_backfill_runs_from_that_start():
    """A reproducible run (--start, no backfill) keeps its own clock: it is not pulled to the wall clock."""
    out = io.StringIO()
    call_command(
        "simulate", "--start=2025-03-04T10:00:00", "--duration=0.6", "--seed=3", stdout=out, stderr=io.StringIO()
    )
    assert "Stopped at simulated time 2025-03-04T10:00:0" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_backfill_of_a_week_gives_the_demo_a_forecast_for_the_coming_week():
    """The intraday page and required-against-staffed compare the day with its forecast: `make run`'s
    backfill of eight days builds one for today and the next six days from the same weekdays, and a
    forecast that exists already (imported, say) is left alone."""
    from dashboard.core.periods import day_bounds
    from dashboard.wfm.models import ForecastInterval
    from tests.factories import AgentFactory, QueueFactory, TeamFactory

    team = TeamFactory(name="Klein")  # a small centre of its own: a week of the demo's takes minutes
    queue = QueueFactory(name="Algemeen", team=team)
    for login in ("ann", "bob"):
        AgentFactory(login_id=login, team=team, skills=[queue])
    out = io.StringIO()
    call_command("simulate", "--backfill-days=7", "--no-live", stdout=out, stderr=io.StringIO())
    today = timezone.localdate()
    lo, hi = day_bounds(today)[0], day_bounds(today + timedelta(days=6))[1]
    rows = ForecastInterval.objects.filter(start__gte=lo, start__lt=hi)
    assert "Forecast built for" in out.getvalue()
    assert rows.filter(offered__gt=0).exists() and set(rows.values_list("source", flat=True)) == {"built"}
    queues_today = rows.filter(start__lt=day_bounds(today)[1]).values("queue").distinct().count()
    assert queues_today >= 1
    before = list(rows.order_by("pk").values_list("pk", "offered"))
    ForecastInterval.objects.filter(start__gte=day_bounds(today)[0], start__lt=day_bounds(today)[1]).update(
        source="imported"
    )
    simulate.Command()._forecast(timezone.localtime(), weeks=1)  # a second start: today has one
    assert list(rows.order_by("pk").values_list("pk", "offered")) == before
