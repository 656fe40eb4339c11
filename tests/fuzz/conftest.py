"""The fuzz suite's centre (the demo centre with a few simulated hours), one logged-in client per role,
the settings every fuzz test shares, and the tally printed at the end of the run."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings

from dashboard.core.models import Agent, Queue, Team
from dashboard.ingest.services import events_ingest
from dashboard.intervals.services import intervals_update
from dashboard.simulator.demo import demo_config_load
from dashboard.simulator.engine import Simulator
from dashboard.simulator.spec import centre_spec_from_db
from tests.factories import SourceFactory, UserFactory
from tests.fuzz import tally

# CI repeatability: the same inputs on every run, nothing remembered between runs, no time limit per
# example (a PDF takes longer than a JSON answer). KCC_FUZZ_SCALE multiplies every test's examples.
SCALE = float(os.environ.get("KCC_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = tally.table()
    if lines:
        terminalreporter.section("fuzz tally (generated inputs per area, by status class)")
        for line in lines:
            terminalreporter.write_line(line)


ROLES = ("admin", "manager", "wfm", "supervisor", "norole", "anonymous")


@dataclass
class FuzzCentre:
    today: date
    queues: list[str]
    teams: list[str]
    team_ids: list[int]
    queue_ids: list[int]
    agents: list[str]
    clients: dict[str, Client]
    users: dict


def _simulate(hours: int = 3) -> None:
    now = timezone.now()
    start = now - timedelta(hours=hours)
    events = Simulator(centre_spec_from_db(), 11, start, volume_scale=0.3).run_until(now)
    source = SourceFactory(name="simulator")
    for i in range(0, len(events), 2000):
        events_ingest(source=source, events=events[i : i + 2000], now=now)
    intervals_update(now=now)


def make_centre() -> FuzzCentre:
    demo_config_load()
    _simulate()
    teams = list(Team.objects.order_by("id"))
    users = {
        "admin": UserFactory(username="fuzz-admin", is_superuser=True, is_staff=True),
        "manager": UserFactory(username="fuzz-manager", role="manager"),
        "wfm": UserFactory(username="fuzz-wfm", role="wfm"),
        "supervisor": UserFactory(username="fuzz-supervisor", role="supervisor", teams=[teams[0]]),
        "norole": UserFactory(username="fuzz-norole"),
    }
    clients = {}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    clients["anonymous"] = Client()
    queues = list(Queue.objects.order_by("id"))
    return FuzzCentre(
        today=timezone.localdate(),
        queues=[q.name for q in queues],
        teams=[t.name for t in teams],
        team_ids=[t.id for t in teams],
        queue_ids=[q.id for q in queues],
        agents=list(Agent.objects.order_by("id").values_list("login_id", flat=True)[:8]),
        clients=clients,
        users=users,
    )


@pytest.fixture(scope="module")
def centre(django_db_setup, django_db_blocker) -> FuzzCentre:
    """One centre per module, in a transaction rolled back at the module's end (each test's own
    transaction nests inside it as a savepoint)."""
    with django_db_blocker.unblock():
        # Marked as Django's TestCase marks its class-wide transaction, so that the ingest's durable
        # transaction may run inside it, as inside any test's.
        atomic = transaction.atomic()
        atomic._from_testcase = True
        with atomic:
            yield make_centre()
            transaction.set_rollback(True)
