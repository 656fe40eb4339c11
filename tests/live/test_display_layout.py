"""A wall screen's own layout (KPIs per tile, queues in order, turning pages), validated in the model
and the admin, handed to its page; and the closed/next-opening fact in the live snapshot."""

import json
from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from dashboard.core.models import ClosedDay, OpeningHours
from dashboard.live.models import Display, DisplayQueue
from dashboard.live.publisher import scope_messages, tile
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from dashboard.live.views import KIOSK_LAYOUT
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def screen(**fields) -> Display:
    display = Display(name="TV", **fields)
    display.issue_token()
    return display


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        pytest.param({"kpis": "waiting,speed"}, "kpis", "Unknown KPI speed; choose from waiting,", id="unknown-kpi"),
        pytest.param({"kpis": "asa,asa"}, "kpis", "Each KPI may be chosen once.", id="twice"),
        pytest.param({"tiles_per_page": 13}, "tiles_per_page", "less than or equal to 12", id="too-many-tiles"),
        pytest.param({"tiles_per_page": 0}, "tiles_per_page", "greater than or equal to 1", id="no-tiles"),
        pytest.param({"page_seconds": 2}, "page_seconds", "greater than or equal to 5", id="pages-too-fast"),
        pytest.param({"scopes": "queue:x"}, "scopes", "queue id must be a number", id="bad-scope"),
    ],
)
def test_a_wall_screen_refuses_a_bad_layout_saying_where(fields, field, message):
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            screen(**fields).full_clean()
        assert field in error.value.message_dict
        assert any(message in m for m in error.value.message_dict[field]), error.value.message_dict


def test_a_good_layout_passes():
    screen(kpis="waiting, longest_wait ,service_level", tiles_per_page=4, page_seconds=10).full_clean()


def test_a_chosen_queue_must_be_on_the_screens_scopes():
    team, other = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn")
    mine, theirs = QueueFactory(name="Algemeen", team=team), QueueFactory(name="Techniek", team=other)
    display = screen(scopes=f"team:{team.id},channel:chat")
    display.save()
    DisplayQueue(display=display, queue=mine, position=1).full_clean()
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            DisplayQueue(display=display, queue=theirs, position=2).full_clean()
        assert error.value.message_dict["queue"] == [
            f"Queue Techniek is not in this screen's scopes (team:{team.id},channel:chat)."
        ]
    chat = QueueFactory(name="Chat", team=other, channel="chat")
    DisplayQueue(display=display, queue=chat, position=3).full_clean()  # on the channel scope
    assert screen(scopes="all").allows_queue(theirs)
    assert screen(scopes=f"queue:{theirs.id}").allows_queue(theirs)
    assert not screen(scopes=f"queue:{mine.id}").allows_queue(theirs)


def test_layout_lists_the_queues_in_their_order():
    team = TeamFactory(name="1e lijn")
    a, b, c = (QueueFactory(name=n, team=team) for n in ("A", "B", "C"))
    display = screen(scopes="all", kpis="waiting,asa", tiles_per_page=2, page_seconds=8)
    display.save()
    for position, queue in ((2, a), (0, c), (1, b)):
        DisplayQueue.objects.create(display=display, queue=queue, position=position)
    assert display.layout() == {
        "kpis": ["waiting", "asa"],
        "queues": [c.id, b.id, a.id],
        "tiles_per_page": 2,
        "page_seconds": 8,
    }


def admin_client():
    client = Client()
    client.force_login(UserFactory(username="beheer", role="admin", is_staff=True, is_superuser=True))
    return client


def inline(total=0, **rows):
    data = {
        "queue_choices-TOTAL_FORMS": str(total),
        "queue_choices-INITIAL_FORMS": "0",
        "queue_choices-MIN_NUM_FORMS": "0",
        "queue_choices-MAX_NUM_FORMS": "1000",
    }
    data.update(rows)
    return data


def test_admin_saves_the_kpis_ticked_and_the_queues_in_order():
    team = TeamFactory(name="1e lijn")
    a, b = QueueFactory(name="A", team=team), QueueFactory(name="B", team=team)
    response = admin_client().post(
        "/admin/dashboard/display/add/",
        {
            "name": "Hal",
            "scopes": f"team:{team.id}",
            "active": "on",
            "kpis": ["service_level", "waiting"],
            "tiles_per_page": "6",
            "page_seconds": "20",
            **inline(
                2,
                **{
                    "queue_choices-0-queue": str(b.id),
                    "queue_choices-0-position": "1",
                    "queue_choices-1-queue": str(a.id),
                    "queue_choices-1-position": "2",
                },
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    display = Display.objects.get(name="Hal")
    assert display.kpis == "waiting,service_level"  # in the order of the tiles
    assert display.layout()["queues"] == [b.id, a.id]


def test_admin_says_which_queue_is_not_on_the_screen():
    team, other = TeamFactory(name="1e lijn"), TeamFactory(name="2e lijn")
    theirs = QueueFactory(name="Techniek", team=other)
    response = admin_client().post(
        "/admin/dashboard/display/add/",
        {
            "name": "Hal",
            "scopes": f"team:{team.id}",
            "tiles_per_page": "20",
            "page_seconds": "20",
            **inline(1, **{"queue_choices-0-queue": str(theirs.id), "queue_choices-0-position": "1"}),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Queue Techniek is not in this screen&#x27;s scopes" in page
    assert "less than or equal to 12" in page
    assert not Display.objects.exists()


def test_the_wall_screen_page_carries_its_layout():
    team = TeamFactory(name="1e lijn")
    queue = QueueFactory(name="A", team=team)
    display = Display(name="TV", scopes="all", kpis="waiting", tiles_per_page=3, page_seconds=30)
    token = display.issue_token()
    display.save()
    DisplayQueue.objects.create(display=display, queue=queue, position=0)
    client = Client()
    client.get(f"/wallboard/?display={token}")
    page = client.get("/wallboard/?scope=all").content.decode()
    layout = json.loads(page.split('<script id="live-layout" type="application/json">')[1].split("</script>")[0])
    assert layout == {"kpis": ["waiting"], "queues": [queue.id], "tiles_per_page": 3, "page_seconds": 30}

    person = Client()
    person.force_login(UserFactory(role="manager"))
    page = person.get("/wallboard/?scope=all&kiosk=1").content.decode()
    layout = json.loads(page.split('<script id="live-layout" type="application/json">')[1].split("</script>")[0])
    assert layout == KIOSK_LAYOUT


# 2026-12-07 is a Monday; 19:00 in Amsterdam.
MONDAY_EVENING = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def test_the_snapshot_says_a_queue_is_closed_and_when_it_opens():
    team = TeamFactory(name="1e lijn")
    office = QueueFactory(name="Zakelijk", team=team)
    line = QueueFactory(name="Storingen", team=team)  # no hours: 24/7
    holiday = QueueFactory(name="Facturen", team=team)
    for weekday in range(5):
        OpeningHours.objects.create(queue=office, weekday=weekday, opens=time(8, 30), closes=time(17))
        OpeningHours.objects.create(queue=holiday, weekday=weekday, opens=time(8), closes=time(22))
    ClosedDay.objects.create(queue=holiday, date=date(2026, 12, 7), reason="training")
    ClosedDay.objects.create(queue=None, date=date(2026, 12, 8), reason="every queue")

    for read in (live_snapshot, live_snapshot_from_db):
        queues = {q["name"]: q for q in read(now=MONDAY_EVENING)["queues"]}
        assert (queues["Storingen"]["open"], queues["Storingen"]["opens_at"]) == (True, None)
        # Tuesday is closed for every queue: Wednesday 08:30 (07:30 UTC).
        assert queues["Zakelijk"]["open"] is False
        assert queues["Zakelijk"]["opens_at"] == "2026-12-09T08:30:00+01:00"
        assert queues["Facturen"]["opens_at"] == "2026-12-09T08:00:00+01:00"
        snapshot = read(now=MONDAY_EVENING)
        # The team and the centre are open while one of their queues is (the 24/7 line).
        assert (snapshot["teams"][0]["open"], snapshot["all"]["open"]) == (True, True)
    line.delete()
    snapshot = live_snapshot(now=MONDAY_EVENING)
    team_total = snapshot["teams"][0]
    assert (team_total["open"], team_total["opens_at"]) == (False, "2026-12-09T08:00:00+01:00")  # the first to open
    assert snapshot["all"]["opens_at"] == "2026-12-09T08:00:00+01:00"
    assert [(c["channel"], c["open"]) for c in snapshot["channels"]] == [("voice", False)]
    at_ten = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    queues = {q["name"]: q for q in live_snapshot(now=at_ten)["queues"]}
    assert queues["Zakelijk"]["open"] is True and queues["Zakelijk"]["opens_at"] is None


def test_every_wall_screen_gets_the_same_fact_in_its_tiles():
    team = TeamFactory(name="1e lijn")
    office = QueueFactory(name="Zakelijk", team=team)
    OpeningHours.objects.create(queue=office, weekday=1, opens=time(9), closes=time(12))
    snapshot = live_snapshot(now=MONDAY_EVENING)
    queue = next(q for q in snapshot["queues"] if q["id"] == office.id)
    assert (tile(queue)["open"], tile(queue)["opens_at"]) == (False, "2026-12-08T09:00:00+01:00")
    messages = scope_messages(snapshot, {})
    for key in ("all", f"team:{team.id}", f"queue:{office.id}"):
        tiles = messages[(key, "snapshot")][1]["tiles"]
        assert [(t["open"], t["opens_at"]) for t in tiles] == [(False, "2026-12-08T09:00:00+01:00")]
