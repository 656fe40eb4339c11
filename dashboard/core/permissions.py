"""Who may see what: roles are Django groups; supervisors are bound to teams.

The predicates serve pages, consumers and services; the DRF permission classes at the end put the same
rules on the API views, each with the message its 403 answer carries."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

SUPERVISOR, MANAGER, WFM, ADMIN = "supervisor", "manager", "wfm", "admin"
ROLES = (SUPERVISOR, MANAGER, WFM, ADMIN)
SEE_ALL = frozenset({MANAGER, WFM, ADMIN})
# WFM pages and APIs (interval export, Erlang, forecasts): not supervisors, who see their own teams only.
WFM_ROLES = frozenset({WFM, MANAGER, ADMIN})
# Importing contact records rewrites history every report is built from.
IMPORT_ROLES = frozenset({MANAGER, ADMIN})


def user_roles(user: AbstractBaseUser) -> set[str]:
    """The roles of ``user``: its groups named like a role, and ``admin`` for a superuser; none when
    anonymous."""
    if not user or not user.is_authenticated:
        return set()
    roles = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if user.is_superuser:
        roles.add(ADMIN)
    return roles


def visible_team_ids(user: AbstractBaseUser) -> set[int] | None:
    """The teams whose figures ``user`` may see: None means all of them (managers, WFM, admins);
    a supervisor sees the teams bound to them; anybody else sees none."""
    roles = user_roles(user)
    if roles & SEE_ALL:
        return None
    if SUPERVISOR in roles:
        return set(user.supervised_teams.values_list("id", flat=True))
    return set()


def has_any_role(user: AbstractBaseUser) -> bool:
    """Does ``user`` hold any role at all (supervisor, manager, wfm or admin)?"""
    return bool(user_roles(user))


def sees_all(user: AbstractBaseUser) -> bool:
    """Managers, WFM staff and admins see every team, the centre totals and the reports."""
    return bool(user_roles(user) & SEE_ALL)


def can_use_wfm(user: AbstractBaseUser) -> bool:
    """WFM pages and APIs (interval export, Erlang, forecasts): WFM staff, managers and admins; not
    supervisors, who see their own teams only."""
    return bool(user_roles(user) & WFM_ROLES)


def can_import_contacts(user: AbstractBaseUser) -> bool:
    """Uploading contact records: managers and admins."""
    return bool(user_roles(user) & IMPORT_ROLES)


# --- the same rules as DRF permission classes --------------------------------------------------------------


class RolePermission(BasePermission):
    """Lets a request through when its user holds one of ``roles``, else a 403 carrying ``message``.
    An anonymous request fails too, and DRF answers it 401 (not authenticated) before any message."""

    roles: frozenset[str] = frozenset()

    def has_permission(self, request, view) -> bool:
        return bool(user_roles(request.user) & self.roles)


class HasRole(RolePermission):
    roles = frozenset(ROLES)
    message = _("Your account has no role (supervisor, manager, wfm or admin).")


class SeesAll(RolePermission):
    """The reports: managers, WFM staff and admins."""

    roles = SEE_ALL
    message = _("Reports are for the roles manager, wfm and admin.")


class CanUseWFM(RolePermission):
    roles = WFM_ROLES
    message = _("WFM pages and APIs are for the roles wfm, manager and admin.")


class CanImportContacts(RolePermission):
    roles = IMPORT_ROLES
    message = _("Importing contact records is for managers and admins.")


class IsAdmin(RolePermission):
    """The audit log: admins only."""

    roles = frozenset({ADMIN})
    message = _("The audit log is for admins.")
