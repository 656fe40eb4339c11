"""Celery tasks of the reports: adapters that call one service each (see ``dashboard.intervals.tasks``
for why a rerun is safe). Task names stay ``dashboard.tasks.*``."""

from celery import chain, current_app, shared_task
from celery.signals import worker_ready

from dashboard.reports.services import reports_build_due


@shared_task(
    name="dashboard.tasks.reports_daily_build",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=900,
    soft_time_limit=840,
)
def reports_daily_build() -> list[str]:
    """Build every missing or stale daily report of the last 8 days (yesterday's just after midnight)."""
    return reports_build_due(kind="daily")


@shared_task(
    name="dashboard.tasks.reports_weekly_build",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=900,
    soft_time_limit=840,
)
def reports_weekly_build() -> list[str]:
    """Build every missing or stale weekly report of the last 2 weeks (last week's on Monday morning)."""
    return reports_build_due(kind="weekly")


@worker_ready.connect
def _reports_catch_up(sender, **kwargs) -> None:
    """When a worker starts: aggregate, then build any missing recent report, rather than waiting for
    the first beat runs (a fresh installation has yesterday's report within a minute or two). Idempotent,
    so several workers starting at once do no harm."""
    # The aggregation task by its name: it belongs to the interval store, which reports use only through
    # its public module.
    aggregate = current_app.signature("dashboard.tasks.intervals_aggregate", immutable=True)
    chain(aggregate, reports_daily_build.si(), reports_weekly_build.si()).apply_async(countdown=20)
