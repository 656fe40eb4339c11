"""The read replica (``replica`` alias): the reports, the interval API and the exports read it; ingest, the
live path and the aggregation never do. The replica here is the test database seen through a connection
of its own (``TEST: MIRROR``), as ``DATABASE_REPLICA_URL`` makes it in tests; without that variable this
module adds the same alias itself, so the routing is tested on every run."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dashboard.core import replica as dbrouter
from dashboard.core.periods import local_date
from dashboard.intervals.services import intervals_update
from dashboard.live.services import live_rebuild
from dashboard.wfm.selectors import ExportQuery
from dashboard.wfm.services.export import interval_export_create, interval_export_run
from tests.factories import UserFactory


@pytest.fixture(scope="module")
def replica_alias(django_db_setup, django_db_blocker):
    """The ``replica`` alias on the test database (a second connection), when the settings have none."""
    added = "replica" not in connections.settings
    if added:
        default = connections["default"].settings_dict
        connections.settings["replica"] = {**default, "TEST": {**default["TEST"], "MIRROR": "default"}}
    yield
    replica = connections["replica"]
    replica.close()
    if hasattr(replica, "close_pool"):  # PostgreSQL with a pool: its connections too, so the test database can go
        replica.close_pool()
    if added:
        del connections["replica"]
        del connections.settings["replica"]


def _selects(ctx: CaptureQueriesContext, table: str) -> list[str]:
    return [
        q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT") and table in q["sql"]
    ]


@pytest.fixture
def history(replica_alias, db):
    """Today's events through the API (with a source token), and the intervals aggregated from them."""
    out = io.StringIO()
    call_command("create_source_token", "acd", "--new-queues", "create", stdout=out)
    acd = APIClient()
    acd.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip().splitlines()[-1]}")
    return acd


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def test_ingest_and_the_live_path_never_read_the_replica(history):
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
    events = [
        {"id": "o1", "type": "contact.offered", "at": at.isoformat(), "contact_id": "c1", "queue": "Algemeen", "channel": "voice"},
        {"id": "a1", "type": "contact.answered", "at": (at + timedelta(seconds=12)).isoformat(), "contact_id": "c1", "agent": "a1"},
        {"id": "e1", "type": "contact.ended", "at": (at + timedelta(seconds=200)).isoformat(), "contact_id": "c1", "talk_s": 188},
    ]  # fmt: skip
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as default,
    ):
        response = history.post("/api/v1/events/", events, format="json")
        assert response.status_code == 200, response.content
        live_rebuild()  # the live state from the log
        intervals_update()  # the aggregation reads what ingest just wrote: the primary
        manager = APIClient()
        manager.force_login(UserFactory(role="manager"))
        assert manager.get("/api/v1/live/").status_code == 200
    assert replica.captured_queries == []
    assert _selects(default, "dashboard_event") and _selects(default, "dashboard_contact")


def test_reports_the_interval_api_and_exports_read_the_replica(history):
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    history.post("/api/v1/events/", [
        {"id": "o1", "type": "contact.offered", "at": at.isoformat(), "contact_id": "c1", "queue": "Algemeen", "channel": "voice"},
    ], format="json")  # fmt: skip
    intervals_update()
    day = local_date(at).isoformat()
    wfm = APIClient()
    wfm.force_login(UserFactory(role="wfm"))
    manager = APIClient()
    manager.force_login(UserFactory(role="manager"))

    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as default,
    ):
        response = wfm.get("/api/v1/intervals/", {"start": day, "end": day, "format": "csv"})
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode()  # streamed after the view returned
    assert "Algemeen" in body
    assert _selects(replica, "dashboard_queueinterval")
    assert not _selects(default, "dashboard_queueinterval")
    assert [q for q in default.captured_queries if "auditlog" in q["sql"] or "audit" in q["sql"]]  # the write: primary

    for url in ("/api/v1/reports/daily/", "/reports/daily/"):
        with (
            CaptureQueriesContext(connections["replica"]) as replica,
            CaptureQueriesContext(connections["default"]) as default,
        ):
            response = manager.get(url, {"date": day})
            assert response.status_code == 200, (url, response.content[:500])
        assert _selects(replica, "dashboard_report") or _selects(replica, "dashboard_queueinterval"), url
        assert not _selects(default, "dashboard_report") and not _selects(default, "dashboard_queueinterval"), url

    export = interval_export_create(user=UserFactory(role="wfm"), query=_query(day), fmt="csv")
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as default,
    ):
        assert interval_export_run(export_id=str(export.id)).status == "done"
    assert _selects(replica, "dashboard_queueinterval")
    assert not _selects(default, "dashboard_queueinterval")
    assert [q for q in default.captured_queries if q["sql"].startswith("UPDATE")]  # its progress: primary


def _query(day: str) -> ExportQuery:
    return ExportQuery(first_day=date.fromisoformat(day), last_day=date.fromisoformat(day))


def test_without_a_replica_everything_reads_the_primary(settings):
    with dbrouter.reading_replica():
        assert dbrouter.ReplicaRouter().db_for_read(None) == "replica"
    assert dbrouter.ReplicaRouter().db_for_read(None) == "default"
    assert dbrouter.ReplicaRouter().db_for_write(None) == "default"
    assert dbrouter.ReplicaRouter().allow_migrate("replica", "dashboard") is False


def test_who_asks_is_always_read_on_the_primary(replica_alias, history):
    """A token made a moment ago works on a replica-reading endpoint: users and tokens come from the primary."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=UserFactory(role="manager"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert client.get("/api/v1/reports/daily/", {"date": "2026-11-30"}).status_code == 200
    assert not _selects(replica, "authtoken") and not _selects(replica, "auth_user")
    assert _selects(replica, "dashboard_")
