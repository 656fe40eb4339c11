"""Celery tasks of the live state: adapters that call one service each. Idempotent, acks_late, time-limited.

Task names stay ``dashboard.tasks.*``: they are what the broker's messages and the beat schedule carry.
"""

from celery import shared_task

from dashboard.live.services import live_ensure_loaded


@shared_task(name="dashboard.tasks.live_state_ensure", acks_late=True, time_limit=300, soft_time_limit=270)
def live_state_ensure() -> None:
    """Rebuild the live state from the database if Redis lost it (restart, flush, missed update)."""
    live_ensure_loaded()
