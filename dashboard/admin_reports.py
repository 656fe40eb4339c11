"""Admin of the report area: subscriptions are edited here; interval rows and reports are read-only."""

from django.contrib import admin

from dashboard.admin import ReadOnlyAdmin
from dashboard.models_reports import QueueInterval, Report, ReportSubscription, TeamInterval


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "team", "queue", "channel")
    list_filter = ("kind",)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("label", "kind", "built_at", "final", "emailed_at")
    list_filter = ("kind", "final")
    exclude = ("data",)


@admin.register(QueueInterval)
class QueueIntervalAdmin(ReadOnlyAdmin):
    list_display = ("queue", "start", "offered", "answered", "answered_within_threshold", "abandoned", "computed_at")
    list_filter = ("queue",)
    date_hierarchy = "start"


@admin.register(TeamInterval)
class TeamIntervalAdmin(ReadOnlyAdmin):
    list_display = ("team", "start", "staffed_s", "available_s", "on_contact_s", "acw_s", "paused_s")
    list_filter = ("team",)
    date_hierarchy = "start"
