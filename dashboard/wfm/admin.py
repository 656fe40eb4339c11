"""Admin of the WFM area: the calendar of known events is edited here; forecast rows can be corrected."""

from django.contrib import admin
from django.db.models import Q

from dashboard.core.admin import TeamScopedAdmin
from dashboard.wfm.models import ForecastEvent, ForecastInterval, IntradaySetting, ScheduleActivity, ScheduleEntry


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


@admin.register(ScheduleActivity)
class ScheduleActivityAdmin(TeamScopedAdmin):
    """The activities a schedule may plan; add a centre's own (e.g. "coaching" counting as away)."""

    list_display = ("code", "name", "counts_as")
    list_filter = ("counts_as",)
    search_fields = ("code", "name")


@admin.register(ScheduleEntry)
class ScheduleEntryAdmin(TeamScopedAdmin):
    list_display = ("agent", "activity", "start", "end")
    list_filter = ("activity", "agent__team")
    list_select_related = ("agent", "activity")
    date_hierarchy = "start"
    search_fields = ("agent__login_id", "agent__name")
    raw_id_fields = ("agent",)

    def team_filter(self, team_ids: set[int]) -> Q | None:
        return Q(agent__team_id__in=team_ids)

    def teams_of(self, obj) -> set[int | None]:
        return {obj.agent.team_id if obj.agent_id else None}
