"""The interval store: one row per queue (and per team) and quarter-hour, derived from contacts and agent
state spans by ``dashboard.intervals.services`` and rebuildable from them at any time. See docs/reports.md
for every column and the attribution rules.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboard.core.models import Queue, Team

INTERVAL_MINUTES = 15  # the base interval; 30 and 60 minutes are roll-ups of it

# The summable contact columns of a queue interval, in the order the aggregation writes them. The first
# sixteen are ``dashboard.metrics.Counts`` fields (same names, same meaning).
QUEUE_INTERVAL_COUNTS = (
    "offered",
    "answered",
    "answered_within_threshold",
    "abandoned",
    "short_abandoned",
    "abandoned_within_threshold",
    "transferred_out",
    "handled",
    "wait_answered_ms",
    "wait_abandoned_ms",
    "talk_ms",
    "hold_ms",
    "acw_ms",
    "callbacks_requested",
    "callbacks_completed",
    "callbacks_kept_on_time",
    "overflowed_out",
    "offered_outside_hours",
    "repeat_contacts",
)
# Columns that are not sums: the maximum of a roll-up is the maximum of its parts.
QUEUE_INTERVAL_MAXIMA = ("max_wait_answered_ms",)
TEAM_INTERVAL_SECONDS = ("staffed_s", "available_s", "on_contact_s", "acw_s", "paused_s")


class QueueInterval(models.Model):
    """One queue's contacts offered in one 15-minute interval ``[start, end)`` (UTC instants on the
    centre's local quarter-hours). A contact's figures belong to the interval in which it was offered to
    the queue, whenever it was answered or ended. Durations are integer milliseconds."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="intervals", verbose_name=_("queue"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    offered = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answered_within_threshold = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)
    short_abandoned = models.PositiveIntegerField(default=0)
    abandoned_within_threshold = models.PositiveIntegerField(default=0)
    transferred_out = models.PositiveIntegerField(default=0)
    overflowed_out = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    callbacks_requested = models.PositiveIntegerField(default=0)
    callbacks_completed = models.PositiveIntegerField(default=0)
    callbacks_kept_on_time = models.PositiveIntegerField(default=0)
    offered_outside_hours = models.PositiveIntegerField(default=0)
    repeat_contacts = models.PositiveIntegerField(default=0)
    wait_answered_ms = models.BigIntegerField(default=0)
    max_wait_answered_ms = models.BigIntegerField(default=0)
    wait_abandoned_ms = models.BigIntegerField(default=0)
    talk_ms = models.BigIntegerField(default=0)
    hold_ms = models.BigIntegerField(default=0)
    acw_ms = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["start", "queue"]
        verbose_name = _("queue interval")
        verbose_name_plural = _("queue intervals")
        constraints = [models.UniqueConstraint(fields=["queue", "start"], name="queue_interval_unique")]
        indexes = [models.Index(fields=["start"], name="queue_interval_start_idx")]

    def __str__(self):
        return f"{self.queue_id} {self.start:%Y-%m-%d %H:%M}"


class TeamInterval(models.Model):
    """The agent time of one team (empty: agents without a team) in one 15-minute interval, in seconds.
    Each state span is split across interval boundaries to the second (to the millisecond, in fact)."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="intervals", verbose_name=_("team")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    staffed_s = models.FloatField(_("staffed (logged in) s"), default=0)
    available_s = models.FloatField(_("available s"), default=0)
    on_contact_s = models.FloatField(_("on contact s"), default=0)
    acw_s = models.FloatField(_("after-call work s"), default=0)
    paused_s = models.FloatField(_("paused s"), default=0)
    paused_by_reason = models.JSONField(_("paused by reason (s)"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["start", "team"]
        verbose_name = _("team interval")
        verbose_name_plural = _("team intervals")
        indexes = [models.Index(fields=["start", "team"], name="team_interval_start_idx")]

    def __str__(self):
        return f"{self.team_id} {self.start:%Y-%m-%d %H:%M}"


class IntervalWatermark(models.Model):
    """How far the aggregation got (a single row): every interval before ``aggregated_until`` was
    aggregated at least once, and every event up to ``event_id`` has had its intervals re-aggregated."""

    aggregated_until = models.DateTimeField(null=True, blank=True)
    event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("interval watermark")
        verbose_name_plural = _("interval watermarks")

    def __str__(self):
        return f"intervals until {self.aggregated_until}, events until {self.event_id}"
