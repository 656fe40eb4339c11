"""Admin of the live screens: wall screens (with what each shows) and alerts."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dashboard.core.admin import ReadOnlyAdmin, TeamScopedAdmin
from dashboard.live import models


class DisplayForm(forms.ModelForm):
    """The KPIs as check boxes; the model keeps them as comma-separated codes (in the order of TileKpi)."""

    kpis = forms.MultipleChoiceField(
        label=_("KPIs on each tile"),
        choices=models.TileKpi.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every KPI. Fewer KPIs give bigger figures (a TV across the room: two or three)."),
    )

    class Meta:
        model = models.Display
        fields = ("name", "scopes", "active", "kpis", "tiles_per_page", "page_seconds")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["kpis"] = self.instance.kpi_list()

    def clean_kpis(self):
        chosen = set(self.cleaned_data["kpis"])
        return ",".join(code for code in models.TileKpi.values if code in chosen)


class DisplayQueueInline(admin.TabularInline):
    model = models.DisplayQueue
    extra = 1
    fields = ("position", "queue")
    ordering = ("position", "id")


@admin.register(models.Display)
class DisplayAdmin(TeamScopedAdmin):
    form = DisplayForm
    inlines = [DisplayQueueInline]
    list_display = ("name", "scopes", "active", "kpis", "tiles_per_page", "page_seconds", "last_seen_at")
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
