"""GET /api/v1/live/ and the pages: login or token required, supervisors see their own teams only."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dashboard.ingest.services import events_ingest
from tests.factories import QueueFactory, SourceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/live/"


@pytest.fixture
def teams():
    first, second = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn", line="second")
    QueueFactory(name="Algemeen", team=first)
    QueueFactory(name="Techniek", team=second)
    return first, second


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def test_needs_login():
    response = APIClient().get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert "credentials were not provided" in response.json()["error"]


def test_personal_api_token_works(teams):
    user = UserFactory(role="manager")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert client.get(URL).status_code == 200


def test_manager_sees_everything(teams):
    body = client_for(UserFactory(role="manager")).get(URL).json()
    assert {q["name"] for q in body["queues"]} == {"Algemeen", "Techniek"}
    assert {t["name"] for t in body["teams"]} == {"1e lijn", "2e lijn"}
    assert body["channels"][0]["channel"] == "voice" and body["all"]["today"]["offered"] == 0


def test_supervisor_sees_only_their_teams(teams):
    first, _ = teams
    body = client_for(UserFactory(role="supervisor", teams=[first])).get(URL).json()
    assert [q["name"] for q in body["queues"]] == ["Algemeen"]
    assert [t["name"] for t in body["teams"]] == ["1e lijn"]
    assert "all" not in body and "channels" not in body


def test_account_without_role_is_refused(teams):
    response = client_for(UserFactory()).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "no role" in response.json()["error"]


def test_snapshot_follows_ingested_events(teams):
    from datetime import UTC, datetime

    client = client_for(UserFactory(role="manager"))
    now = datetime.now(UTC).isoformat()
    events_ingest(
        source=SourceFactory(name="acd"),
        events=[
            {
                "id": "1",
                "type": "contact.offered",
                "at": now,
                "contact_id": "c",
                "queue": "Techniek",
                "channel": "voice",
            }
        ],
    )
    techniek = next(q for q in client.get(URL).json()["queues"] if q["name"] == "Techniek")
    assert techniek["waiting"] == 1 and techniek["today"]["offered"] == 1


@pytest.mark.parametrize("path", ["/", "/api/docs/", "/api/schema/"])
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code in (302, 401, 403)


def test_home_page_in_dutch_and_english(client, teams):
    client.force_login(UserFactory(role="manager"))
    assert "Live-overzicht" in client.get("/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Live overview" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_schema_documents_the_events(client):
    client.force_login(UserFactory(role="admin"))
    schema = client.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/events/"]["post"]
    assert {"200", "207", "400", "401"} <= set(post["responses"])
    event = schema["components"]["schemas"]["EventRequest"]
    assert set(event["discriminator"]["mapping"]) == {
        "contact.offered",
        "contact.answered",
        "contact.abandoned",
        "contact.transferred",
        "contact.ended",
        "contact.wrapup_ended",
        "callback.requested",
        "callback.completed",
        "agent.state",
    }
    assert "/api/v1/live/" in schema["paths"]
    assert client.get("/api/docs/").status_code == 200
