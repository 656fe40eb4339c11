"""Admin of the reports: subscriptions are edited here; reports are read-only."""

from django.contrib import admin

from dashboard.core.admin import ReadOnlyAdmin, TeamScopedAdmin
from dashboard.reports.models import Report, ReportSubscription


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(TeamScopedAdmin):
    list_display = ("user", "kind", "team", "queue", "channel")
    list_filter = ("kind",)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("label", "kind", "built_at", "final", "emailed_at")
    list_filter = ("kind", "final")
    exclude = ("data",)
