"""The stored reports: documents built from the interval rows (``dashboard.reports.services``), and who
receives them by e-mail.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboard.core.models import Channel, Queue, Team


class ReportKind(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Report(models.Model):
    """A built daily or weekly report: the figures of every queue and team for the period, as a document
    (``data``), so that what was sent is what can be read again. ``final`` is set once the 7 days after
    the period have passed (first-contact resolution looks 7 days ahead)."""

    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("day after the last day"))
    label = models.CharField(_("period"), max_length=20)
    data = models.JSONField()
    built_at = models.DateTimeField(_("built at"))
    final = models.BooleanField(_("final"), default=False)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "kind"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [models.UniqueConstraint(fields=["kind", "period_start"], name="report_unique_period")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.label}"


class ReportSubscription(models.Model):
    """A manager who gets a report by e-mail when it is built, optionally for one team, queue or channel."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("team"))
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("queue"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)

    class Meta:
        ordering = ["user", "kind"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self):
        scope = self.queue or self.team or self.get_channel_display() or _("all queues")
        return f"{self.user} — {self.get_kind_display()} ({scope})"
