"""Who a scope's agent counts are (issue 9, point 7): a queue's agents are those skilled on it, so an agent
with two skills counts on both queues and a team's queues add up to more agents than the team; the team
and the centre count each agent once. The snapshot and every tile say which (``agents_by``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.ingest.services import events_ingest
from dashboard.live.publisher import scope_messages
from dashboard.live.selectors import live_snapshot_from_db
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory


@pytest.mark.django_db
def test_queues_count_agents_by_skill_teams_and_centre_once():
    team = TeamFactory(name="Klantenservice")
    algemeen = QueueFactory(name="Algemeen", team=team)
    facturen = QueueFactory(name="Facturen", team=team)
    chat = QueueFactory(name="Chat", team=team, channel="chat")
    AgentFactory(login_id="ann", team=team, skills=[algemeen, facturen, chat])
    AgentFactory(login_id="bob", team=team, skills=[algemeen, facturen])
    AgentFactory(login_id="cas", team=team, skills=[chat])
    now = timezone.now()
    at = (now - timedelta(minutes=5)).isoformat()
    events_ingest(
        source=SourceFactory(name="acd"),
        events=[
            {"id": f"s{login}", "type": "agent.state", "at": at, "agent": login, "state": state}
            for login, state in (("ann", "on_contact"), ("bob", "available"), ("cas", "available"))
        ],
    )
    snapshot = live_snapshot_from_db(now=now)
    queues = {q["name"]: q for q in snapshot["queues"]}
    assert {name: (q["agents"]["logged_in"], q["agents_by"]) for name, q in queues.items()} == {
        "Algemeen": (2, "skill"),
        "Facturen": (2, "skill"),
        "Chat": (2, "skill"),
    }
    (team_scope,) = snapshot["teams"]
    assert (team_scope["agents"]["logged_in"], team_scope["agents_by"]) == (3, "team")
    assert sum(q["agents"]["logged_in"] for q in queues.values()) == 6 > 3  # why the tiles say so
    assert (snapshot["all"]["agents"]["logged_in"], snapshot["all"]["agents_by"]) == (3, "centre")
    channels = {c["channel"]: c for c in snapshot["channels"]}
    assert (channels["voice"]["agents"]["logged_in"], channels["voice"]["agents_by"]) == (2, "skill")

    messages = scope_messages(snapshot, {})
    _, data = messages[(f"team:{team.id}", "snapshot")]
    assert data["total"]["agents_by"] == "team"
    assert {t["agents_by"] for t in data["tiles"]} == {"skill"}
