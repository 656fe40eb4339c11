"""Admin of the domain: teams, queues, agents, KPIs, sources, and the (read-only) event log and what is
derived from it.

Supervisors use the admin too, scoped to their own teams. The product gives them no other page to
change anything, and their work needs two changes: move an agent between the teams they supervise
(supervisor2 has the 2nd line and the back office) and set an agent's skills on their teams' queues.
So rather than shutting them out, every model admin here is a ``TeamScopedAdmin``: for someone who sees
only some teams (``visible_team_ids`` is a set) it shows the rows of those teams only, offers those
teams, queues and agents only as choices, refuses an object outside them (the admin answers as for a
row that does not exist), and refuses a save that would put a row outside them. A model with no
``team_filter`` (sources, the event log, contacts, intervals, reports, wall screens) is not shown to
them at all, whatever permissions a group gives. Managers, WFM staff and admins see everything."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dashboard.core import models
from dashboard.core.permissions import visible_team_ids


def _request_team_ids(request) -> set[int] | None:
    """``visible_team_ids`` once per request (the admin asks many times per page)."""
    if not hasattr(request, "_kcc_team_ids"):
        request._kcc_team_ids = visible_team_ids(request.user)
    return request._kcc_team_ids


def _choices_in_teams(related_model, team_ids: set[int]):
    """The rows of ``related_model`` someone who sees ``team_ids`` may pick in a form, or None when the
    model has no team (then the field is left as it is)."""
    if related_model is models.Team:
        return models.Team.objects.filter(id__in=team_ids)
    if related_model is models.Queue:
        return models.Queue.objects.filter(team_id__in=team_ids)
    if related_model is models.Agent:
        return models.Agent.objects.filter(team_id__in=team_ids)
    return None


class TeamScopedAdmin(admin.ModelAdmin):
    """A model admin that shows those who see only some teams (supervisors) the rows of their teams."""

    def team_filter(self, team_ids: set[int]) -> Q | None:
        """The rows of ``team_ids``; None: this model is not for those who see only some teams."""
        return None

    def teams_of(self, obj) -> set[int | None]:
        """The teams a saved ``obj`` belongs to (None for 'no team'): a save is allowed only when every
        one of them is the user's."""
        return {None}

    def _restricted(self, request) -> set[int] | None:
        return _request_team_ids(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        team_ids = self._restricted(request)
        if team_ids is None:
            return queryset
        rows = self.team_filter(team_ids)
        return queryset.none() if rows is None else queryset.filter(rows).distinct()

    def _allows(self, request, obj) -> bool:
        team_ids = self._restricted(request)
        if team_ids is None:
            return True
        rows = self.team_filter(team_ids)
        if rows is None:
            return False
        if obj is None:
            return True
        return self.model._default_manager.filter(rows, pk=obj.pk).exists()

    def has_module_permission(self, request):
        return super().has_module_permission(request) and self._allows(request, None)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._allows(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allows(request, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._allows(request, None)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allows(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        team_ids = self._restricted(request)
        if team_ids is not None:
            choices = _choices_in_teams(db_field.related_model, team_ids)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        team_ids = self._restricted(request)
        if team_ids is not None:
            choices = _choices_in_teams(db_field.related_model, team_ids)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The form's choices already keep other teams out; this is the rule itself, for any other way
        # a value could reach here.
        team_ids = self._restricted(request)
        if team_ids is not None and not self.teams_of(obj) <= team_ids:
            raise PermissionDenied(_("You may only change rows of the teams you supervise."))
        super().save_model(request, obj, form, change)


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
class TeamAdmin(TeamScopedAdmin):
    list_display = ("name", "line")
    list_filter = ("line",)
    filter_horizontal = ("supervisors",)
    search_fields = ("name",)

    def team_filter(self, team_ids):
        return Q(id__in=team_ids)

    def teams_of(self, obj):
        return {obj.pk}


@admin.register(models.Queue)
class QueueAdmin(TeamScopedAdmin):
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
    # Only the teams of the rows shown: the plain filter would list every team's name.
    list_filter = ("quarantined", "channel", ("team", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name",)
    inlines = [OpeningHoursInline, ClosedDayInline]
    actions = [approve]

    def team_filter(self, team_ids):
        return Q(team_id__in=team_ids)

    def teams_of(self, obj):
        return {obj.team_id}


@admin.register(models.ClosedDay)
class ClosedDayAdmin(TeamScopedAdmin):
    list_display = ("date", "queue", "reason")
    date_hierarchy = "date"


@admin.register(models.Agent)
class AgentAdmin(TeamScopedAdmin):
    list_display = ("name", "login_id", "team", "quarantined")
    list_filter = ("quarantined", ("team", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "login_id")
    filter_horizontal = ("skills",)
    actions = [approve]

    def team_filter(self, team_ids):
        return Q(team_id__in=team_ids)

    def teams_of(self, obj):
        return {obj.team_id}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "team" and self._restricted(request) is not None:
            field.required = True  # a supervisor moves an agent between their teams, not out of sight
        return field

    def save_related(self, request, form, formsets, change):
        # The skills field offers a supervisor their teams' queues only; skills on other teams' queues
        # (set by a manager) are not theirs to remove, so they are kept.
        team_ids = self._restricted(request)
        kept = []
        if team_ids is not None and change:
            kept = list(form.instance.skills.exclude(team_id__in=team_ids))
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.skills.add(*kept)


@admin.register(models.KPI)
class KPIAdmin(TeamScopedAdmin):
    list_display = ("code", "scope", "queue", "team", "target", "warning", "critical", "higher_is_better")
    list_filter = ("scope", "code")

    def team_filter(self, team_ids):
        # The thresholds of their teams and queues, and the centre-wide ones that apply to them too.
        return Q(team_id__in=team_ids) | Q(queue__team_id__in=team_ids) | Q(team__isnull=True, queue__isnull=True)

    def teams_of(self, obj):
        # A centre-wide KPI ({None}) belongs to no team of theirs: only those who see all change it.
        return {obj.team_id if obj.team_id else (obj.queue.team_id if obj.queue_id else None)}


class SourceForm(forms.ModelForm):
    """The ACD auth token is a secret: never written back into the page; left empty, the stored one stays."""

    class Meta:
        model = models.Source
        fields = (
            "name",
            "active",
            "kind",
            "new_queues",
            "max_new_queues",
            "new_agents",
            "max_new_agents",
            "contact_namespace",
            "history_days",
            "auth_token",
            "state_names",
        )
        widgets = {"auth_token": forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.auth_token:
            self.fields["auth_token"].help_text = _("A token is set; leave empty to keep it.")

    def clean_auth_token(self):
        return self.cleaned_data["auth_token"] or (self.instance.auth_token if self.instance.pk else "")


@admin.register(models.Source)
class SourceAdmin(TeamScopedAdmin):
    form = SourceForm
    list_display = (
        "name",
        "active",
        "new_queues",
        "max_new_queues",
        "new_agents",
        "max_new_agents",
        "contact_namespace",
        "kind",
        "last_delivered_at",
        "delivered_count",
        "rejected_count",
        "skipped_count",
    )
    list_filter = ("kind", "active")
    readonly_fields = (
        "created_at",
        "last_delivered_at",
        "delivered_count",
        "rejected_count",
        "skipped_count",
        "follow_position",
    )

    def save_model(self, request, obj, form, change):
        if not change:
            token = obj.issue_token()
            self.message_user(
                request, _("Token for %(name)s (shown once): %(token)s") % {"name": obj.name, "token": token}
            )
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(TeamScopedAdmin):
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
