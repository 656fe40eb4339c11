"""Alerts: acknowledgement by one supervisor, visible to every supervisor of the team."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dashboard.core.permissions import visible_team_ids
from dashboard.live.broadcast import notify_changed
from dashboard.live.models import Alert


class AlertError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def alert_acknowledge(*, alert_id: int, user) -> Alert:
    """Mark an alert acknowledged by ``user`` (once); the publisher then shows it to the whole team."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise AlertError(404, f"alert {alert_id}: no such alert")
        team_ids = visible_team_ids(user)
        if team_ids is not None and alert.team_id not in team_ids:
            raise AlertError(403, f"alert {alert_id}: belongs to a team you do not supervise")
        if alert.acknowledged_at is not None:
            who = alert.acknowledged_by.get_username() if alert.acknowledged_by else "?"
            raise AlertError(409, f"alert {alert_id}: already acknowledged by {who}")
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        transaction.on_commit(lambda: notify_changed("alerts"))
    return alert
