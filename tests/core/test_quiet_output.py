"""`make run`'s output stays readable (issue 9, point 6): ``load_demo`` does not warn once per row when
Redis is not up yet, and a refused request is one log line, not a traceback."""

from __future__ import annotations

import io
import logging

import pytest
import redis
from django.core.management import call_command

from dashboard.live import signals
from tests.factories import TeamFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_load_demo_wakes_the_publisher_once_and_warns_once_without_redis(monkeypatch, caplog):
    calls = []

    def redis_not_up_yet(reason="events"):
        calls.append(reason)
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    rechecks = []

    def channel_layer_not_up_yet(groups):
        rechecks.append(groups)
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(signals, "notify_changed", redis_not_up_yet)
    monkeypatch.setattr(signals.broadcast, "recheck", channel_layer_not_up_yet)
    with caplog.at_level(logging.WARNING, logger="dashboard.live.signals"):
        call_command("load_demo", stdout=io.StringIO())
    warnings = [r for r in caplog.records if r.name == "dashboard.live.signals"]
    assert len(calls) == 1 and len(rechecks) == 1  # one wake-up, one recheck of every new demo user
    assert len(rechecks[0]) >= 5
    assert [r.getMessage().split(" (")[0] for r in warnings] == [
        "could not wake the live publisher; it refreshes on its own within seconds",
        "could not ask live sockets to check their rights again",
    ]
    assert not any(r.exc_info for r in warnings)  # a line each, no traceback


@pytest.mark.django_db(transaction=True)
def test_every_transaction_that_changes_the_centre_still_wakes_the_publisher(monkeypatch):
    from django.db import transaction

    calls = []
    monkeypatch.setattr(signals, "notify_changed", calls.append)
    TeamFactory(name="A")
    assert calls == ["config"]
    with transaction.atomic():
        TeamFactory(name="B")
        try:
            with transaction.atomic():
                TeamFactory(name="C")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert calls == ["config"]  # after commit, not before
    assert calls == ["config", "config"]
    with transaction.atomic():
        try:
            with transaction.atomic():
                TeamFactory(name="D")  # its wake-up is dropped with the savepoint ...
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        TeamFactory(name="E")  # ... so this change registers its own
    assert calls == ["config"] * 3


@pytest.mark.django_db(transaction=True)
def test_rights_changes_in_one_transaction_are_rechecked_together(monkeypatch):
    from django.db import transaction

    sent = []
    monkeypatch.setattr(signals.broadcast, "recheck", sent.append)
    team = TeamFactory(name="A")
    first, second = UserFactory(username="u1"), UserFactory(username="u2")
    sent.clear()
    with transaction.atomic():
        team.supervisors.add(first)
        team.supervisors.add(second)
        assert sent == []  # after commit
    assert sent == [sorted([f"live.user.{first.pk}", f"live.user.{second.pk}"])]
    with transaction.atomic():
        try:
            with transaction.atomic():
                team.supervisors.remove(first)  # rolled back with its savepoint ...
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        team.supervisors.remove(second)  # ... this one is not
    assert sent[1] == [f"live.user.{second.pk}"]


@pytest.fixture
def console():
    """The console handler ``LOGGING`` configures, writing into a buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    yield buffer
    handler.setStream(old)


@pytest.mark.django_db
def test_a_403_is_one_line_without_a_traceback(client, console):
    user = UserFactory(username="sup", role="supervisor", teams=[TeamFactory()], is_staff=True)
    client.force_login(user)
    assert client.get("/admin/auth/user/").status_code == 403  # the admin raises PermissionDenied
    assert client.get("/reports/").status_code == 403
    lines = console.getvalue().splitlines()
    assert "Forbidden (Permission denied): /admin/auth/user/" in lines
    assert "Forbidden: /reports/" in lines
    assert not any("Traceback" in line or "PermissionDenied" in line for line in lines), lines


def test_a_server_error_keeps_its_traceback(console):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x/", exc_info=True, extra={"status_code": 500}
        )
    assert "Traceback" in console.getvalue() and "ValueError: boom" in console.getvalue()
