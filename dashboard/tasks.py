"""Celery tasks: adapters that call one service each. Idempotent, acks_late, time-limited."""

from celery import chain, shared_task
from celery.signals import worker_ready

from dashboard.services.live import live_ensure_loaded


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def live_state_ensure() -> None:
    """Rebuild the live state from the database if Redis lost it (restart, flush, missed update)."""
    live_ensure_loaded()


@shared_task(acks_late=True, time_limit=1800, soft_time_limit=1740)
def wfm_interval_export(export_id: str) -> str:
    """Write a large interval export started from the WFM page (progress in its IntervalExport row)."""
    from dashboard.services.wfm_export import interval_export_run

    return interval_export_run(export_id=export_id).status


# --- intervals and reports ------------------------------------------------------------------------
# Each writes in transactions that commit with the rows they cover: a worker killed half-way leaves the
# previous state, the message is delivered again (acks_late, reject_on_worker_lost) and the rerun
# finishes the job; running one twice stores the same rows.


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540)
def intervals_aggregate() -> dict:
    """Every minute: aggregate the intervals that closed, and again those late or imported events touched."""
    from dashboard.services.intervals import intervals_update

    return intervals_update()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=1800, soft_time_limit=1740)
def intervals_reaggregate(start: str, end: str) -> dict:
    """Aggregate again every interval in [start, end) (ISO-8601 instants), e.g. after an import."""
    from datetime import datetime

    from dashboard.services.intervals import intervals_aggregate as aggregate

    return aggregate(start=datetime.fromisoformat(start), end=datetime.fromisoformat(end))


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=900, soft_time_limit=840)
def reports_daily_build() -> list[str]:
    """Build every missing or stale daily report of the last 8 days (yesterday's just after midnight)."""
    from dashboard.services.reports import reports_build_due

    return reports_build_due(kind="daily")


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=900, soft_time_limit=840)
def reports_weekly_build() -> list[str]:
    """Build every missing or stale weekly report of the last 2 weeks (last week's on Monday morning)."""
    from dashboard.services.reports import reports_build_due

    return reports_build_due(kind="weekly")


@worker_ready.connect
def _reports_catch_up(sender, **kwargs) -> None:
    """When a worker starts: aggregate, then build any missing recent report, rather than waiting for
    the first beat runs (a fresh installation has yesterday's report within a minute or two). Idempotent,
    so several workers starting at once do no harm."""
    chain(intervals_aggregate.si(), reports_daily_build.si(), reports_weekly_build.si()).apply_async(countdown=20)
