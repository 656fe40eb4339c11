"""Issue 11, point 12: a source token cannot fill the centre with queues and agents, nor change another
source's contacts. Unknown queue and agent names follow the source's settings (create, quarantine, reject,
with a cap); contacts are namespaced per source unless sources are linked by a shared namespace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.core.models import Agent, Contact, NewNames, Queue, Source
from dashboard.core.periods import centre_tz, day_bounds
from dashboard.ingest.rebuild import state_rebuild
from dashboard.ingest.services import events_ingest
from dashboard.ingest.sources import source_delivery_record, source_for_internal_use
from dashboard.intervals.models import QueueInterval
from dashboard.intervals.selectors import queues_filtered
from dashboard.live.selectors import live_config
from dashboard.reports.compute import days_compute, queue_info
from tests.factories import QueueFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"
NOW = datetime.now(UTC).replace(microsecond=0)


def at(seconds_ago: float = 0) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).isoformat()


def offered(n, queue="Algemeen", contact=None, **extra):
    return {
        "id": f"o{n}",
        "type": "contact.offered",
        "at": at(60),
        "contact_id": contact or f"c{n}",
        "queue": queue,
        "channel": "voice",
        **extra,
    }


def token_for(name: str, *options: str) -> APIClient:
    out = StringIO()
    call_command("create_source_token", name, *options, stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip().splitlines()[-1]}")
    return client


def post(client: APIClient, events: list[dict]) -> dict:
    response = client.post(URL, events, format="json")
    body = response.json()
    # 200: all taken; 207: some rejected; 400: all rejected.
    expected = 200 if not body["rejected"] else 207 if body["accepted"] + body["duplicates"] else 400
    assert response.status_code == expected, response.content
    return body


# --- contacts are namespaced per source --------------------------------------------------------------------


def test_a_second_source_cannot_change_the_first_sources_contact():
    QueueFactory(name="Algemeen")
    acd, intruder = token_for("acd"), token_for("intruder")
    post(acd, [offered(1)])
    body = post(intruder, [{"id": "x1", "type": "contact.abandoned", "at": at(30), "contact_id": "c1"}])
    assert body["accepted"] == 1  # the intruder's own contact c1, which has no visit
    contact = Contact.objects.get()
    assert contact.contact_id == "acd:c1"
    assert contact.abandoned_at is None and contact.waiting
    # A rebuild from the log gives the same: the log keeps who sent what.
    state_rebuild(now=NOW)
    assert list(Contact.objects.values_list("contact_id", "abandoned_at")) == [("acd:c1", None)]


def test_linked_sources_share_their_contacts():
    QueueFactory(name="Algemeen")
    acd, cti = token_for("acd"), token_for("cti", "--contact-namespace", "acd")
    assert Source.objects.get(name="cti").contact_namespace == "acd"
    post(acd, [offered(1)])
    post(cti, [{"id": "x1", "type": "contact.abandoned", "at": at(30), "contact_id": "c1"}])
    contact = Contact.objects.get()
    assert contact.contact_id == "acd:c1" and contact.abandoned_at is not None
    state_rebuild(now=NOW)
    assert Contact.objects.get().abandoned_at is not None


def test_the_same_contact_id_from_two_sources_is_two_contacts_with_the_same_figures():
    QueueFactory(name="Algemeen")
    events_ingest(source=SourceFactory(name="a"), events=[offered(1)])
    events_ingest(source=SourceFactory(name="b"), events=[offered(1)])
    assert sorted(Contact.objects.values_list("contact_id", flat=True)) == ["a:c1", "b:c1"]


def test_a_namespace_cannot_hold_a_colon():
    with pytest.raises(Exception, match="colon"):
        call_command("create_source_token", "acd", "--contact-namespace", "a:b", stdout=StringIO())


# --- unknown queues and agents ------------------------------------------------------------------------------


def test_default_source_quarantines_new_queues_hidden_until_approved():
    acd = token_for("acd")  # default settings: new queues are quarantined
    body = post(acd, [offered(1, queue="Junk 1")])
    assert body["accepted"] == 1
    junk = Queue.objects.get(name="Junk 1")
    assert junk.quarantined and junk.created_by_source.name == "acd"
    assert Contact.objects.get().queue == junk  # nothing is lost
    queues, _agents, _teams, _kpis = live_config()
    assert "Junk 1" not in {q.name for q in queues}
    assert "Junk 1" not in {q.name for q in queues_filtered()}
    # An admin approves it in the admin: then it is shown.
    admin = APIClient()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = admin.post("/admin/dashboard/queue/", {"action": "approve", "_selected_action": [junk.pk]}, follow=False)
    assert response.status_code == 302
    junk.refresh_from_db()
    assert not junk.quarantined
    assert "Junk 1" in {q.name for q in live_config()[0]}


def test_over_the_cap_events_are_rejected_one_by_one_with_field_queue():
    acd = token_for("acd", "--new-queues", "create", "--max-new-queues", "2")
    QueueFactory(name="Algemeen")
    body = post(acd, [offered(1, "Q1"), offered(2, "Q2"), offered(3, "Q3"), offered(4, "Algemeen"), offered(5, "Q1")])
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted", "rejected", "accepted", "accepted"]
    rejected = body["results"][2]
    assert rejected["field"] == "queue" and "limit of 2 queues" in rejected["reason"] and "'Q3'" in rejected["reason"]
    assert set(Queue.objects.filter(created_by_source__name="acd").values_list("name", flat=True)) == {"Q1", "Q2"}
    assert not Queue.objects.get(name="Q1").quarantined  # new_queues=create
    # The cap holds across batches too.
    again = post(acd, [offered(6, "Q4")])
    assert again["results"][0]["status"] == "rejected" and again["results"][0]["field"] == "queue"


def test_reject_policy_rejects_unknown_queues_and_transfers_to_them():
    acd = token_for("acd", "--new-queues", "reject")
    QueueFactory(name="Algemeen")
    body = post(
        acd,
        [
            offered(1, "Nieuw"),
            offered(2),
            {"id": "t2", "type": "contact.transferred", "at": at(30), "contact_id": "c2", "to_queue": "Elders"},
        ],
    )
    results = body["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted", "rejected"]
    assert results[0]["field"] == "queue" and "may not create queues" in results[0]["reason"]
    assert results[2]["field"] == "to_queue" and "'Elders'" in results[2]["reason"]
    assert not Queue.objects.filter(name__in=["Nieuw", "Elders"]).exists()


def test_agents_follow_the_same_settings():
    QueueFactory(name="Algemeen")
    acd = token_for("acd", "--new-agents", "quarantine", "--max-new-agents", "1")
    state = {"type": "agent.state", "at": at(10), "state": "available"}
    body = post(acd, [{**state, "id": "s1", "agent": "a1"}, {**state, "id": "s2", "agent": "a2"}])
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected"]
    assert body["results"][1]["field"] == "agent" and "limit of 1 agents" in body["results"][1]["reason"]
    a1 = Agent.objects.get(login_id="a1")
    assert a1.quarantined and a1.created_by_source.name == "acd"
    assert "a1" not in {a.login_id for a in live_config()[1]}
    strict = token_for("strict", "--new-agents", "reject")
    body = post(strict, [{**state, "id": "s3", "agent": "a9"}])
    assert body["results"][0]["field"] == "agent" and "may not create agents" in body["results"][0]["reason"]


def test_simulator_and_importers_create_what_they_name():
    source = source_for_internal_use(name="feeder")
    assert (source.new_queues, source.new_agents) == (NewNames.CREATE, NewNames.CREATE)
    events_ingest(source=source, events=[offered(1, "Demo")])
    assert not Queue.objects.get(name="Demo").quarantined


# --- existing contacts are migrated without loss -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_namespaces_existing_contacts():
    before, after = ("dashboard", "0004_wfm"), ("dashboard", "0005_source_namespaces_and_quarantine")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    try:
        source = old.get_model("dashboard", "Source").objects.create(name="acd", token_hash="a" * 64)
        queue = old.get_model("dashboard", "Queue").objects.create(name="Algemeen")
        old.get_model("dashboard", "Event").objects.create(
            source=source, event_id="e1", type="contact.offered", at=NOW, contact_id="c1", payload={}, received_at=NOW
        )
        old.get_model("dashboard", "Contact").objects.create(
            contact_id="c1", channel="voice", queue=queue, offered_at=NOW
        )
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        new = executor.loader.project_state([after]).apps
        assert list(new.get_model("dashboard", "Contact").objects.values_list("contact_id", flat=True)) == ["acd:c1"]
        assert new.get_model("dashboard", "Source").objects.get().contact_namespace == "acd"
        # And back: the ids the source sent.
        executor = MigrationExecutor(connection)
        executor.migrate([before])
        back = executor.loader.project_state([before]).apps
        assert list(back.get_model("dashboard", "Contact").objects.values_list("contact_id", flat=True)) == ["c1"]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_reports_leave_out_a_quarantined_queue_until_it_is_approved():
    day = NOW.astimezone(centre_tz()).date() - timedelta(days=1)
    start = day_bounds(day)[0]
    shown, junk = QueueFactory(name="Algemeen"), QueueFactory(name="Junk", quarantined=True)
    for queue in (shown, junk):
        QueueInterval.objects.create(
            queue=queue, start=start, end=start + timedelta(minutes=15), offered=5, computed_at=NOW
        )
    computed = days_compute([day])[day.isoformat()]
    assert set(computed["queues"]) == {str(shown.id)}
    assert str(junk.id) not in queue_info()
    junk.quarantined = False
    junk.save()
    assert set(days_compute([day])[day.isoformat()]["queues"]) == {str(shown.id), str(junk.id)}


# --- a source's kind and what it delivered ------------------------------------------------------------------


def test_a_source_is_created_with_its_kind_and_auth_token():
    call_command("create_source_token", "flex", "--kind", "twilio", "--auth-token", "abc123", stdout=StringIO())
    source = Source.objects.get(name="flex")
    assert (source.kind, source.auth_token) == ("twilio", "abc123")
    call_command("create_source_token", "plain", stdout=StringIO())
    assert Source.objects.get(name="plain").kind == "generic"
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("create_source_token", "x", "--kind", "genesys", stdout=StringIO())


def test_a_source_counts_what_it_delivered_and_had_rejected_but_not_duplicates():
    acd = token_for("acd", "--new-queues", "create")
    source = Source.objects.get(name="acd")
    assert (source.last_delivered_at, source.delivered_count, source.rejected_count) == (None, 0, 0)
    post(acd, [offered(1), offered(2), {**offered(3), "channel": "pigeon"}])
    post(acd, [offered(1), offered(4)])  # e1 again: a duplicate delivers nothing new
    source.refresh_from_db()
    assert (source.delivered_count, source.rejected_count, source.skipped_count) == (3, 1, 0)
    assert source.last_delivered_at is not None
    assert abs((timezone.now() - source.last_delivered_at).total_seconds()) < 60
    source_delivery_record(source.pk, skipped=5)
    source.refresh_from_db()
    assert (source.delivered_count, source.rejected_count, source.skipped_count) == (3, 1, 5)


def test_the_admin_lists_sources_with_their_kind_and_deliveries():
    acd = token_for("acd", "--new-queues", "create")
    post(acd, [offered(1)])
    admin = APIClient()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = admin.get("/admin/dashboard/source/?kind__exact=generic").content.decode()
    assert "acd" in page and "Events-API (algemeen)" in page  # Dutch: the default language
    assert "column-delivered_count" in page and "column-last_delivered_at" in page


def test_the_admin_never_shows_the_acd_auth_token_and_keeps_it_when_left_empty():
    call_command("create_source_token", "flex", "--kind", "twilio", "--auth-token", "s3cret-token", stdout=StringIO())
    source = Source.objects.get(name="flex")
    admin = APIClient()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = f"/admin/dashboard/source/{source.pk}/change/"
    page = admin.get(url).content.decode()
    assert "s3cret-token" not in page
    form = {
        "name": "flex",
        "active": "on",
        "new_queues": "create",
        "max_new_queues": "50",
        "new_agents": "create",
        "max_new_agents": "1000",
        "contact_namespace": "flex",
        "history_days": "",
        "kind": "twilio",
        "auth_token": "",
        "state_names": '{"Break": "paused"}',
    }
    response = admin.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    source.refresh_from_db()
    assert source.auth_token == "s3cret-token" and source.state_names == {"Break": "paused"}
    admin.post(url, {**form, "auth_token": "new-token"})
    source.refresh_from_db()
    assert source.auth_token == "new-token"
