"""The drill-downs behind the live pages' figures: the contacts waiting now, today's abandoned callers not
yet called back, the callbacks at risk and a queue's contacts in an interval. The rules are table-tested;
the lists are read from the live state and, while it is not loaded, from the database, alike; the API
is scoped like the wallboard and says what is wrong with its input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as datetime_time
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.core.models import Contact, Source
from dashboard.core.periods import centre_tz
from dashboard.ingest.services import events_ingest
from dashboard.live import keys
from dashboard.live.drilldown import (
    abandoned_not_called_back,
    callbacks_at_risk,
    interval_contacts,
    waiting_contacts,
)
from dashboard.live.rules import calls_back, visit_outcome, visit_wait_s
from dashboard.live.services import live_rebuild
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory, UserFactory

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def visit(contact_id="acd:1", seq=0, ref="K1", offered=0, answered=None, abandoned=None, transferred=None,
          ended=None, completed=None):  # fmt: skip
    at = lambda s: None if s is None else T0 + timedelta(seconds=s)  # noqa: E731
    return SimpleNamespace(
        contact_id=contact_id, seq=seq, customer_ref=ref, offered_at=at(offered), answered_at=at(answered),
        abandoned_at=at(abandoned), transferred_at=at(transferred), ended_at=at(ended),
        callback_completed_at=at(completed),
    )  # fmt: skip


ABANDONED = visit(contact_id="acd:5", offered=0, abandoned=40)


@pytest.mark.parametrize(
    ("other", "called_back"),
    [
        (visit(contact_id="acd:9", offered=600, answered=620), True),  # called again, answered
        (visit(contact_id="acd:9", ref="K2", offered=600, answered=620), False),  # another customer
        (visit(contact_id="acd:9", offered=600, abandoned=650), False),  # called again, gave up again
        (visit(contact_id="acd:9", offered=-600, answered=-590), False),  # answered before: not a callback
        (visit(contact_id="acd:9", offered=0, answered=5), True),  # same instant, higher id: the later
        (visit(contact_id="acd:1", offered=0, answered=5), False),  # same instant, lower id: the earlier
        (visit(contact_id="out:77", seq=1, offered=900, answered=930), True),  # an outbound callback's visit
        (visit(contact_id="acd:5", offered=0, abandoned=40), False),  # itself, no callback made
        (visit(contact_id="acd:5", offered=0, abandoned=40, completed=3600), True),  # its own callback made
    ],
    ids=[
        "answered-later",
        "other-customer",
        "abandoned-again",
        "answered-before",
        "same-instant-later",
        "same-instant-earlier",
        "outbound",
        "itself",
        "own-callback",
    ],  # fmt: skip
)
def test_called_back(other, called_back):
    abandoned = ABANDONED if other.contact_id != "acd:5" or not other.callback_completed_at else other
    assert calls_back(abandoned, other) is called_back


def test_an_anonymous_caller_is_never_called_back():
    anonymous = visit(contact_id="acd:5", ref="", abandoned=40)
    assert calls_back(anonymous, visit(contact_id="acd:9", ref="", offered=600, answered=620)) is False


NOW = T0 + timedelta(seconds=1000)


@pytest.mark.parametrize(
    ("v", "outcome", "wait_s"),
    [
        (visit(answered=25, ended=300), "answered", 25.0),
        (visit(abandoned=40), "abandoned", 40.0),
        (visit(transferred=90), "transferred", 90.0),
        (visit(ended=12), "ended", 12.0),
        (visit(), "waiting", 1000.0),
        (visit(offered=1005), "waiting", 0.0),  # clocks a little apart: never negative
    ],
    ids=["answered", "abandoned", "transferred", "ended", "waiting", "waiting-future"],
)
def test_outcome_and_wait(v, outcome, wait_s):
    assert (visit_outcome(v), visit_wait_s(v, NOW)) == (outcome, wait_s)


# --- the lists, from the live state and from the database --------------------------------------------------

URL = "/api/v1/live/"
INTERVAL = "/api/v1/drilldown/interval/"


@pytest.fixture
def centre(db):
    if timezone.localtime().time() < datetime_time(1, 0):
        pytest.skip("the contacts of 40 minutes ago would be yesterday's: too close to midnight")
    first, second = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn")
    sales = QueueFactory(name="Verkoop", team=first, short_abandon_threshold_s=5)
    other = QueueFactory(name="Techniek", team=second)
    AgentFactory(login_id="ann", name="Ann", team=first, skills=[sales])
    now = timezone.now()
    events_ingest(source=SourceFactory(name="acd"), events=_events(now))
    return SimpleNamespace(first=first, second=second, sales=sales, other=other, now=now)


def _events(now):
    at = lambda minutes: (now - timedelta(minutes=minutes)).isoformat()  # noqa: E731
    events = []

    def offer(cid, minutes, ref="", queue="Verkoop"):
        body = {"id": f"o-{cid}", "type": "contact.offered", "at": at(minutes), "contact_id": cid, "queue": queue,
                "channel": "voice"}  # fmt: skip
        if ref:
            body["customer_ref"] = ref
        events.append(body)

    def then(kind, cid, minutes, **fields):
        events.append({"id": f"{kind}-{cid}", "type": kind, "at": at(minutes), "contact_id": cid, **fields})

    # waiting now: w1 for 10 min, w2 for 2 min; w3 in the other team's queue
    offer("w1", 10, "K1"), offer("w2", 2), offer("w3", 5, "K3", queue="Techniek")
    # abandoned today: a1 not called back; a2 answered when the customer called again; a3 called again
    # and gave up again (both listed); a4 anonymous; y1 abandoned yesterday
    offer("a1", 30, "K10"), then("contact.abandoned", "a1", 29)
    offer("a2", 30, "K11"), then("contact.abandoned", "a2", 30 - 3 / 60)  # a short abandon: 3 s
    offer("r2", 20, "K11"), then("contact.answered", "r2", 19, agent="ann"), then("contact.ended", "r2", 15, talk_s=240)
    offer("a3", 25, "K12"), then("contact.abandoned", "a3", 24)
    offer("r3", 15, "K12"), then("contact.abandoned", "r3", 14)
    offer("a4", 12), then("contact.abandoned", "a4", 11)
    offer("y1", 25 * 60, "K13"), then("contact.abandoned", "y1", 25 * 60 - 1)
    # callbacks promised: c1 in 10 min, c2 in 60 min, c3 5 min ago (overdue), c4 in 5 min but made
    for cid, due in (("c1", 10), ("c2", 60), ("c3", -5), ("c4", 5)):
        offer(cid, 40, f"K-{cid}")
        then("callback.requested", cid, 39, promised_by=(now + timedelta(minutes=due)).isoformat())
        then("contact.ended", cid, 39)
    then("callback.completed", "c4", 1)
    return events


def _rows(answer, *fields):
    return [tuple(row[f] for f in fields) for row in answer["contacts"]]


@pytest.fixture(params=["live state", "database"])
def source(request, centre):
    if request.param == "live state":
        live_rebuild(now=centre.now)
        assert keys.client().exists(keys.loaded_key())
    else:
        keys.client().delete(keys.loaded_key())
    return request.param


def test_waiting_now_longest_first(centre, source):
    both = [centre.sales, centre.other]
    answer = waiting_contacts(queues=both, limit=100, now=centre.now)
    assert _rows(answer, "contact_id", "customer_ref") == [("acd:w1", "K1"), ("acd:w3", "K3"), ("acd:w2", "")]
    assert [row["wait_s"] for row in answer["contacts"]] == [600.0, 300.0, 120.0]
    assert answer["contacts"][0]["queue"] == {"id": centre.sales.id, "name": "Verkoop"}
    assert answer["contacts"][0]["offered_at"].endswith(("+01:00", "+02:00"))  # the centre's time
    assert (answer["count"], answer["truncated"]) == (3, False)
    capped = waiting_contacts(queues=both, limit=2, now=centre.now)
    assert (_rows(capped, "contact_id"), capped["count"], capped["truncated"]) == ([("acd:w1",), ("acd:w3",)], 3, True)


def test_abandoned_today_not_called_back(centre, source):
    answer = abandoned_not_called_back(queues=[centre.sales, centre.other], limit=100, now=centre.now)
    assert _rows(answer, "contact_id", "customer_ref", "wait_s", "short_abandon") == [
        # hung up after a callback was promised, not made yet (c4's was made)
        ("acd:c1", "K-c1", 60.0, False),
        ("acd:c2", "K-c2", 60.0, False),
        ("acd:c3", "K-c3", 60.0, False),
        ("acd:a1", "K10", 60.0, False),
        ("acd:a3", "K12", 60.0, False),
        ("acd:r3", "K12", 60.0, False),
    ]
    assert [row["callback_promised_by"] is not None for row in answer["contacts"]] == [True] * 3 + [False] * 3
    assert (answer["count"], answer["anonymous"], answer["truncated"]) == (6, 1, False)


def test_a_callback_made_on_the_abandoned_contact_counts_as_called_back(centre, source):
    events_ingest(source=SourceFactory(name="acd-2"), events=[
        {"id": "x1", "type": "contact.offered", "at": (centre.now - timedelta(minutes=8)).isoformat(),
         "contact_id": "x1", "queue": "Verkoop", "channel": "voice", "customer_ref": "K20"},
        {"id": "x2", "type": "callback.requested", "at": (centre.now - timedelta(minutes=7)).isoformat(),
         "contact_id": "x1", "promised_by": (centre.now + timedelta(hours=1)).isoformat()},
        {"id": "x3", "type": "contact.abandoned", "at": (centre.now - timedelta(minutes=7)).isoformat(), "contact_id": "x1"},
    ])  # fmt: skip

    def listed():
        answer = abandoned_not_called_back(queues=[centre.sales], limit=100, now=centre.now)
        return [row["contact_id"] for row in answer["contacts"]]

    assert "acd-2:x1" in listed()
    events_ingest(source=Source.objects.get(name="acd-2"), events=[
        {"id": "x4", "type": "callback.completed", "at": centre.now.isoformat(), "contact_id": "x1"},
    ])  # fmt: skip
    assert "acd-2:x1" not in listed()


@pytest.mark.parametrize(
    ("minutes", "overdue", "expected"),
    [
        (15, True, ["acd:c3", "acd:c1"]),
        (15, False, ["acd:c1"]),
        (90, True, ["acd:c3", "acd:c1", "acd:c2"]),
        (1, False, []),
    ],
)
def test_callbacks_at_risk(centre, source, minutes, overdue, expected):
    answer = callbacks_at_risk(queues=[centre.sales], within_min=minutes, overdue=overdue, limit=100, now=centre.now)
    assert [row["contact_id"] for row in answer["contacts"]] == expected
    assert answer["count"] == len(expected)
    for row in answer["contacts"]:
        assert row["overdue"] is (row["contact_id"] == "acd:c3")
        assert row["customer_ref"] == "K-" + row["contact_id"][4:]
        assert row["requested_at"] is not None


def test_a_queues_contacts_in_an_interval(centre):
    start, end = centre.now - timedelta(minutes=31), centre.now - timedelta(minutes=15)
    answer = interval_contacts(queue=centre.sales, start=start, end=end, limit=100, now=centre.now)
    rows = {row["contact_id"]: row for row in answer["contacts"]}
    assert list(rows) == ["acd:a1", "acd:a2", "acd:a3", "acd:r2"]  # r3 offered 15 min ago: at [end, …)
    r2 = rows["acd:r2"]
    assert (r2["outcome"], r2["wait_s"], r2["talk_s"], r2["agent"]) == (
        "answered", 60.0, 240.0, {"login_id": "ann", "name": "Ann"}
    )  # fmt: skip
    assert (rows["acd:a2"]["outcome"], rows["acd:a2"]["short_abandon"]) == ("abandoned", True)
    assert rows["acd:a1"]["abandoned_at"] is not None and rows["acd:a1"]["answered_at"] is None
    # half-open: r3, offered at the end, is the next interval's
    later = interval_contacts(queue=centre.sales, start=end, end=centre.now, limit=100, now=centre.now)
    assert [row["contact_id"] for row in later["contacts"]][:1] == ["acd:r3"]


# --- the API ---------------------------------------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_supervisor_sees_their_teams_queues_only(centre):
    client = client_for(UserFactory(role="supervisor", teams=[centre.first]))
    body = client.get(URL + "waiting/").json()
    assert [row["contact_id"] for row in body["contacts"]] == ["acd:w1", "acd:w2"]
    for query in ({"queue": centre.other.id}, {"team": centre.second.id}):
        response = client.get(URL + "waiting/", query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
    hidden = client.get(URL + "abandoned/", {"queue": centre.other.id}).json()["error"]
    missing = client.get(URL + "abandoned/", {"queue": 999999}).json()["error"]
    assert (hidden, missing) == (
        f"queue: no queue {centre.other.id} that you may see",
        "queue: no queue 999999 that you may see",
    )
    response = client.get("/api/v1/drilldown/interval/", {"queue": centre.other.id, "start": centre.now.isoformat(),
                                                          "end": (centre.now + timedelta(minutes=1)).isoformat()})  # fmt: skip
    assert response.status_code == 404
    manager = client_for(UserFactory(role="manager")).get(URL + "waiting/", {"team": centre.second.id}).json()
    assert [row["contact_id"] for row in manager["contacts"]] == ["acd:w3"]


def test_the_api_lists(centre):
    client = client_for(UserFactory(role="manager"))
    abandoned = client.get(URL + "abandoned/", {"channel": "voice"}).json()
    assert [row["contact_id"] for row in abandoned["contacts"]] == [
        "acd:c1",
        "acd:c2",
        "acd:c3",
        "acd:a1",
        "acd:a3",
        "acd:r3",
    ]
    callbacks = client.get(URL + "callbacks/", {"minutes": 90, "overdue": "false", "queue": centre.sales.id}).json()
    assert [row["contact_id"] for row in callbacks["contacts"]] == ["acd:c1", "acd:c2"]
    local = (centre.now - timedelta(minutes=30)).astimezone(centre_tz())
    start = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
    body = client.get(
        "/api/v1/drilldown/interval/", {"queue": centre.sales.id, "interval": start.isoformat(), "length": 15}
    ).json()
    assert body["start"] == start.isoformat() and body["end"] == (start + timedelta(minutes=15)).isoformat()
    expected = Contact.objects.filter(
        queue=centre.sales, offered_at__gte=start, offered_at__lt=start + timedelta(minutes=15)
    )
    assert sorted(row["contact_id"] for row in body["contacts"]) == sorted(c.contact_id for c in expected)
    assert "acd:a1" in [row["contact_id"] for row in body["contacts"]]


@pytest.mark.parametrize(
    ("path", "query", "says"),
    [
        (URL + "waiting/", {"queue": "verkoop"}, "queue: A valid integer is required"),
        (URL + "waiting/", {"limit": "0"}, "limit: Ensure this value is greater than or equal to 1"),
        (URL + "abandoned/", {"channel": "fax"}, 'channel: "fax" is not a valid choice'),
        (URL + "callbacks/", {"minutes": "0"}, "minutes: Ensure this value is greater than or equal to 1"),
        (URL + "callbacks/", {"minutes": "1441"}, "minutes: Ensure this value is less than or equal to 1440"),
        (URL + "callbacks/", {"overdue": "perhaps"}, "overdue: Must be a valid boolean"),
        (INTERVAL, {}, "queue: This field is required"),
        (INTERVAL, {"queue": "1"}, "start: required (or give interval and length)"),
        (INTERVAL, {"queue": "1", "start": "2025-03-10T10:00"}, "end: required"),
        (INTERVAL, {"queue": "1", "start": "2025-03-10T10:00", "end": "2025-03-10T10:00"}, "end: must be after start"),
        (
            INTERVAL,
            {"queue": "1", "start": "2025-03-10T10:00", "end": "2025-03-12T10:00"},
            "end: at most 1 day after start",
        ),
        (INTERVAL, {"queue": "1", "start": "gisteren", "end": "2025-03-12T10:00"}, "start: Datetime has wrong format"),
        (INTERVAL, {"queue": "1", "interval": "2025-03-10T10:07"}, "interval: must start on a 15-minute boundary"),
        (
            INTERVAL,
            {"queue": "1", "interval": "2025-03-10T10:15", "length": "30"},
            "interval: must start on a 30-minute boundary",
        ),
        (
            INTERVAL,
            {"queue": "1", "interval": "2025-03-10T10:15", "length": "20"},
            'length: "20" is not a valid choice',
        ),
        (
            INTERVAL,
            {"queue": "1", "interval": "2025-03-10T10:15", "start": "2025-03-10T10:15"},
            "start: give either interval",
        ),
        (
            INTERVAL,
            {"queue": "1", "start": "2025-03-10T10:00", "end": "2025-03-10T11:00", "length": "15"},
            "length: goes with interval",
        ),
        (INTERVAL, {"queue": "1", "interval": "9999-12-31T23:45"}, "interval: out of range"),
        (INTERVAL, {"queue": "1", "start": "0001-01-01", "end": "0001-01-01T10:00"}, "start: out of range"),
    ],  # fmt: skip
)
def test_bad_input_says_what_is_wrong(db, path, query, says):
    response = client_for(UserFactory(role="manager")).get(path, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert says in response.json()["error"]
