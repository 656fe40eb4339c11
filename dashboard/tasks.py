"""Celery tasks: adapters that call one service each. Idempotent, acks_late, time-limited."""

from celery import shared_task

from dashboard.services.live import live_ensure_loaded


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def live_state_ensure() -> None:
    """Rebuild the live state from the database if Redis lost it (restart, flush, missed update)."""
    live_ensure_loaded()
