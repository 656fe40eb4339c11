"""Admin of the WFM area: the calendar of known events is edited here; forecast rows can be corrected."""

from django.contrib import admin

from dashboard.core.admin import TeamScopedAdmin
from dashboard.wfm.models import ForecastEvent, ForecastInterval, IntradaySetting


@admin.register(ForecastEvent)
class ForecastEventAdmin(TeamScopedAdmin):
    list_display = ("name", "first_day", "last_day", "queue", "channel", "volume_factor")
    list_filter = ("channel", "queue")
    date_hierarchy = "first_day"
    search_fields = ("name",)


@admin.register(ForecastInterval)
class ForecastIntervalAdmin(TeamScopedAdmin):
    list_display = ("queue", "start", "offered", "aht_s", "source", "updated_at")
    list_filter = ("source", "queue")
    date_hierarchy = "start"


@admin.register(IntradaySetting)
class IntradaySettingAdmin(TeamScopedAdmin):
    list_display = ("queue", "alert_threshold_pct", "alert_intervals", "patience_s")
    list_select_related = ("queue",)
