"""Models of the live screens: wall-screen display tokens and KPI alerts."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboard.core.models import HashedToken
from dashboard.live.scopes import ScopeError, parse_scope


def public_base_url(request=None) -> str:
    """Where people open KCC Live: the ``KCC_PUBLIC_URL`` setting; unset, the address of ``request``, and
    without one this machine on ``PORT`` (what ``make run`` serves)."""
    if settings.KCC_PUBLIC_URL:
        return settings.KCC_PUBLIC_URL
    if request is not None:
        return request.build_absolute_uri("/")
    return f"http://127.0.0.1:{settings.PORT}"


class Display(HashedToken):
    """A wall screen: a token that opens the wallboard for fixed scopes without a personal login."""

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

    class Meta:
        ordering = ["name"]
        verbose_name = _("wall screen")
        verbose_name_plural = _("wall screens")

    def __str__(self):
        return self.name

    def scope_list(self) -> list[str]:
        return [s.strip() for s in self.scopes.split(",") if s.strip()]

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
