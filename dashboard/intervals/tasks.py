"""Celery tasks of the interval store: adapters that call one service each.

Each writes in transactions that commit with the rows they cover: a worker killed half-way leaves the
previous state, the message is delivered again (acks_late, reject_on_worker_lost) and the rerun finishes
the job; running one twice stores the same rows. Task names stay ``dashboard.tasks.*``: they are what the
broker's messages and the beat schedule carry.
"""

from datetime import datetime

from celery import shared_task

from dashboard.intervals.services import intervals_aggregate as aggregate
from dashboard.intervals.services import intervals_update


@shared_task(
    name="dashboard.tasks.intervals_aggregate",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=600,
    soft_time_limit=540,
)
def intervals_aggregate() -> dict:
    """Every minute: aggregate the intervals that closed, and again those late or imported events touched
    (skipped while another run is at it: the next minute's finds what that one did)."""
    return intervals_update(wait=False)


@shared_task(
    name="dashboard.tasks.intervals_reaggregate",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=1800,
    soft_time_limit=1740,
)
def intervals_reaggregate(start: str, end: str) -> dict:
    """Aggregate again every interval in [start, end) (ISO-8601 instants), e.g. after an import."""
    return aggregate(start=datetime.fromisoformat(start), end=datetime.fromisoformat(end))
