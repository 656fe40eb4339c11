"""What other capabilities may use of the live capability: how ingest hands over a batch's changes to the
live state (after commit), the rebuild, and the wake-up call to the publisher. Everything else in
``dashboard.live`` is private to it (an import-linter contract in pyproject.toml keeps it so)."""

from dashboard.live.broadcast import notify_changed
from dashboard.live.rules import LiveChanges, QueueRule, visit_counts
from dashboard.live.services import live_apply, live_next_version, live_rebuild, log_lock

__all__ = [
    "LiveChanges",
    "QueueRule",
    "live_apply",
    "live_next_version",
    "live_rebuild",
    "log_lock",
    "notify_changed",
    "visit_counts",
]
