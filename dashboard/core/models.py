"""The contact centre's domain.

Configuration (teams, queues, agents, KPI thresholds, opening hours) is edited by supervisors and managers
in the admin. The event log is append-only and the source of truth; contacts and agent state spans are
derived from it and can be rebuilt with ``manage.py rebuild_state``.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboard.core import metrics


class Line(models.TextChoices):
    FIRST = "first", _("1st line")
    SECOND = "second", _("2nd line")
    THIRD = "third", _("3rd line")
    BACK_OFFICE = "back_office", _("Back office")


class Channel(models.TextChoices):
    VOICE = "voice", _("Voice")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SOCIAL = "social", _("Social media")
    SMS = "sms", _("SMS")
    VIDEO = "video", _("Video")
    CALLBACK = "callback", _("Callback")
    LETTER = "letter", _("Letter")
    COUNTER = "counter", _("Counter / face-to-face")
    TASK = "task", _("Task")  # back-office work items routed like contacts (Amazon Connect tasks)


# Channels where the customer waits on the line: a seconds-level service level applies. The others are
# asynchronous and are measured by backlog and response time against the queue's response-time target.
SYNCHRONOUS_CHANNELS = frozenset({Channel.VOICE, Channel.CHAT, Channel.VIDEO, Channel.COUNTER})


class NewNames(models.TextChoices):
    """What a source's event that names a queue or agent nobody configured does (see ``Source``)."""

    CREATE = "create", _("Create it")
    QUARANTINE = "quarantine", _("Create it in quarantine (hidden until an admin approves it)")
    REJECT = "reject", _("Reject the event")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    line = models.CharField(_("line"), max_length=20, choices=Line.choices, default=Line.FIRST)
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="supervised_teams",
        verbose_name=_("supervisors"),
        help_text=_("Users of the supervisor group who see this team's queues and agents."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class Queue(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.VOICE)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="queues", verbose_name=_("team")
    )
    sl_threshold_s = models.PositiveIntegerField(
        _("service-level threshold (s)"), default=20, help_text=_("Answered within this many seconds counts.")
    )
    sl_target_pct = models.DecimalField(_("service-level target (%)"), max_digits=5, decimal_places=2, default=80)
    short_abandon_threshold_s = models.PositiveIntegerField(
        _("short-abandon threshold (s)"),
        default=5,
        help_text=_("Contacts abandoned after a wait shorter than this are short abandons."),
    )
    sl_formula = models.CharField(
        _("service-level formula"),
        max_length=40,
        choices=[(key, label) for key, label in metrics.SL_FORMULA_LABELS.items()],
        default=metrics.SL_DEFAULT,
    )
    response_target_s = models.PositiveIntegerField(
        _("response-time target (s)"),
        null=True,
        blank=True,
        help_text=_("For asynchronous channels (e-mail, WhatsApp, social): respond within this many seconds."),
    )
    overflow_queue = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="overflow_sources",
        verbose_name=_("overflow target queue"),
    )
    overflow_after_s = models.PositiveIntegerField(
        _("overflow after (s)"), null=True, blank=True, help_text=_("Wait after which the ACD overflows.")
    )
    quarantined = models.BooleanField(
        _("quarantined"),
        default=False,
        help_text=_("Created from a source's events and not approved yet: not shown on wallboards and reports."),
    )
    created_by_source = models.ForeignKey(
        "Source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_queues",
        verbose_name=_("created by source"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self):
        return self.name

    @property
    def is_synchronous(self) -> bool:
        return self.channel in SYNCHRONOUS_CHANNELS

    @property
    def answer_threshold_s(self) -> float:
        """The wait within which a contact counts as answered within threshold (``metrics``)."""
        return metrics.answer_threshold_s(
            synchronous=self.is_synchronous,
            sl_threshold_s=self.sl_threshold_s,
            response_target_s=self.response_target_s,
        )


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["queue", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=models.Q(closes__gt=models.F("opens")), name="opening_closes_after_opens")
        ]

    def __str__(self):
        return f"{self.queue} {self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class ClosedDay(models.Model):
    queue = models.ForeignKey(
        Queue,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="closed_days",
        help_text=_("Leave empty to close every queue."),
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        constraints = [models.UniqueConstraint(fields=["queue", "date"], name="closed_day_unique")]

    def __str__(self):
        return f"{self.date} {self.queue or _('all queues')} {self.reason}"


class Agent(models.Model):
    name = models.CharField(_("name"), max_length=200)
    login_id = models.CharField(_("login id"), max_length=100, unique=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents", verbose_name=_("team")
    )
    skills = models.ManyToManyField(Queue, blank=True, related_name="agents", verbose_name=_("skills (queues)"))
    quarantined = models.BooleanField(
        _("quarantined"),
        default=False,
        help_text=_("Created from a source's events and not approved yet: not shown on wallboards and reports."),
    )
    created_by_source = models.ForeignKey(
        "Source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_agents",
        verbose_name=_("created by source"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self):
        return f"{self.name} ({self.login_id})"


class KPI(models.Model):
    class Code(models.TextChoices):
        SERVICE_LEVEL = "service_level", _("Service level (%)")
        ASA = "asa", _("Average speed of answer (s)")
        AHT = "aht", _("Average handle time (s)")
        ABANDON_RATE = "abandon_rate", _("Abandon rate (%)")
        WAITING = "waiting", _("Contacts waiting")
        LONGEST_WAIT = "longest_wait", _("Longest wait (s)")
        OCCUPANCY = "occupancy", _("Occupancy (%)")
        AGENTS_AVAILABLE = "agents_available", _("Agents available")
        CALLBACKS_OVERDUE = "callbacks_overdue", _("Callbacks overdue")

    class Scope(models.TextChoices):
        QUEUE = "queue", _("Queue")
        TEAM = "team", _("Team")

    code = models.CharField(_("KPI"), max_length=30, choices=Code.choices)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.QUEUE)
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.CASCADE, help_text=_("Empty: every queue.")
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, help_text=_("Empty: every team."))
    target = models.FloatField(_("target"))
    warning = models.FloatField(_("warning threshold"))
    critical = models.FloatField(_("critical threshold"))
    higher_is_better = models.BooleanField(_("higher is better"), default=True)

    class Meta:
        ordering = ["scope", "code"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")

    def __str__(self):
        target = self.queue or self.team or _("all")
        return f"{self.get_code_display()} — {self.get_scope_display()} {target}"

    def clean(self):
        if self.scope == self.Scope.QUEUE and self.team_id:
            raise ValidationError({"team": _("A queue KPI applies to a queue, not a team.")})
        if self.scope == self.Scope.TEAM and self.queue_id:
            raise ValidationError({"queue": _("A team KPI applies to a team, not a queue.")})
        ordered = (self.target, self.warning, self.critical)
        if self.higher_is_better and not (ordered[0] >= ordered[1] >= ordered[2]):
            raise ValidationError(_("Higher is better: target ≥ warning ≥ critical."))
        if not self.higher_is_better and not (ordered[0] <= ordered[1] <= ordered[2]):
            raise ValidationError(_("Lower is better: target ≤ warning ≤ critical."))

    def status(self, value: float | None) -> str:
        """'normal', 'warning' or 'critical' for a value (None when there is no value)."""
        return metrics.threshold_status(
            value, warning=self.warning, critical=self.critical, higher_is_better=self.higher_is_better
        )


class HashedToken(models.Model):
    """A secret that opens something (an event source, a wall screen): only its SHA-256 is stored, so
    the token itself is shown once, when it is issued."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        abstract = True

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def issue_token(self) -> str:
        """Give this a new token (the old one stops working); returns it, for showing once."""
        token = secrets.token_urlsafe(32)
        self.token_hash = self.hash_token(token)
        return token


MAX_HISTORY_DAYS = 36525  # a century: beyond it, dates are typing errors, not history


class SourceKind(models.TextChoices):
    GENERIC = "generic", _("Events API (generic)")
    QUEUE_LOG = "queue_log", _("Asterisk queue_log")
    CONNECT = "connect", _("Amazon Connect")
    TWILIO = "twilio", _("Twilio Flex / TaskRouter")


class Source(HashedToken):
    """An outside system that posts events (an ACD, a CTI link, an importer, the simulator)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(_("active"), default=True)
    new_queues = models.CharField(
        _("new queues"),
        max_length=10,
        choices=NewNames.choices,
        default=NewNames.QUARANTINE,
        help_text=_("What an event naming a queue that is not configured does."),
    )
    max_new_queues = models.PositiveIntegerField(
        _("at most this many new queues"),
        default=50,
        help_text=_("Queues this source may create (approved or not); beyond, such events are rejected."),
    )
    new_agents = models.CharField(
        _("new agents"),
        max_length=10,
        choices=NewNames.choices,
        default=NewNames.CREATE,
        help_text=_("What an event naming an agent that is not configured does."),
    )
    max_new_agents = models.PositiveIntegerField(
        _("at most this many new agents"),
        default=1000,
        help_text=_("Agents this source may create (approved or not); beyond, such events are rejected."),
    )
    contact_namespace = models.CharField(
        _("contact namespace"),
        max_length=100,
        blank=True,
        validators=[RegexValidator(r"^[^:]*$", _("A namespace cannot hold a colon."))],
        help_text=_(
            "Contact ids are this source's own unless another source has the same namespace (linked sources: "
            "for example an ACD and a CTI link that report the same calls). Empty: the source's name."
        ),
    )
    history_days = models.PositiveIntegerField(
        _("history days"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_HISTORY_DAYS)],
        help_text=_(
            "Accept events of this source up to this many days back (an import of history). Empty: the "
            "installation's limit (KCC_EVENT_MAX_AGE_DAYS, 400 days by default)."
        ),
    )

    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=SourceKind.choices,
        default=SourceKind.GENERIC,
        help_text=_("What delivers this source's events: our events API, or an ACD adapter."),
    )
    auth_token = models.CharField(
        _("ACD auth token"),
        max_length=200,
        blank=True,
        help_text=_(
            "Twilio: the account's auth token, with which the adapter checks X-Twilio-Signature. "
            "Empty: every Twilio callback to this source is refused."
        ),
    )
    state_names = models.JSONField(
        _("state names"),
        default=dict,
        blank=True,
        help_text=_(
            "How the ACD's own activity or status names map to agent states, e.g. "
            '{"Break": "paused", "Offline": "logged_out"}. A name not listed is a pause with that name as '
            "its reason (Twilio activities, Amazon Connect agent statuses)."
        ),
    )
    follow_position = models.JSONField(
        _("follow position"),
        default=dict,
        blank=True,
        help_text=_("Where a followed file (queue_log --follow) was read up to; kept across restarts."),
    )
    last_delivered_at = models.DateTimeField(_("last delivered"), null=True, blank=True)
    delivered_count = models.PositiveBigIntegerField(_("events delivered"), default=0)
    rejected_count = models.PositiveBigIntegerField(_("events rejected"), default=0)
    skipped_count = models.PositiveBigIntegerField(
        _("records skipped"), default=0, help_text=_("Lines or records an adapter did not map (counted, not stored).")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("event source")
        verbose_name_plural = _("event sources")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.contact_namespace:
            self.contact_namespace = default_namespace(self.name)
        super().save(*args, **kwargs)

    def contact_key(self, contact_id: str) -> str:
        """How a contact id this source sent is stored: ``<namespace>:<id>``."""
        return contact_key(self.contact_namespace or default_namespace(self.name), contact_id)


def default_namespace(name: str) -> str:
    """A source's own contact namespace: its name (a colon, which separates the key, becomes ``_``)."""
    return name.replace(":", "_")


def contact_key(namespace: str, contact_id: str) -> str:
    """The stored id of a contact: its source's namespace and the id the source sent."""
    return f"{namespace}:{contact_id}"


class Event(models.Model):
    """One event as received: append-only, unique per (source, event id)."""

    # No index of its own: the unique (source, event_id) index serves lookups by source, and every index
    # costs each of the millions of rows an import appends.
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="events", db_index=False)
    event_id = models.CharField(max_length=200)
    type = models.CharField(max_length=40)
    at = models.DateTimeField()
    contact_id = models.CharField(max_length=200, null=True, blank=True)
    agent = models.CharField(max_length=100, null=True, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="event_unique_per_source")]
        indexes = [
            models.Index(fields=["contact_id"], name="event_contact_idx"),
            models.Index(fields=["agent", "at"], name="event_agent_at_idx"),
        ]

    def __str__(self):
        return f"{self.source_id}:{self.event_id} {self.type} {self.at:%Y-%m-%d %H:%M:%S}"


class Contact(models.Model):
    """A contact's visit to one queue (derived from the event log).

    A contact transferred to another queue has one row per queue it visited, with the same
    ``contact_id`` and an increasing ``seq``: each queue counts the contact as offered to it, and the
    queue it left counts a transfer out. Times are UTC; durations are seconds.
    """

    # <namespace>:<id the source sent>: sources do not share contacts unless they share a namespace.
    contact_id = models.CharField(max_length=301)
    seq = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # No index of its own: contact_queue_offered_idx (queue, offered_at) serves lookups by queue.
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="contacts", db_index=False)
    customer_ref = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    offered_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    wrapup_ended_at = models.DateTimeField(null=True, blank=True)
    transferred_at = models.DateTimeField(null=True, blank=True)
    transferred_to_queue = models.CharField(max_length=100, blank=True)
    transferred_to_agent = models.CharField(max_length=100, blank=True)
    transfers = models.PositiveSmallIntegerField(default=0)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    talk_s = models.FloatField(null=True, blank=True)
    hold_s = models.FloatField(null=True, blank=True)
    acw_s = models.FloatField(null=True, blank=True)
    disposition = models.CharField(max_length=200, blank=True)
    callback_requested_at = models.DateTimeField(null=True, blank=True)
    callback_promised_by = models.DateTimeField(null=True, blank=True)
    callback_completed_at = models.DateTimeField(null=True, blank=True)
    events = models.PositiveIntegerField(default=0, help_text="events folded into this contact")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact_id", "seq"], name="contact_unique_visit")]
        indexes = [
            models.Index(fields=["offered_at"], name="contact_offered_idx"),
            models.Index(fields=["queue", "offered_at"], name="contact_queue_offered_idx"),
        ]

    def __str__(self):
        return f"{self.contact_id}#{self.seq} {self.queue_id}"

    @property
    def waiting(self) -> bool:
        """Still in the queue: offered, and not answered, abandoned, transferred away or ended."""
        return not (self.answered_at or self.abandoned_at or self.transferred_at or self.ended_at)

    @property
    def callback_kept(self) -> bool | None:
        if not self.callback_promised_by:
            return None
        return bool(self.callback_completed_at and self.callback_completed_at <= self.callback_promised_by)


class AgentState(models.TextChoices):
    LOGGED_OUT = "logged_out", _("Logged out")
    AVAILABLE = "available", _("Available")
    ON_CONTACT = "on_contact", _("On contact")
    ACW = "acw", _("After-call work")
    PAUSED = "paused", _("Paused")


class AgentStateSpan(models.Model):
    """An agent's state from ``start`` to ``end`` ([start, end); end is empty while it lasts)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="spans")
    state = models.CharField(max_length=20, choices=AgentState.choices)
    reason = models.CharField(max_length=100, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["agent", "start"], name="span_agent_start_idx")]
        ordering = ["agent", "start"]

    def __str__(self):
        return f"{self.agent_id} {self.state} {self.start:%H:%M:%S}"
