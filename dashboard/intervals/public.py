"""What other capabilities may use of the interval store: its rows (models and the columns they sum),
the reads that roll them up (reports, WFM), and the re-aggregation after an import. Everything else in
``dashboard.intervals`` is private to it (an import-linter contract in pyproject.toml keeps it so)."""

from dashboard.intervals.models import (
    QUEUE_INTERVAL_COUNTS,
    QUEUE_INTERVAL_MAXIMA,
    TEAM_INTERVAL_SECONDS,
    IntervalWatermark,
    QueueInterval,
    TeamInterval,
)
from dashboard.intervals.selectors import interval_rows, kpis_of, queues_filtered, team_interval_rows
from dashboard.intervals.services import intervals_after_import

__all__ = [
    "QUEUE_INTERVAL_COUNTS",
    "QUEUE_INTERVAL_MAXIMA",
    "TEAM_INTERVAL_SECONDS",
    "IntervalWatermark",
    "QueueInterval",
    "TeamInterval",
    "interval_rows",
    "intervals_after_import",
    "kpis_of",
    "queues_filtered",
    "team_interval_rows",
]
