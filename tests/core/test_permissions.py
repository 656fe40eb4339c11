"""Who may see what: the role predicates, the teams a user sees, and the DRF permission classes on every
API view (the 403 each role gets, with its message, and the 401 of an anonymous request)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from dashboard.core.permissions import (
    CanImportContacts,
    CanUseWFM,
    HasRole,
    IsAdmin,
    RolePermission,
    SeesAll,
    can_import_contacts,
    can_use_wfm,
    has_any_role,
    sees_all,
    user_roles,
    visible_team_ids,
)
from dashboard.ingest.api import EventsView, FirehoseView, TwilioCallbackView
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

NO_ROLE = "Your account has no role (supervisor, manager, wfm or admin)."
REPORTS = "Reports are for the roles manager, wfm and admin."
WFM_ONLY = "WFM pages and APIs are for the roles wfm, manager and admin."
IMPORT = "Importing contact records is for managers and admins."


def make_user(kind: str):
    """A user of one kind: a role's group, a superuser, a group that is no role, or nobody signed in."""
    if kind == "anonymous":
        return AnonymousUser()
    if kind == "nobody":
        return UserFactory()
    if kind == "superuser":
        return UserFactory(is_superuser=True)
    if kind == "other group":
        user = UserFactory()
        user.groups.add(Group.objects.create(name="agents"))
        return user
    if kind == "supervisor+wfm":
        user = UserFactory(role="supervisor")
        user.groups.add(Group.objects.get_or_create(name="wfm")[0])
        return user
    return UserFactory(role=kind)


# kind: (roles, has_any_role, sees_all, can_use_wfm, can_import_contacts)
ROLE_TABLE = {
    "anonymous": (set(), False, False, False, False),
    "nobody": (set(), False, False, False, False),
    "other group": (set(), False, False, False, False),
    "supervisor": ({"supervisor"}, True, False, False, False),
    "manager": ({"manager"}, True, True, True, True),
    "wfm": ({"wfm"}, True, True, True, False),
    "admin": ({"admin"}, True, True, True, True),
    "superuser": ({"admin"}, True, True, True, True),
    "supervisor+wfm": ({"supervisor", "wfm"}, True, True, True, False),
}


@pytest.mark.parametrize(("kind", "expected"), ROLE_TABLE.items(), ids=list(ROLE_TABLE))
def test_roles_and_predicates(kind, expected):
    user = make_user(kind)
    roles, any_role, all_teams, wfm, importer = expected
    assert user_roles(user) == roles
    assert has_any_role(user) is any_role
    assert sees_all(user) is all_teams
    assert can_use_wfm(user) is wfm
    assert can_import_contacts(user) is importer


def test_user_roles_of_none_is_empty():
    assert user_roles(None) == set()


@pytest.mark.parametrize(
    ("kind", "sees"),
    [
        ("anonymous", "none"),
        ("nobody", "none"),
        ("supervisor", "own"),
        ("supervisor without teams", "none"),
        ("manager", "all"),
        ("wfm", "all"),
        ("admin", "all"),
        ("superuser", "all"),
        ("supervisor+wfm", "all"),  # a broader role wins over the team binding
    ],
)
def test_visible_team_ids(kind, sees):
    first, second, _third = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn"), TeamFactory(name="Webcare")
    if kind == "supervisor":
        user = UserFactory(role="supervisor", teams=[first, second])
    elif kind == "supervisor without teams":
        user = UserFactory(role="supervisor")
    else:
        user = make_user(kind)
    expected = {"none": set(), "own": {first.id, second.id}, "all": None}[sees]
    assert visible_team_ids(user) == expected


# --- the DRF permission classes ---------------------------------------------------------------------------

ALLOWED = {
    HasRole: {"supervisor", "manager", "wfm", "admin", "superuser", "supervisor+wfm"},
    SeesAll: {"manager", "wfm", "admin", "superuser", "supervisor+wfm"},
    CanUseWFM: {"manager", "wfm", "admin", "superuser", "supervisor+wfm"},
    CanImportContacts: {"manager", "admin", "superuser"},
    IsAdmin: {"admin", "superuser"},
}
MESSAGES = {
    HasRole: NO_ROLE,
    SeesAll: REPORTS,
    CanUseWFM: WFM_ONLY,
    CanImportContacts: IMPORT,
    IsAdmin: "The audit log is for admins.",
}


@pytest.mark.parametrize("permission", list(ALLOWED), ids=lambda p: p.__name__)
@pytest.mark.parametrize("kind", list(ROLE_TABLE))
def test_permission_classes(permission, kind):
    request = APIRequestFactory().get("/")
    request.user = make_user(kind)
    assert permission().has_permission(request, view=None) is (kind in ALLOWED[permission])


@pytest.mark.parametrize("permission", list(ALLOWED), ids=lambda p: p.__name__)
def test_a_refused_request_gets_403_with_the_message_and_an_anonymous_one_401(permission):
    class Guarded(APIView):
        permission_classes = [IsAuthenticated, permission]

        def get(self, request):
            return Response({"ok": True})

    view = Guarded.as_view()
    factory = APIRequestFactory()
    assert view(factory.get("/")).status_code == 401

    refused = factory.get("/")
    force_authenticate(refused, user=make_user("nobody"))
    with translation.override("en"):  # no locale middleware on a view called directly
        response = view(refused)
    assert response.status_code == 403
    assert response.data["error"] == MESSAGES[permission]

    allowed = factory.get("/")
    force_authenticate(allowed, user=make_user("admin"))
    assert view(allowed).status_code == 200


# --- on the real API views ----------------------------------------------------------------------------------

EXPORT = uuid.UUID(int=1)
# (method, path, permission): every API view a person uses. An allowed request answers anything but 401 and
# 403 (most of them 400 or 404 here: no parameters, no data).
ENDPOINTS = [
    ("get", "/api/v1/live/", HasRole),
    ("get", "/api/v1/live/ewt/", HasRole),
    ("get", "/api/v1/live/waiting/", HasRole),
    ("get", "/api/v1/live/abandoned/", HasRole),
    ("get", "/api/v1/live/callbacks/", HasRole),
    ("get", "/api/v1/drilldown/interval/", HasRole),
    ("post", "/api/v1/alerts/999/ack/", HasRole),
    ("get", "/api/v1/reports/daily/", SeesAll),
    ("get", "/api/v1/reports/weekly/", SeesAll),
    ("post", "/api/v1/reports/imports/contacts/", CanImportContacts),
    ("get", "/api/v1/intervals/", CanUseWFM),
    ("post", "/api/v1/intervals/exports/", CanUseWFM),
    ("get", f"/api/v1/intervals/exports/{EXPORT}/", CanUseWFM),
    ("get", f"/api/v1/intervals/exports/{EXPORT}/file/", CanUseWFM),
    ("get", "/api/v1/wfm/erlang/", CanUseWFM),
    ("get", "/api/v1/wfm/staffing/", CanUseWFM),
    ("get", "/api/v1/wfm/forecast/", CanUseWFM),
    ("get", "/api/v1/wfm/forecast/accuracy/", CanUseWFM),
    ("post", "/api/v1/wfm/forecast/import/", CanUseWFM),
    ("post", "/api/v1/wfm/forecast/build/", CanUseWFM),
    ("get", "/api/v1/wfm/forecast/export/", CanUseWFM),
    ("get", "/api/v1/wfm/intraday/", HasRole),
    ("post", "/api/v1/wfm/schedule/import/", CanUseWFM),
    ("get", "/api/v1/wfm/adherence/", HasRole),
    ("get", "/api/v1/audit/", IsAdmin),
]


@pytest.mark.parametrize(("method", "path", "permission"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
@pytest.mark.parametrize("kind", ["nobody", "supervisor", "wfm", "manager", "admin"])
def test_every_api_view_answers_each_role(method, path, permission, kind):
    client = APIClient()
    client.force_login(make_user(kind))
    response = getattr(client, method)(path, HTTP_ACCEPT_LANGUAGE="en")
    if kind in ALLOWED[permission]:
        assert response.status_code not in (401, 403), response.content
    else:
        assert response.status_code == 403
        assert response.json()["error"] == MESSAGES[permission]


@pytest.mark.parametrize(("method", "path", "permission"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_every_api_view_answers_anonymous_401(method, path, permission):
    response = getattr(APIClient(), method)(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["error"] == "Authentication credentials were not provided."


def test_the_message_is_translated():
    client = APIClient()
    client.force_login(make_user("nobody"))
    response = client.get("/api/v1/live/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 403
    assert response.json()["error"] == "Uw account heeft geen rol (supervisor, manager, wfm of beheer)."


# The endpoints an ACD calls: each proves it is a source (its token, or a signature made with the source's
# ACD auth token), never a person's role. A new one belongs here and in tests/ingest beside its adapter.
SOURCE_DOORS = {
    "api/v1/events/": EventsView,
    "api/v1/adapters/twilio/<str:source>/": TwilioCallbackView,
    "api/v1/adapters/firehose/": FirehoseView,
}


def _api_views(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
            if view_class is not None and issubclass(view_class, APIView):
                yield prefix + str(pattern.pattern), view_class


def test_the_endpoint_table_holds_every_api_view_and_each_checks_a_role():
    """A new API view must say who may use it: a role permission, or (the doors for ACDs) the source itself."""
    views = dict(_api_views(get_resolver()))
    api = {path: cls for path, cls in views.items() if path.startswith("api/v1/")}
    for path, cls in SOURCE_DOORS.items():
        assert api.pop(path) is cls, path  # a source's token or its ACD's signature, not a person's role
    for path, cls in api.items():
        roles = [p for p in cls.permission_classes if issubclass(p, RolePermission)]
        assert len(roles) == 1, path
        assert IsAuthenticated in cls.permission_classes, path
    assert len(api) == len(ENDPOINTS)
    assert {cls.permission_classes[-1] for cls in api.values()} == set(ALLOWED)
