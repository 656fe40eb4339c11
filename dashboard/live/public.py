"""What other capabilities may use of the live capability: how ingest hands over a batch's changes to the
live state (after commit), the rebuild, the wake-up call to the publisher, and today's quarter-hours so far for the intraday view, the agents' current states for adherence. Everything else in
``dashboard.live`` is private to it (an import-linter contract in pyproject.toml keeps it so)."""

from dashboard.live.broadcast import notify_changed
from dashboard.live.rules import LiveChanges, QueueRule, visit_counts
from dashboard.live.selectors import live_agent_states, live_intraday
from dashboard.live.services import live_apply, live_next_version, live_rebuild, log_lock

__all__ = [
    "LiveChanges",
    "QueueRule",
    "live_agent_states",
    "live_apply",
    "live_intraday",
    "live_next_version",
    "live_rebuild",
    "log_lock",
    "notify_changed",
    "visit_counts",
]
