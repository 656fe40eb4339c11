"""Celery tasks of WFM: adapters that call one service each. The task name stays ``dashboard.tasks.*``:
it is what the broker's messages carry (``dashboard.wfm.services.export.EXPORT_TASK``)."""

from celery import shared_task

from dashboard.wfm.services.export import interval_export_run, interval_exports_resume_stalled


@shared_task(name="dashboard.tasks.wfm_interval_export", acks_late=True, time_limit=1800, soft_time_limit=1740)
def wfm_interval_export(export_id: str) -> str:
    """Write a large interval export started from the WFM page (progress in its IntervalExport row)."""
    return interval_export_run(export_id=export_id).status


@shared_task(name="dashboard.tasks.wfm_interval_exports_resume", acks_late=True, time_limit=60, soft_time_limit=50)
def wfm_interval_exports_resume() -> list[str]:
    """Queue again the exports whose worker died (every minute, by beat)."""
    return interval_exports_resume_stalled()
