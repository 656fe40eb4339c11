"""Issue 11, point 14: the audit log. Each kind of change is recorded with who, when, what and before →
after, from the admin, the API and management commands alike; exports and imports too; read-only in the
admin and at GET /api/v1/audit/ (admins only)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

from dashboard.core.audit import audit_as
from dashboard.core.models import KPI, Agent, OpeningHours, Queue, Source, Team
from dashboard.ingest.public import IMPORT_COLUMNS
from dashboard.live.models import Alert, Display
from tests.factories import AgentFactory, QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.WFM_EXPORT_DIR = str(tmp_path / "exports")


def login(role=None, **kw) -> APIClient:
    client = APIClient()
    client.force_login(UserFactory(role=role, **kw))
    return client


def superuser() -> APIClient:
    return login(username="root", is_staff=True, is_superuser=True)


def audit(client: APIClient, **params) -> list[dict]:
    response = client.get("/api/v1/audit/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def last(model: str) -> dict:
    return audit(superuser(), model=model)[0]


# --- each recorded kind of change ---------------------------------------------------------------------------


def test_queue_target_changed_in_the_admin():
    queue = QueueFactory(name="Algemeen", sl_target_pct=80, sl_threshold_s=20)
    admin = login(username="beheer", is_staff=True, is_superuser=True)
    data = {
        "name": "Algemeen",
        "channel": "voice",
        "team": queue.team_id,
        "sl_threshold_s": 30,
        "sl_target_pct": "90",
        "short_abandon_threshold_s": 5,
        "sl_formula": queue.sl_formula,
        "opening_hours-TOTAL_FORMS": 0,
        "opening_hours-INITIAL_FORMS": 0,
        "closed_days-TOTAL_FORMS": 0,
        "closed_days-INITIAL_FORMS": 0,
    }
    response = admin.post(f"/admin/dashboard/queue/{queue.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    entry = last("queue")
    assert entry["actor"] == "beheer" and entry["action"] == "update" and entry["object_repr"] == "Algemeen"
    assert entry["changes"]["sl_target_pct"] == ["80.00", "90"]
    assert entry["changes"]["sl_threshold_s"] == ["20", "30"]
    assert entry["remote_addr"] == "127.0.0.1"


def test_kpi_threshold_opening_hours_team_and_agent_team_from_a_command():
    queue = QueueFactory(name="Algemeen")
    kpi = KPI.objects.create(code="service_level", queue=queue, target=80, warning=70, critical=60)
    first, second = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn")
    agent = AgentFactory(login_id="a1", team=first)
    with audit_as("system: load_config"):
        kpi.warning = 75.0
        kpi.save()
        OpeningHours.objects.create(queue=queue, weekday=0, opens=time(8), closes=time(18))
        first.name = "Eerste lijn"
        first.save()
        agent.team = second
        agent.save()
    entry = last("kpi")
    assert entry["actor"] == "system: load_config" and entry["changes"]["warning"] == ["70.0", "75.0"]
    hours = last("openinghours")
    assert hours["action"] == "create" and hours["changes"]["closes"] == ["None", "18:00:00"]
    assert last("team")["changes"]["name"] == ["1e lijn", "Eerste lijn"]
    moved = last("agent")
    assert moved["changes"]["team"] == [str(first.pk), str(second.pk)] and moved["object_repr"] == str(agent)


def test_a_role_given_to_a_user():
    user = UserFactory(username="jan")
    admin = login(username="beheer", is_staff=True, is_superuser=True)
    group = Group.objects.get_or_create(name="manager")[0]
    data = {
        "username": "jan",
        "is_active": "on",
        "groups": [group.pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    response = admin.post(f"/admin/auth/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content[:3000]
    entry = next(e for e in audit(superuser(), model="user") if "groups" in e["changes"])
    assert entry["actor"] == "beheer"
    assert entry["changes"]["groups"]["operation"] == "add" and entry["changes"]["groups"]["objects"] == ["manager"]


def test_source_and_display_tokens_created_by_commands_appear_under_their_names():
    call_command("create_source_token", "acd", stdout=StringIO())
    call_command("create_display_token", "Hal 1", "--scope", "all", stdout=StringIO())
    source, display = last("source"), last("display")
    assert (source["object_repr"], source["action"], source["actor"]) == (
        "acd",
        "create",
        "system: create_source_token",
    )
    assert (display["object_repr"], display["action"], display["actor"]) == (
        "Hal 1",
        "create",
        "system: create_display_token",
    )
    # The token's hash is never shown whole.
    assert Source.objects.get().token_hash not in str(source["changes"])
    assert Display.objects.get().token_hash not in str(display["changes"])
    # The ACD auth token (a secret that signs Twilio's callbacks) is not written, not even in part.
    call_command("create_source_token", "flex", "--kind", "twilio", "--auth-token", "0123456789abcdef" * 2,
                 stdout=StringIO())  # fmt: skip
    flex = last("source")
    assert flex["changes"]["auth_token"] == ["", "********"] and "89abcdef" not in str(flex["changes"])
    # A new token for the same source is an update, by the same command.
    call_command("create_source_token", "acd", stdout=StringIO())
    again = last("source")
    assert again["action"] == "update" and "token_hash" in again["changes"]


def test_alert_acknowledged_through_the_api():
    team = TeamFactory(name="1e lijn")
    alert = Alert.objects.create(
        scope="team:1", scope_name="1e lijn", team=team, kpi="waiting", level="warning", threshold=5, raised_at=NOW
    )
    assert not LogEntry.objects.get_for_object(alert).exists()  # raising is not an audited change
    supervisor = login("supervisor", username="sup", teams=[team])
    assert supervisor.post(f"/api/v1/alerts/{alert.pk}/ack/").status_code == 200
    entry = last("alert")
    assert entry["actor"] == "sup" and entry["action"] == "update"
    assert entry["changes"]["acknowledged_at"][0] == "None"


def test_exports_are_recorded_with_their_parameters():
    QueueFactory(name="Algemeen")
    wfm = login("wfm", username="planner")
    response = wfm.get("/api/v1/intervals/", {"start": "2026-11-24", "end": "2026-11-24", "format": "csv"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = last("intervalexport")
    assert (entry["actor"], entry["action"]) == ("planner", "export")
    assert entry["object_repr"] == "intervals_2026-11-24_2026-11-24_15min.csv"
    assert entry["details"]["start"] == "2026-11-24" and entry["details"]["format"] == "csv"
    wfm.get("/api/v1/wfm/forecast/export/", {"start": "2026-11-24", "end": "2026-11-24", "format": "xlsx"})
    assert last("forecastinterval")["object_repr"].startswith("forecast_2026-11-24")


def test_forecast_import_through_the_api_and_contact_import_by_command(tmp_path):
    QueueFactory(name="Algemeen")
    wfm = login("wfm", username="planner")
    response = wfm.post(
        "/api/v1/wfm/forecast/import/",
        b"Algemeen,2026-11-24T09:00:00+01:00,25,180\n",
        content_type="text/csv",
    )
    assert response.status_code == 200, response.content
    entry = last("forecastinterval")
    assert (entry["actor"], entry["action"]) == ("planner", "import")
    assert entry["details"]["imported"] == 1 and entry["details"]["queues"] == ["Algemeen"]

    path = tmp_path / "contacts.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=IMPORT_COLUMNS)
        writer.writeheader()
        writer.writerow(
            {
                "contact_id": "h1",
                "queue": "Algemeen",
                "channel": "voice",
                "offered_at": (NOW - timedelta(days=2)).isoformat(),
                "abandoned_at": (NOW - timedelta(days=2) + timedelta(seconds=40)).isoformat(),
            }
        )
    call_command("import_contacts", str(path), stdout=StringIO(), stderr=StringIO())
    entry = last("contact")
    assert (entry["actor"], entry["action"]) == ("system: import_contacts", "import")
    assert entry["details"]["rows"] == 1 and entry["details"]["imported"] == 1


# --- reading it ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "code"), [("supervisor", 403), ("manager", 403), ("wfm", 403), ("admin", 200)])
def test_audit_api_is_for_admins_only(role, code):
    assert login(role).get("/api/v1/audit/").status_code == code
    assert APIClient().get("/api/v1/audit/").status_code in (401, 403)


def test_audit_api_filters_by_model_and_date_and_pages():
    with audit_as("system: test"):
        for n in range(5):
            Team.objects.create(name=f"T{n}")
        Queue.objects.create(name="Q")
    admin = superuser()
    assert {e["model"] for e in audit(admin, model="team")} == {"dashboard.team"}
    assert len(audit(admin, model="team")) == 5
    page = admin.get("/api/v1/audit/", {"model": "team", "page_size": 2}).json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]
    assert audit(admin, model="queue", since=(NOW + timedelta(days=1)).isoformat()) == []
    assert len(audit(admin, model="queue", until=(NOW + timedelta(days=1)).isoformat())) == 1
    bad = admin.get("/api/v1/audit/", {"model": "nothing"})
    assert bad.status_code == 400 and bad.json()["field"] == "model"
    assert admin.get("/api/v1/audit/", {"since": "yesterday"}).status_code == 400


def test_audit_api_is_in_the_openapi_schema():
    schema = superuser().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/audit/"]["get"]
    assert operation["operationId"] == "audit_list"
    assert {p["name"] for p in operation["parameters"]} >= {"model", "since", "until", "page", "page_size"}


def test_admin_shows_the_log_read_only():
    with audit_as("system: test"):
        Team.objects.create(name="T")
    admin = superuser()
    assert admin.get("/admin/auditlog/logentry/").status_code == 200
    entry = LogEntry.objects.first()
    assert admin.get(f"/admin/auditlog/logentry/{entry.pk}/change/").status_code == 200
    assert admin.get("/admin/auditlog/logentry/add/").status_code == 403
    admin.post(f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"})
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_agent_created_by_a_source_names_the_source():
    out = StringIO()
    call_command("create_source_token", "acd", stdout=out)
    acd = APIClient()
    acd.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip().splitlines()[-1]}")
    event = {"id": "s", "type": "agent.state", "at": NOW.isoformat(), "agent": "a7", "state": "available"}
    assert acd.post("/api/v1/events/", [event], format="json").json()["accepted"] == 1
    assert Agent.objects.filter(login_id="a7").exists()
    entry = last("agent")
    assert (entry["action"], entry["actor"]) == ("create", "source:acd") and entry["object_repr"].endswith("(a7)")
