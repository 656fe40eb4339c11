"""Admin of the interval store: read-only (rows are derived from contacts and spans)."""

from django.contrib import admin

from dashboard.core.admin import ReadOnlyAdmin
from dashboard.intervals.models import QueueInterval, TeamInterval


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
