"""Who may see what: roles are Django groups; supervisors are bound to teams."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

SUPERVISOR, MANAGER, WFM, ADMIN = "supervisor", "manager", "wfm", "admin"
ROLES = (SUPERVISOR, MANAGER, WFM, ADMIN)
SEE_ALL = frozenset({MANAGER, WFM, ADMIN})


def user_roles(user: AbstractBaseUser) -> set[str]:
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
    return bool(user_roles(user))


# --- workforce management (appended by the WFM area) -----------------------------------------------
WFM_ROLES = frozenset({WFM, MANAGER, ADMIN})


def can_use_wfm(user: AbstractBaseUser) -> bool:
    """WFM pages and APIs (interval export, Erlang, forecasts): WFM staff, managers and admins; not
    supervisors, who see their own teams only."""
    return bool(user_roles(user) & WFM_ROLES)
