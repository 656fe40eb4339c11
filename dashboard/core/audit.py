"""The audit log: who changed what, when, from what to what (django-auditlog's ``LogEntry``).

Recorded:
- changes to the configuration a supervisor, manager or admin edits — queues (targets, thresholds),
  KPIs, opening hours and closed days, teams (and their supervisors), agents (and their team), users'
  roles (groups), event sources and wall-screen tokens — and alert acknowledgements, through
  auditlog's model registry (``audit_register``, called once from the app's ``ready``): each save, from
  the admin, an API or a command alike, writes one entry with the changed fields as ``[before, after]``;
- exports and imports (``audit_record``): what was exported or imported, with its parameters and counts.

Who: the user of the request in progress (``AuditMiddleware``: the session's user, or the user DRF
authenticated by token); an event source for its own requests (``source:<name>``); ``system: <command>``
for a management command (``audited_command``). A secret is never written: token hashes are masked.
"""

from __future__ import annotations

import contextlib
import functools
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.db.models.signals import pre_save

from dashboard.core.errors import FieldError

_request: ContextVar[Any] = ContextVar("kcc_audit_request", default=None)
_remark: ContextVar[str | None] = ContextVar("kcc_audit_remark", default=None)

# model name → what of it is recorded (auditlog's register keywords).
AUDITED: dict[str, dict[str, Any]] = {
    "dashboard.Queue": {},
    "dashboard.OpeningHours": {},
    "dashboard.ClosedDay": {},
    "dashboard.KPI": {},
    "dashboard.Team": {"m2m_fields": {"supervisors"}},
    "dashboard.Agent": {"m2m_fields": {"skills"}},
    # The ACD auth token (Twilio's signs every callback) is a secret: nothing of it is written, not even the half
    # that auditlog's default mask leaves.
    "dashboard.Source": {
        "mask_fields": ["token_hash", "auth_token"],
        "mask_callable": "dashboard.core.audit.mask_secret",
    },
    "dashboard.Display": {"exclude_fields": ["last_seen_at"], "mask_fields": ["token_hash"]},
    # Only the acknowledgement: raising and clearing alerts is the publisher's own bookkeeping.
    "dashboard.Alert": {"include_fields": ["acknowledged_at", "acknowledged_by"]},
    # A role is a group; logins (last_login) and passwords are not configuration.
    "auth.User": {
        "include_fields": ["username", "email", "is_active", "is_staff", "is_superuser", "groups"],
        "m2m_fields": {"groups"},
    },
    "auth.Group": {"m2m_fields": {"permissions"}},
}

OPERATIONS = ("export", "import")


def mask_secret(value: str) -> str:
    """A secret as the audit log shows it: whether it is set, nothing of its value."""
    return "" if value in ("", "None") else "********"


def audit_register() -> None:
    """Register the audited models with auditlog and fill in who acted on every entry. Called once,
    from ``DashboardConfig.ready`` (the models must be loaded)."""
    for label, options in AUDITED.items():
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, **options)
    pre_save.connect(_fill_actor, sender=LogEntry, dispatch_uid="kcc_audit_actor")
    pre_log.connect(_acknowledgements_only, sender=apps.get_model("dashboard.Alert"), dispatch_uid="kcc_audit_alert")


def _acknowledgements_only(sender, instance, action, **kwargs) -> bool:
    """Of an alert only its acknowledgement (an update) is a person's act: not raising or removing it."""
    return action == LogEntry.Action.UPDATE


def _fill_actor(sender, instance: LogEntry, **kwargs) -> None:
    """Who acted: the request's user (read when the entry is written, so a DRF token user counts too),
    else the remark of the command or source in progress."""
    if instance.actor_id is not None:
        return
    request = _request.get()
    remark = _remark.get()
    user = getattr(request, "user", None) if request is not None else None
    if isinstance(user, get_user_model()) and user.is_authenticated:
        instance.actor = user
        instance.actor_email = getattr(user, "email", None) or None
    elif user is not None and user.is_authenticated:  # an event source (SourceUser)
        remark = remark or str(user)
    if request is not None and not instance.remote_addr:
        instance.remote_addr = request.META.get("REMOTE_ADDR") or None
    if remark:
        instance.additional_data = {**(instance.additional_data or {}), "actor": remark}


class AuditMiddleware:
    """Makes the request known to the audit log while it is handled (after the authentication
    middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@contextlib.contextmanager
def audit_as(remark: str):
    """Entries written inside are by ``remark`` (e.g. ``system: load_demo``) when no user acts."""
    token = _remark.set(remark)
    try:
        yield
    finally:
        _remark.reset(token)


def audited_command(handle):
    """Decorate a management command's ``handle``: what it changes is recorded as ``system: <command>``."""

    @functools.wraps(handle)
    def wrapper(self, *args, **options):
        with audit_as(f"system: {type(self).__module__.rsplit('.', 1)[-1]}"):
            return handle(self, *args, **options)

    return wrapper


def audit_record(
    *, operation: str, model: type[Model], what: str, details: dict[str, Any], actor: AbstractBaseUser | None = None
) -> LogEntry:
    """Record an export or an import of ``model``'s data: ``what`` names it (e.g. ``intervals
    2026-11-24–2026-11-24, 15 min, csv``), ``details`` its parameters and counts. The actor is
    ``actor`` when given, else whoever acts now (see the module docstring)."""
    if operation not in OPERATIONS:
        raise ValueError(f"operation: one of {', '.join(OPERATIONS)}, not {operation!r}")
    user = actor if isinstance(actor, get_user_model()) and actor.is_authenticated else None
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_repr=what[:200],
        action=LogEntry.Action.ACCESS,
        changes={},
        actor=user,
        additional_data={"operation": operation, **details},
    )


# --- reading -----------------------------------------------------------------------------------------------

ACTIONS = {
    LogEntry.Action.CREATE: "create",
    LogEntry.Action.UPDATE: "update",
    LogEntry.Action.DELETE: "delete",
    LogEntry.Action.ACCESS: "access",
}


def audit_models() -> dict[str, ContentType]:
    """The content types the audit log holds entries of, by model name (``queue``, ``display``,
    ``user`` …) and by ``app_label.model``."""
    types = {}
    for label in AUDITED:
        ct = ContentType.objects.get_for_model(apps.get_model(label))
        types[ct.model] = types[f"{ct.app_label}.{ct.model}"] = ct
    for label in ("dashboard.IntervalExport", "dashboard.ForecastInterval", "dashboard.Contact"):
        ct = ContentType.objects.get_for_model(apps.get_model(label))
        types[ct.model] = types[f"{ct.app_label}.{ct.model}"] = ct
    return types


def audit_entries(
    *, model: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[LogEntry]:
    """Entries newest first, of ``model`` (a name of ``audit_models``) and from ``since`` up to (not
    including) ``until`` when given. An unknown model is a ``FieldError`` on ``model``."""
    entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    if model:
        types = audit_models()
        if model.lower() not in types:
            known = sorted(name for name in types if "." not in name)
            raise FieldError("model", f"unknown model {model!r}; one of {', '.join(known)}")
        entries = entries.filter(content_type=types[model.lower()])
    if since is not None:
        entries = entries.filter(timestamp__gte=since)
    if until is not None:
        entries = entries.filter(timestamp__lt=until)
    return entries


def audit_entry_as_dict(entry: LogEntry) -> dict[str, Any]:
    """An entry as the API and the admin show it: who, when, what, and the changes before → after."""
    data = dict(entry.additional_data or {})
    actor = entry.actor.get_username() if entry.actor else data.pop("actor", None) or "system"
    data.pop("actor", None)
    operation = data.pop("operation", None)
    return {
        "id": entry.id,
        "timestamp": entry.timestamp,
        "actor": actor,
        "action": operation or ACTIONS.get(entry.action, str(entry.action)),
        "model": f"{entry.content_type.app_label}.{entry.content_type.model}",
        "object_id": entry.object_pk or None,
        "object_repr": entry.object_repr,
        "changes": entry.changes_dict,
        "details": data,
        "remote_addr": entry.remote_addr,
    }
