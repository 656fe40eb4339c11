"""Admin of the domain: teams, queues, agents, KPIs, sources, and the (read-only) event log and what is
derived from it."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dashboard.core import models


@admin.action(description=_("Approve: show on wallboards and reports"))
def approve(modeladmin, request, queryset):
    # One save per object (not queryset.update), so that the audit log records who approved what.
    for obj in queryset.filter(quarantined=True):
        obj.quarantined = False
        obj.save(update_fields=["quarantined"])


class OpeningHoursInline(admin.TabularInline):
    model = models.OpeningHours
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = models.ClosedDay
    extra = 0


@admin.register(models.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "line")
    list_filter = ("line",)
    filter_horizontal = ("supervisors",)
    search_fields = ("name",)


@admin.register(models.Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "channel",
        "team",
        "sl_threshold_s",
        "sl_target_pct",
        "short_abandon_threshold_s",
        "sl_formula",
        "response_target_s",
        "overflow_queue",
        "quarantined",
    )
    list_filter = ("quarantined", "channel", "team")
    search_fields = ("name",)
    inlines = [OpeningHoursInline, ClosedDayInline]
    actions = [approve]


@admin.register(models.ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ("date", "queue", "reason")
    date_hierarchy = "date"


@admin.register(models.Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("name", "login_id", "team", "quarantined")
    list_filter = ("quarantined", "team")
    search_fields = ("name", "login_id")
    filter_horizontal = ("skills",)
    actions = [approve]


@admin.register(models.KPI)
class KPIAdmin(admin.ModelAdmin):
    list_display = ("code", "scope", "queue", "team", "target", "warning", "critical", "higher_is_better")
    list_filter = ("scope", "code")


@admin.register(models.Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "active",
        "new_queues",
        "max_new_queues",
        "new_agents",
        "max_new_agents",
        "contact_namespace",
    )
    readonly_fields = ("created_at",)

    def save_model(self, request, obj, form, change):
        if not change:
            token = obj.issue_token()
            self.message_user(
                request, _("Token for %(name)s (shown once): %(token)s") % {"name": obj.name, "token": token}
            )
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived data and the log are never edited by hand: they follow from the events."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "source", "type", "at", "contact_id", "agent", "received_at")
    list_filter = ("type", "source")
    search_fields = ("event_id", "contact_id", "agent")
    date_hierarchy = "at"


@admin.register(models.Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("contact_id", "seq", "queue", "channel", "offered_at", "answered_at", "abandoned_at", "agent")
    list_filter = ("channel", "queue")
    search_fields = ("contact_id", "customer_ref")
    date_hierarchy = "offered_at"


@admin.register(models.AgentStateSpan)
class AgentStateSpanAdmin(ReadOnlyAdmin):
    list_display = ("agent", "state", "reason", "start", "end")
    list_filter = ("state",)
    date_hierarchy = "start"
