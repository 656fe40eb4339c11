"""POST /api/v1/events/ as an ACD would use it, with a token from create_source_token."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from dashboard.core.models import Contact, Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"
AT = datetime.now(UTC).replace(microsecond=0).isoformat()


def offered(i, **extra):
    return {
        "id": f"e{i}",
        "type": "contact.offered",
        "at": AT,
        "contact_id": f"c{i}",
        "queue": "Algemeen",
        "channel": "voice",
        **extra,
    }


@pytest.fixture
def token():
    out = StringIO()
    call_command("create_source_token", "acd", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) >= 2 and " " not in lines[-1]
    return lines[-1]


@pytest.fixture
def acd(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_accepts_a_batch(acd):
    response = acd.post(URL, [offered(1), offered(2)], format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 0)
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert Contact.objects.count() == 2


def test_resent_ids_are_duplicates(acd):
    acd.post(URL, [offered(1)], format="json")
    body = acd.post(URL, [offered(1), offered(2)], format="json").json()
    assert [r["status"] for r in body["results"]] == ["duplicate", "accepted"]
    assert Event.objects.count() == 2


def test_mixed_batch_is_207_and_keeps_the_valid_events(acd):
    response = acd.post(URL, [offered(1), offered(2, channel="fax"), offered(3)], format="json")
    assert response.status_code == 207
    results = response.json()["results"]
    assert results[1]["status"] == "rejected" and results[1]["field"] == "channel"
    assert "'fax' is not a channel" in results[1]["reason"]
    assert Event.objects.count() == 2


def test_all_rejected_is_400_with_every_reason(acd):
    response = acd.post(URL, [offered(1, at="soon"), {"id": "x"}], format="json")
    assert response.status_code == 400
    body = response.json()
    assert "all 2 events were rejected" in body["error"]
    assert [r["field"] for r in body["results"]] == ["at", "type"]


@pytest.mark.parametrize(
    "payload, words",
    [
        pytest.param({"id": "e1"}, "must be a JSON array", id="object-not-array"),
        pytest.param([], "1 to 5000 events; this one has 0", id="empty"),
        pytest.param([offered(i) for i in range(5001)], "this one has 5001", id="too-many"),
    ],
)
def test_bad_bodies_are_400_saying_what_is_wrong(acd, payload, words):
    response = acd.post(URL, payload, format="json")
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_malformed_json_says_where(acd):
    response = acd.post(URL, data='[{"id": "e1",]', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["error"] and "line 1" in response.json()["error"]


def test_5000_events_in_one_batch(acd):
    response = acd.post(URL, [offered(i) for i in range(5000)], format="json")
    assert response.status_code == 200 and response.json()["accepted"] == 5000


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", "Bearer", "Token abc"],
    ids=["none", "wrong", "empty", "user-token-scheme"],
)
def test_needs_a_source_token(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(URL, [offered(1)], format="json")
    assert response.status_code == 401
    assert response.json()["error"]
    assert Event.objects.count() == 0


def test_a_logged_in_person_cannot_post_events():
    client = APIClient()
    client.force_login(UserFactory(role="admin"))
    response = client.post(URL, [offered(1)], format="json")
    assert response.status_code in (401, 403)
    assert Event.objects.count() == 0


def test_a_new_token_replaces_the_old(token):
    out = StringIO()
    call_command("create_source_token", "acd", stdout=out)
    new = out.getvalue().strip().splitlines()[-1]
    old_client, new_client = APIClient(), APIClient()
    old_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    new_client.credentials(HTTP_AUTHORIZATION=f"Bearer {new}")
    assert old_client.post(URL, [offered(1)], format="json").status_code == 401
    assert new_client.post(URL, [offered(1)], format="json").status_code == 200
