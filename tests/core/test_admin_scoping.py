"""The admin per role (issue 11, point 7): every role against every registered admin model — the
changelist, the rows it shows, the change form and what a save may change. Supervisors see and change
the rows of their own teams only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from dashboard.core import models
from dashboard.core.services import roles_ensure
from tests.factories import AgentFactory, QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("admin", "manager", "wfm", "supervisor", "staff_without_role")

# The dashboard models each role opens in the admin (view permission, from ROLE_PERMISSIONS); every
# other registered model (the rest of the dashboard's, users, groups, tokens, Celery's schedules) is 403
# for them. Admins open everything; WFM staff are no staff (the admin sends them to its login).
OPENS = {
    "supervisor": {"team", "queue", "agent", "kpi"},
    "manager": {"team", "queue", "agent", "kpi", "closedday", "contact", "agentstatespan"},
}


@pytest.fixture
def centre():
    groups = roles_ensure()
    first, second = TeamFactory(name="Eerste lijn"), TeamFactory(name="Tweede lijn", line="second")
    back = TeamFactory(name="Backoffice", line="back_office")
    q_first, q_second = QueueFactory(name="Algemeen", team=first), QueueFactory(name="Techniek", team=second)
    q_back = QueueFactory(name="Post", team=back)
    a_first = AgentFactory(name="Ann", login_id="ann", team=first, skills=[q_first, q_second])
    a_second = AgentFactory(name="Sp01", login_id="sp01", team=second, skills=[q_second])
    a_back = AgentFactory(name="Bob", login_id="bob", team=back, skills=[q_back])
    kpi = dict(code="service_level", target=80, warning=70, critical=60)
    k_first = models.KPI.objects.create(scope="team", team=first, **kpi)
    k_second = models.KPI.objects.create(scope="queue", queue=q_second, **kpi)
    k_all = models.KPI.objects.create(scope="queue", **kpi)

    def user(name, role, *, staff=True, teams=()):
        u = UserFactory(username=name, teams=list(teams))
        u.is_staff = staff
        u.is_superuser = role == "admin"
        u.save()
        if role in groups:
            u.groups.add(groups[role])
        return u

    users = {
        "admin": user("beheer", "admin"),
        "manager": user("manager", "manager"),
        "wfm": user("wfm", "wfm", staff=False),
        "supervisor": user("supervisor1", "supervisor", teams=[first]),
        "staff_without_role": user("staff", None),
        "supervisor2": user("supervisor2", "supervisor", teams=[second, back]),
    }
    return {
        "teams": (first, second, back),
        "queues": (q_first, q_second, q_back),
        "agents": (a_first, a_second, a_back),
        "kpis": (k_first, k_second, k_all),
        "users": users,
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def changelist_url(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def registered_models():
    return sorted(admin.site._registry, key=lambda m: (m._meta.app_label, m._meta.model_name))


def expected_status(role: str, model) -> int:
    if role == "admin":
        return 200
    if role == "wfm":
        return 302  # not staff: to the admin's login
    opens = OPENS.get(role, set())
    return 200 if model._meta.app_label == "dashboard" and model._meta.model_name in opens else 403


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_admin_changelist(centre, role):
    client = client_for(centre["users"][role])
    got = {changelist_url(m): client.get(changelist_url(m)).status_code for m in registered_models()}
    want = {changelist_url(m): expected_status(role, m) for m in registered_models()}
    assert got == want


# Which rows the changelist shows, per role: supervisor1 supervises the first line only.
VISIBLE = {
    "team": {"supervisor": {"Eerste lijn"}, "all": {"Eerste lijn", "Tweede lijn", "Backoffice"}},
    "queue": {"supervisor": {"Algemeen"}, "all": {"Algemeen", "Techniek", "Post"}},
    "agent": {"supervisor": {"Ann (ann)"}, "all": {"Ann (ann)", "Sp01 (sp01)", "Bob (bob)"}},
    # the first line's KPI and the centre-wide one (it applies to their queues too), not another's queue
    "kpi": {"supervisor": {"k_first", "k_all"}, "all": {"k_first", "k_second", "k_all"}},
}


@pytest.mark.parametrize("model_name", sorted(VISIBLE))
@pytest.mark.parametrize("role", ["admin", "manager", "supervisor"])
def test_changelist_shows_the_rows_of_the_roles_teams(centre, role, model_name):
    kpi_names = dict(zip(centre["kpis"], ("k_first", "k_second", "k_all")))
    response = client_for(centre["users"][role]).get(f"/admin/dashboard/{model_name}/")
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    shown = {kpi_names[r] for r in rows} if model_name == "kpi" else {str(r) for r in rows}
    assert shown == VISIBLE[model_name]["supervisor" if role == "supervisor" else "all"]


def test_repro_supervisor1_filters_the_agents_of_team_2(centre):
    """Issue 11 repro: supervisor1 opened /admin/dashboard/agent/?team__id__exact=2 and saw sp01–sp08."""
    second = centre["teams"][1]
    response = client_for(centre["users"]["supervisor"]).get(f"/admin/dashboard/agent/?team__id__exact={second.id}")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    body = response.content.decode()
    assert "sp01" not in body and "Tweede lijn" not in body  # nor the other team's name in the filter


def test_repro_supervisor1_cannot_pull_agent_of_another_team_into_theirs(centre):
    """Issue 11 repro: supervisor1 posted agent 21's change form with team=1, got 302, and the agent moved."""
    first, second, _ = centre["teams"]
    sp01 = centre["agents"][1]
    response = client_for(centre["users"]["supervisor"]).post(
        f"/admin/dashboard/agent/{sp01.pk}/change/", {"name": "Sp01", "login_id": "sp01", "team": first.id}
    )
    sp01.refresh_from_db()
    assert sp01.team_id == second.id
    # answered as for a row that does not exist: to the admin's index, no word about the agent
    assert response.status_code == 302 and response["Location"] == "/admin/"


def agent_form(agent, **changes) -> dict:
    data = {"name": agent.name, "login_id": agent.login_id, "team": agent.team_id}
    data.update(changes)
    return data


# (who, agent, change, saved?, what the form says): a supervisor moves agents between their own teams.
SAVES = [
    ("supervisor2", "Sp01", {"team": "Backoffice"}, True, None),
    ("supervisor2", "Bob", {"team": "Tweede lijn"}, True, None),
    ("supervisor2", "Bob", {"team": "Eerste lijn"}, False, "Select a valid choice"),
    ("supervisor2", "Bob", {"team": ""}, False, "This field is required"),
    ("supervisor", "Ann", {"team": "Tweede lijn"}, False, "Select a valid choice"),
    ("supervisor", "Ann", {"name": "Ann B."}, True, None),
    ("manager", "Ann", {"team": "Tweede lijn"}, True, None),
    ("manager", "Bob", {"team": ""}, True, None),
    ("admin", "Sp01", {"team": "Eerste lijn"}, True, None),
]


@pytest.mark.parametrize(("who", "agent_name", "change", "saved", "error"), SAVES)
def test_agent_change_form_saves_only_within_the_users_teams(centre, who, agent_name, change, saved, error):
    teams = {t.name: t.id for t in centre["teams"]}
    agent = models.Agent.objects.get(name=agent_name)
    if "team" in change:
        change = dict(change, team=teams.get(change["team"], ""))
    client = client_for(centre["users"][who])
    url = f"/admin/dashboard/agent/{agent.pk}/change/"
    # the skills the form offers this user, as a browser would send them back
    offered = client.get(url).context["adminform"].form.fields["skills"].queryset
    data = agent_form(agent, skills=[q.pk for q in agent.skills.all() if q in offered], **change)
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    before = (agent.name, agent.team_id)
    agent.refresh_from_db()
    if saved:
        assert response.status_code == 302, response.context["adminform"].form.errors
        want = change.get("team", before[1]) or None
        assert (agent.name, agent.team_id) == (change.get("name", before[0]), want)
    else:
        assert response.status_code == 200
        assert error in str(response.context["adminform"].form.errors)
        assert (agent.name, agent.team_id) == before


def test_supervisor_keeps_the_skills_they_cannot_see(centre):
    """Ann has a skill on the second line's queue; supervisor1 sees only the first line's queues. Saving
    her form must not drop the skill they were never shown."""
    ann, (q_first, q_second, _) = centre["agents"][0], centre["queues"]
    client = client_for(centre["users"]["supervisor"])
    form = client.get(f"/admin/dashboard/agent/{ann.pk}/change/").context["adminform"].form
    assert set(form.fields["team"].queryset) == {centre["teams"][0]}
    assert set(form.fields["skills"].queryset) == {q_first}
    response = client.post(f"/admin/dashboard/agent/{ann.pk}/change/", agent_form(ann))
    assert response.status_code == 302
    assert set(ann.skills.all()) == {q_second}  # their own queue's skill removed, the other one kept


# The change form of each object, per role: 200 to view it, a redirect to the index for a row outside
# the user's teams, and what a POST does (403 where the role may only view).
CHANGE_FORMS = [
    # role, model, object, GET, POST
    ("supervisor", "team", "Eerste lijn", 200, 403),
    ("supervisor", "team", "Tweede lijn", 302, 403),
    ("supervisor", "queue", "Algemeen", 200, 403),
    ("supervisor", "queue", "Techniek", 302, 403),
    ("supervisor", "agent", "Ann", 200, None),
    ("supervisor", "agent", "Sp01", 302, 302),
    ("supervisor", "kpi", "k_first", 200, 403),
    ("supervisor", "kpi", "k_all", 200, 403),
    ("supervisor", "kpi", "k_second", 302, 403),
    ("manager", "team", "Tweede lijn", 200, None),
    ("manager", "queue", "Techniek", 200, None),
    ("manager", "agent", "Sp01", 200, None),
    ("manager", "kpi", "k_second", 200, None),
    ("staff_without_role", "agent", "Ann", 403, 403),
    ("wfm", "agent", "Ann", 302, 302),
]


@pytest.mark.parametrize(("role", "model_name", "name", "get_status", "post_status"), CHANGE_FORMS)
def test_change_form_per_role_and_object(centre, role, model_name, name, get_status, post_status):
    objects = {
        "team": {t.name: t for t in centre["teams"]},
        "queue": {q.name: q for q in centre["queues"]},
        "agent": {a.name: a for a in centre["agents"]},
        "kpi": dict(zip(("k_first", "k_second", "k_all"), centre["kpis"])),
    }
    obj = objects[model_name][name]
    url = f"/admin/dashboard/{model_name}/{obj.pk}/change/"
    client = client_for(centre["users"][role])
    response = client.get(url)
    assert response.status_code == get_status
    if get_status == 302 and role != "wfm":
        assert response["Location"] == "/admin/"
    if get_status == 200:
        # a view-only page has no save button
        assert ('name="_save"' in response.content.decode()) == (post_status is None)
    if post_status is not None:
        before = list(models.Agent.objects.values_list("name", "team_id").order_by("pk"))
        assert client.post(url, {"name": "changed"}).status_code == post_status
        assert list(models.Agent.objects.values_list("name", "team_id").order_by("pk")) == before
