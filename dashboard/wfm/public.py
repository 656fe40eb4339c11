"""What other capabilities may use of the WFM capability: the schedule's adherence and conformance per
team for the reports. Everything else in ``dashboard.wfm`` is private to it (an import-linter contract in
pyproject.toml keeps it so)."""

from dashboard.wfm.adherence import TEAM_ADHERENCE_SECONDS, team_adherence

__all__ = ["TEAM_ADHERENCE_SECONDS", "team_adherence"]
