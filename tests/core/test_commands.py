"""Management commands and the embedded Redis, as an operator uses them."""

import json
import socket
from io import StringIO

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.management import call_command

from dashboard.core.models import Contact, Event
from dashboard.core.services import demo_users_ensure
from dashboard.ingest.services import events_ingest
from kcc.embedded_redis import ensure_running
from tests.factories import SourceFactory, TeamFactory


@pytest.mark.django_db
def test_demo_users_have_roles_and_stable_passwords(tmp_path):
    TeamFactory(name="1e", line="first")
    TeamFactory(name="2e", line="second")
    passwords = tmp_path / "users.json"
    first = demo_users_ensure(passwords)
    assert {role for _, role, _ in first} == {"admin", "manager", "wfm", "supervisor"}
    second = demo_users_ensure(passwords)
    assert first == second  # printed again, unchanged
    assert json.loads(passwords.read_text()) == {u: p for u, _, p in first}
    user_model = get_user_model()
    for username, _role, password in first:
        assert user_model.objects.get(username=username).check_password(password)
    assert list(user_model.objects.get(username="supervisor1").supervised_teams.values_list("name", flat=True)) == [
        "1e"
    ]


@pytest.mark.django_db
def test_rebuild_state_command():
    source = SourceFactory(name="acd")
    events_ingest(
        source=source,
        events=[
            {
                "id": "1",
                "type": "contact.offered",
                "at": "2026-11-20T10:00:00+01:00",
                "contact_id": "c",
                "queue": "Q",
                "channel": "voice",
            },
            {"id": "2", "type": "contact.abandoned", "at": "2026-11-20T10:01:00+01:00", "contact_id": "c"},
        ],
    )
    Contact.objects.all().delete()
    out = StringIO()
    call_command("rebuild_state", stdout=out)
    assert "visits 1" in out.getvalue() and "events 2" in out.getvalue()
    assert Contact.objects.get(contact_id="acd:c").abandoned_at is not None
    assert Event.objects.count() == 2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_embedded_redis_starts_on_loopback_and_answers():
    port = free_port()
    proc = ensure_running(f"redis://127.0.0.1:{port}/0")
    try:
        assert proc is not None
        client = redis.Redis(port=port)
        assert client.ping() and client.config_get("bind")["bind"] == "127.0.0.1"
        assert ensure_running(f"redis://127.0.0.1:{port}/0") is None  # already there: not started twice
    finally:
        proc.terminate()
        proc.wait(5)
