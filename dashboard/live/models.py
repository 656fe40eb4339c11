"""Models of the live screens: wall-screen display tokens and KPI alerts."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboard.core.models import HashedToken
from dashboard.live.scopes import ScopeError, parse_scope


class TileKpi(models.TextChoices):
    """The figures a wallboard tile can show; a wall screen picks some (fewer, bigger figures for a TV).
    An asynchronous queue shows its backlog for "waiting" and its oldest item for "longest wait"; the
    service level, ASA and abandon rate of a line do not apply to it."""

    WAITING = "waiting", _("Waiting (backlog of e-mail and other asynchronous queues)")
    LONGEST_WAIT = "longest_wait", _("Longest wait (oldest item)")
    SERVICE_LEVEL = "service_level", _("Service level today")
    SERVICE_LEVEL_30M = "service_level_30m", _("Service level last 30 min")
    ASA = "asa", _("ASA")
    ABANDON_RATE = "abandon_rate", _("Abandon rate")
    AHT = "aht", _("AHT")
    OFFERED = "offered", _("Offered today")
    ANSWERED = "answered", _("Answered today")
    HANDLED = "handled", _("Handled today")
    BACKLOG = "backlog", _("Backlog in a total of mixed queues")
    AGENTS = "agents", _("Agents by state")
    CALLBACKS = "callbacks", _("Callbacks due")


# A wall screen stays readable with this many queue tiles on one page (tested at 1280×720).
MAX_TILES_PER_PAGE = 12


def public_base_url(request=None) -> str:
    """Where people open KCC Live: the ``KCC_PUBLIC_URL`` setting; unset, the address of ``request``, and
    without one this machine on ``PORT`` (what ``make run`` serves)."""
    if settings.KCC_PUBLIC_URL:
        return settings.KCC_PUBLIC_URL
    if request is not None:
        return request.build_absolute_uri("/")
    return f"http://127.0.0.1:{settings.PORT}"


class Display(HashedToken):
    """A wall screen: a token that opens the wallboard for fixed scopes without a personal login, and
    what it shows: the KPIs of each tile, the queues in their order, and pages that rotate."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    scopes = models.CharField(
        _("scopes"),
        max_length=500,
        default="all",
        help_text=_("Comma-separated: all, team:<id>, queue:<id>, channel:<name>."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    kpis = models.CharField(
        _("KPIs on each tile"),
        max_length=300,
        blank=True,
        default="",
        help_text=_("Comma-separated KPI codes; empty: every KPI. Fewer KPIs give bigger figures."),
    )
    tiles_per_page = models.PositiveSmallIntegerField(
        _("queue tiles per page"),
        default=MAX_TILES_PER_PAGE,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TILES_PER_PAGE)],
        help_text=_("When more queues are shown, the screen turns pages."),
    )
    page_seconds = models.PositiveSmallIntegerField(
        _("seconds per page"),
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(3600)],
        help_text=_("How long each page of queue tiles stays on the screen."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("wall screen")
        verbose_name_plural = _("wall screens")

    def __str__(self):
        return self.name

    def scope_list(self) -> list[str]:
        return [s.strip() for s in self.scopes.split(",") if s.strip()]

    def kpi_list(self) -> list[str]:
        return [k.strip() for k in self.kpis.split(",") if k.strip()]

    def wallboard_url(self, token: str, base_url: str) -> str:
        """The address a wall screen opens once: its first scope in kiosk mode, with the token (which the
        page moves into a cookie). ``base_url`` from :func:`public_base_url`."""
        scopes = self.scope_list()
        query = urlencode({"scope": scopes[0] if scopes else "all", "kiosk": "1", "display": token}, safe=":")
        return f"{base_url.rstrip('/')}/wallboard/?{query}"

    def clean(self):
        for scope in self.scope_list():
            try:
                parse_scope(scope)
            except ScopeError as error:
                raise ValidationError({"scopes": str(error)}) from None
        unknown = [k for k in self.kpi_list() if k not in TileKpi.values]
        if unknown:
            raise ValidationError(
                {
                    "kpis": _("Unknown KPI %(codes)s; choose from %(choices)s.")
                    % {"codes": ", ".join(unknown), "choices": ", ".join(TileKpi.values)}
                }
            )
        if len(set(self.kpi_list())) != len(self.kpi_list()):
            raise ValidationError({"kpis": _("Each KPI may be chosen once.")})

    def allows_queue(self, queue) -> bool:
        """Is ``queue`` on one of this screen's scopes (so its tile can be shown)?"""
        for text in self.scope_list():
            try:
                scope = parse_scope(text)
            except ScopeError:
                continue
            if scope.kind == "all":
                return True
            if scope.kind == "queue" and int(scope.key) == queue.pk:
                return True
            if scope.kind == "team" and queue.team_id is not None and int(scope.key) == queue.team_id:
                return True
            if scope.kind == "channel" and scope.key == queue.channel:
                return True
        return False

    def layout(self) -> dict:
        """What the wallboard page needs to lay this screen out (see static/js/live.js)."""
        return {
            "kpis": self.kpi_list(),
            "queues": [choice.queue_id for choice in self.queue_choices.order_by("position", "id")],
            "tiles_per_page": self.tiles_per_page,
            "page_seconds": self.page_seconds,
        }


class DisplayQueue(models.Model):
    """A queue a wall screen shows, at its position: the screen shows its chosen queues in this order."""

    display = models.ForeignKey(Display, on_delete=models.CASCADE, related_name="queue_choices")
    queue = models.ForeignKey("dashboard.Queue", on_delete=models.CASCADE, related_name="+", verbose_name=_("queue"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["display", "position", "id"]
        verbose_name = _("queue on the screen")
        verbose_name_plural = _("queues on the screen (in this order; none: every queue of the scope)")
        constraints = [models.UniqueConstraint(fields=["display", "queue"], name="display_queue_unique")]

    def __str__(self):
        return f"{self.display} {self.position}: {self.queue}"

    def clean(self):
        display = getattr(self, "display", None)
        queue = getattr(self, "queue", None)
        if display is not None and queue is not None and not display.allows_queue(queue):
            raise ValidationError(
                {
                    "queue": _("Queue %(queue)s is not in this screen's scopes (%(scopes)s).")
                    % {"queue": queue.name, "scopes": display.scopes}
                }
            )


class Alert(models.Model):
    """A KPI crossing its warning or critical threshold, from when it crossed until it recovered."""

    class Level(models.TextChoices):
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    scope = models.CharField(_("scope"), max_length=60, help_text="queue:<id> or team:<id>")
    scope_name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        "dashboard.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("team")
    )
    kpi = models.CharField(_("KPI"), max_length=30)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    value = models.FloatField(_("value"), null=True)
    threshold = models.FloatField(_("threshold"))
    raised_at = models.DateTimeField(_("raised at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["scope", "kpi", "cleared_at"], name="alert_open_idx")]

    def __str__(self):
        return f"{self.scope_name} {self.kpi} {self.level}"
