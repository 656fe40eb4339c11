"""Admin of the live screens: wall screens and alerts."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dashboard.core.admin import ReadOnlyAdmin, TeamScopedAdmin
from dashboard.live import models


@admin.register(models.Display)
class DisplayAdmin(TeamScopedAdmin):
    list_display = ("name", "scopes", "active", "last_seen_at")
    readonly_fields = ("created_at", "last_seen_at")

    def save_model(self, request, obj, form, change):
        if not change:
            token = obj.issue_token()
            self.message_user(
                request,
                _("Open %(url)s on the screen (shown once).")
                % {"url": obj.wallboard_url(token, models.public_base_url(request))},
            )
        super().save_model(request, obj, form, change)


@admin.register(models.Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("raised_at", "scope_name", "kpi", "level", "value", "threshold", "cleared_at", "acknowledged_by")
    list_filter = ("level", "kpi", "team")
    date_hierarchy = "raised_at"
