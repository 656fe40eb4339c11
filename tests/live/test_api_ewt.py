"""GET /api/v1/live/ewt/?queue=<id>: the expected wait of a contact joining a queue now, from the live
state (contacts waiting, agents by state, today's AHT, the last 30 minutes' arrivals); the same figure as
the queue's wallboard tile; bad input is a 400 that says what is wrong, a queue one may not see a 404."""

from __future__ import annotations

from datetime import time as datetime_time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.ingest.services import events_ingest
from dashboard.live.publisher import scope_messages
from dashboard.live.selectors import live_snapshot
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/live/ewt/"


@pytest.fixture
def centre():
    if timezone.localtime().time() < datetime_time(0, 35):
        pytest.skip("the contacts handled 20 minutes ago would be yesterday's: too close to midnight")
    first, second = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn")
    sales = QueueFactory(name="Verkoop", team=first)
    other = QueueFactory(name="Techniek", team=second)
    mail = QueueFactory(name="Mail", team=first, channel="email", response_target_s=4 * 3600)
    for login in ("ann", "bob", "cas", "dirk"):
        AgentFactory(login_id=login, team=first, skills=[sales])
    return {"sales": sales, "other": other, "mail": mail, "first": first}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _events(now):
    """Earlier today: two contacts handled in 200 s each (AHT 200 s). Now: two agents on a contact, one in
    after-call work, one paused, and five contacts waiting."""
    at = lambda minutes: (now - timedelta(minutes=minutes)).isoformat()  # noqa: E731
    events = []
    for n, agent in ((1, "ann"), (2, "bob")):
        events += [
            {"id": f"o{n}", "type": "contact.offered", "at": at(20), "contact_id": f"h{n}", "queue": "Verkoop", "channel": "voice"},
            {"id": f"a{n}", "type": "contact.answered", "at": at(20), "contact_id": f"h{n}", "agent": agent},
            {"id": f"e{n}", "type": "contact.ended", "at": (now - timedelta(minutes=20) + timedelta(seconds=200)).isoformat(), "contact_id": f"h{n}"},
        ]  # fmt: skip
    for login, state in (("ann", "on_contact"), ("bob", "on_contact"), ("cas", "acw"), ("dirk", "paused")):
        events.append({"id": f"s{login}", "type": "agent.state", "at": at(1), "agent": login, "state": state})
    for n in range(5):
        events.append({"id": f"w{n}", "type": "contact.offered", "at": at(0.5), "contact_id": f"w{n}", "queue": "Verkoop", "channel": "voice"})  # fmt: skip
    return events


def test_the_expected_wait_from_the_live_state_equals_the_tile(centre):
    now = timezone.now()
    events_ingest(source=SourceFactory(name="acd"), events=_events(now))
    body = client_for(UserFactory(role="manager")).get(URL, {"queue": centre["sales"].id}).json()
    assert body["queue"] == {"id": centre["sales"].id, "name": "Verkoop"}
    assert (body["waiting"], body["agents_available"], body["agents_staffed"]) == (
        5,
        0,
        3,
    )  # the paused one takes nothing
    assert body["aht_s"] == pytest.approx(200.0)
    assert body["offered_last_30m"] == 7
    # 7 offered in the last 30 min (well, since the window began) × 200 s ≈ 0.8 Erlang on 3 agents: Erlang
    # C's wait is small next to five contacts ahead: (5 + 1) × 200 s ÷ 3 = 400 s.
    assert (body["ewt_s"], body["method"]) == (400.0, "position")
    tile = next(t for t in scope_messages(live_snapshot(), {})[(f"queue:{centre['sales'].id}", "snapshot")][1]["tiles"])
    assert (tile["ewt_s"], tile["ewt_method"]) == (400.0, "position")


def test_it_grows_as_contacts_join(centre):
    now = timezone.now()
    source = SourceFactory(name="acd")
    events_ingest(source=source, events=_events(now))
    client = client_for(UserFactory(role="manager"))
    before = client.get(URL, {"queue": centre["sales"].id}).json()["ewt_s"]
    events_ingest(source=source, events=[
        {"id": f"x{n}", "type": "contact.offered", "at": now.isoformat(), "contact_id": f"x{n}", "queue": "Verkoop", "channel": "voice"}
        for n in range(3)
    ])  # fmt: skip
    after = client.get(URL, {"queue": centre["sales"].id}).json()["ewt_s"]
    assert after == pytest.approx(before + 3 * 200 / 3)


def test_an_agent_free_means_no_wait_and_nobody_staffed_says_so(centre):
    now = timezone.now()
    source = SourceFactory(name="acd")
    client = client_for(UserFactory(role="manager"))
    body = client.get(URL, {"queue": centre["sales"].id}).json()
    assert (body["ewt_s"], body["method"]) == (None, "no_agents")
    events_ingest(source=source, events=[{"id": "s", "type": "agent.state", "at": now.isoformat(), "agent": "ann", "state": "available"}])  # fmt: skip
    body = client.get(URL, {"queue": centre["sales"].id}).json()
    assert (body["ewt_s"], body["method"]) == (0.0, "agent_free")


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ({}, 400, "queue: This field is required"),
        ({"queue": "verkoop"}, 400, "queue: A valid integer is required"),
        ({"queue": "0"}, 400, "queue:"),
        ({"queue": "99999"}, 404, "queue: no queue 99999"),
    ],
    ids=["missing", "a-name", "zero", "unknown"],
)
def test_bad_input_says_what_is_wrong(centre, query, status, says):
    response = client_for(UserFactory(role="manager")).get(URL, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    assert says in response.json()["error"]


def test_an_asynchronous_queue_has_no_wait_on_the_line(centre):
    response = client_for(UserFactory(role="manager")).get(URL, {"queue": centre["mail"].id})
    assert response.status_code == 400
    assert "Mail is asynchronous" in response.json()["error"]


def test_a_supervisor_sees_only_their_teams_queues(centre):
    client = client_for(UserFactory(role="supervisor", teams=[centre["first"]]))
    assert client.get(URL, {"queue": centre["sales"].id}).status_code == 200
    response = client.get(URL, {"queue": centre["other"].id})
    assert response.status_code == 404  # not told whether it exists
    assert APIClient().get(URL, {"queue": centre["sales"].id}).status_code == 401
