"""Workforce management: the contact forecast per queue per 15-minute interval and the calendar of known
events that scale it (issue: WFM). See docs/wfm.md."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboard.core import adherence as adherence_rules
from dashboard.core import wfm as intraday_rules
from dashboard.core.models import Agent, Channel, Queue


class ForecastSource(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    BUILT = "built", _("Built from history")


class ForecastInterval(models.Model):
    """The contacts expected to be offered to one queue in one 15-minute interval ``[start, start + 15
    min)`` (a UTC instant on one of the centre's local quarter-hours), and their expected average handle
    time. Offered is a real number: forecasts are expectations, not counts."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="forecast", verbose_name=_("queue"))
    start = models.DateTimeField(_("interval start"))
    offered = models.FloatField(_("offered (forecast)"))
    aht_s = models.FloatField(_("average handle time (s, forecast)"))
    source = models.CharField(_("source"), max_length=10, choices=ForecastSource.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["start", "queue"]
        verbose_name = _("forecast interval")
        verbose_name_plural = _("forecast intervals")
        constraints = [
            models.UniqueConstraint(fields=["queue", "start"], name="forecast_interval_unique"),
            models.CheckConstraint(condition=models.Q(offered__gte=0), name="forecast_offered_not_negative"),
            models.CheckConstraint(condition=models.Q(aht_s__gte=0), name="forecast_aht_not_negative"),
        ]
        indexes = [models.Index(fields=["start"], name="forecast_start_idx")]

    def __str__(self):
        return f"{self.queue_id} {self.start:%Y-%m-%d %H:%M} {self.offered:g}"


class ForecastEvent(models.Model):
    """A known event that changes the expected volume on some days: a marketing campaign, a price
    change letter, a holiday. The forecast builder multiplies the volume of the days it covers by
    ``volume_factor`` and divides it out of the history it learns from, so that last year's campaign does
    not inflate an ordinary week. Empty queue and channel: every queue. Overlapping events multiply."""

    name = models.CharField(_("name"), max_length=200)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"), help_text=_("Inclusive: the event covers this whole day too."))
    queue = models.ForeignKey(
        Queue,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="forecast_events",
        verbose_name=_("queue"),
        help_text=_("Empty: every queue (of the channel, if one is chosen)."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty: every channel."),
    )
    volume_factor = models.FloatField(
        _("volume factor"),
        help_text=_("1.3 = 30% more contacts than usual, 0.5 = half, 0 = none (closed)."),
    )

    class Meta:
        ordering = ["first_day", "name"]
        verbose_name = _("calendar event")
        verbose_name_plural = _("calendar events")
        constraints = [
            models.CheckConstraint(condition=models.Q(last_day__gte=models.F("first_day")), name="forecast_event_days"),
            models.CheckConstraint(condition=models.Q(volume_factor__gte=0), name="forecast_event_factor"),
        ]

    def __str__(self):
        return f"{self.name} {self.first_day}–{self.last_day} ×{self.volume_factor:g}"

    def clean(self):
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("The last day cannot be before the first day.")})
        if self.volume_factor is not None and self.volume_factor < 0:
            raise ValidationError({"volume_factor": _("The volume factor cannot be negative.")})

    def applies_to(self, queue: Queue) -> bool:
        return (self.queue_id is None or self.queue_id == queue.id) and (
            not self.channel or self.channel == queue.channel
        )


class IntervalExport(models.Model):
    """A large interval export run in the background (a Celery task) for the page: its parameters, its
    progress and, when done, the file to download (under var/exports, removed after a day)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interval_exports")
    params = models.JSONField(_("parameters"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written when a run takes the export and after every day it writes: a running export whose
    # heartbeat stopped lost its worker, and is queued again (interval_exports_resume_stalled).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("interval export")
        verbose_name_plural = _("interval exports")

    def __str__(self):
        return f"{self.id} {self.status}"

    @property
    def progress(self) -> float:
        if self.status == self.Status.DONE:
            return 1.0
        return min(1.0, self.rows_done / self.rows_total) if self.rows_total else 0.0


class IntradaySetting(models.Model):
    """How the intraday view treats one queue (a queue without a row gets the defaults): when it raises
    the alert "unannounced campaign?" — volume more than ``alert_threshold_pct`` % above forecast for
    ``alert_intervals`` quarter-hours in a row — and, for a synchronous queue, whether its required agents
    follow Erlang A (callers' mean patience ``patience_s``) instead of Erlang C."""

    queue = models.OneToOneField(
        Queue, on_delete=models.CASCADE, related_name="intraday_setting", verbose_name=_("queue")
    )
    alert_threshold_pct = models.FloatField(
        _("alert above forecast (%)"),
        default=intraday_rules.ALERT_THRESHOLD_PCT,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Alert when volume is more than this many percent above forecast …"),
    )
    alert_intervals = models.PositiveSmallIntegerField(
        _("for intervals in a row"),
        default=intraday_rules.ALERT_INTERVALS,
        validators=[MinValueValidator(1), MaxValueValidator(96)],
        help_text=_("… for this many quarter-hours in a row."),
    )
    patience_s = models.PositiveIntegerField(
        _("callers' mean patience (s)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: required agents by Erlang C. Given: by Erlang A with this mean patience."),
    )

    class Meta:
        ordering = ["queue__name"]
        verbose_name = _("intraday setting")
        verbose_name_plural = _("intraday settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(alert_threshold_pct__gt=0), name="intraday_threshold_positive"),
            models.CheckConstraint(condition=models.Q(alert_intervals__gte=1), name="intraday_intervals_positive"),
        ]

    def __str__(self):
        return f"{self.queue} >{self.alert_threshold_pct:g}% ×{self.alert_intervals}"


class ScheduleActivity(models.Model):
    """What a schedule entry plans an agent to do: a shift, a break, lunch, a meeting, training, a day
    off — and whatever else a centre adds in the admin. ``counts_as`` says which actual states keep it
    (adherence, docs/wfm.md §7): working = available, on contact or after-call work; away = paused or
    logged out; off = not scheduled (counts neither way)."""

    class CountsAs(models.TextChoices):
        WORKING = adherence_rules.WORKING, _("Working (available, on contact or after-call work)")
        AWAY = adherence_rules.AWAY, _("Away (paused or logged out)")
        OFF = adherence_rules.OFF, _("Off (not scheduled)")

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("As it appears in the activity column of a schedule import, e.g. shift, break, lunch."),
    )
    name = models.CharField(_("name"), max_length=100)
    counts_as = models.CharField(_("counts as"), max_length=10, choices=CountsAs.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("schedule activity")
        verbose_name_plural = _("schedule activities")

    def __str__(self):
        return f"{self.code} ({self.name})"

    def save(self, *args, **kwargs):
        self.code = (self.code or "").strip().lower()  # the import matches codes in any case
        super().save(*args, **kwargs)


class ScheduleEntry(models.Model):
    """One planned activity of one agent, ``[start, end)`` in UTC. Entries may overlap: a break lies on
    top of its shift, and the innermost entry holds (``dashboard.core.adherence.resolve_plan``)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="schedule", verbose_name=_("agent"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    activity = models.ForeignKey(
        ScheduleActivity, on_delete=models.PROTECT, related_name="entries", verbose_name=_("activity")
    )

    class Meta:
        ordering = ["agent", "start", "end"]
        verbose_name = _("schedule entry")
        verbose_name_plural = _("schedule entries")
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="schedule_entry_end_after_start")
        ]
        indexes = [
            models.Index(fields=["agent", "start"], name="schedule_agent_start_idx"),
            models.Index(fields=["start"], name="schedule_start_idx"),
        ]

    def __str__(self):
        return f"{self.agent_id} {self.activity_id} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")})


__all__ = [
    "ForecastEvent",
    "ForecastInterval",
    "ForecastSource",
    "IntervalExport",
    "IntradaySetting",
    "ScheduleActivity",
    "ScheduleEntry",
]
