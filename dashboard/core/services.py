"""Roles (Django groups) and the demo users."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from dashboard.core.models import Team
from dashboard.core.permissions import ADMIN, MANAGER, ROLES, SUPERVISOR, WFM

DEMO_PASSWORDS_FILE = settings.VAR_DIR / "demo-users.json"

# Which model permissions each role gets in the admin: supervisors and managers edit the centre's
# configuration (queues, targets, thresholds, opening hours); admins everything.
ROLE_PERMISSIONS = {
    SUPERVISOR: ["view_team", "view_queue", "view_agent", "view_kpi", "change_agent"],
    MANAGER: [
        "view_team",
        "change_team",
        "add_team",
        "view_queue",
        "change_queue",
        "add_queue",
        "view_agent",
        "change_agent",
        "add_agent",
        "view_kpi",
        "change_kpi",
        "add_kpi",
        "delete_kpi",
        "view_openinghours",
        "change_openinghours",
        "add_openinghours",
        "delete_openinghours",
        "view_closedday",
        "change_closedday",
        "add_closedday",
        "delete_closedday",
        "view_contact",
        "view_agentstatespan",
    ],
    WFM: ["view_team", "view_queue", "view_agent", "view_kpi", "view_contact", "view_agentstatespan"],
}


def roles_ensure() -> dict[str, Group]:
    """The role groups with their admin permissions (idempotent)."""
    groups = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        if role == ADMIN:
            perms = Permission.objects.all()
        else:
            perms = Permission.objects.filter(content_type__app_label="dashboard", codename__in=ROLE_PERMISSIONS[role])
        group.permissions.set(perms)
        groups[role] = group
    return groups


DEMO_USERS = [
    # username, role, staff (admin site), teams supervised (by line)
    ("beheer", ADMIN, True, []),
    ("manager", MANAGER, True, []),
    ("wfm", WFM, False, []),
    ("supervisor1", SUPERVISOR, True, ["first"]),
    ("supervisor2", SUPERVISOR, True, ["second", "back_office"]),
]


@transaction.atomic
def demo_users_ensure(passwords_file: Path = DEMO_PASSWORDS_FILE) -> list[tuple[str, str, str]]:
    """Create the demo users with random passwords, kept in ``var/`` so they can be shown again.
    Returns (username, role, password) for each."""
    groups = roles_ensure()
    known = json.loads(passwords_file.read_text()) if passwords_file.exists() else {}
    user_model = get_user_model()
    out = []
    for username, role, staff, lines in DEMO_USERS:
        user = user_model.objects.filter(username=username).first()
        password = known.get(username)
        if user is None or password is None or not user.check_password(password):
            password = secrets.token_urlsafe(9)
            user = user or user_model(username=username)
            user.set_password(password)
        user.is_staff = staff
        user.is_superuser = role == ADMIN
        user.save()
        user.groups.add(groups[role])
        for team in Team.objects.filter(line__in=lines):
            team.supervisors.add(user)
        known[username] = password
        out.append((username, role, password))
    passwords_file.write_text(json.dumps(known, indent=2))
    passwords_file.chmod(0o600)
    return out
