"""Schedules and adherence end to end through the API and the command: POST /api/v1/wfm/schedule/import/
and ``manage.py import_schedule`` (good lines kept, bad ones reported by line and field, re-import
replaces the period), GET /api/v1/wfm/adherence/ from the agent state events the ingest stores (a past
day, and today with the live state now), its permissions and bad input, and the scheduled agents in the
intraday view, required against staffed and the interval export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.core.periods import centre_tz, day_bounds, floor_interval, interval_starts, local_today
from dashboard.ingest.services import events_ingest
from dashboard.intervals.services import intervals_update
from dashboard.wfm.models import ScheduleActivity, ScheduleEntry
from dashboard.wfm.selectors import ExportQuery, StaffingQuery, interval_export_batches, staffing_day
from dashboard.wfm.services.schedule import default_activities_ensure
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
IMPORT = "/api/v1/wfm/schedule/import/"
ADHERENCE = "/api/v1/wfm/adherence/"


def client_for(role="wfm", teams=()):
    client = APIClient()
    client.force_login(UserFactory(role=role, teams=list(teams)))
    return client


@pytest.fixture
def centre():
    default_activities_ensure()  # a transactional test elsewhere may have flushed the seeded rows
    team = TeamFactory(name="1e lijn")
    other = TeamFactory(name="Backoffice")
    queue = QueueFactory(name="Algemeen", team=team)
    for login in ("ann", "bob"):
        AgentFactory(login_id=login, name=login.title(), team=team, skills=[queue])
    AgentFactory(login_id="olga", name="Olga", team=other)
    return {"team": team, "other": other, "queue": queue}


def yesterday() -> date:
    return local_today(timezone.now()) - timedelta(days=1)


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=centre_tz())


def schedule_csv(day: date, rows) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["agent", "start", "end", "activity"])
    for agent, start, end, activity in rows:
        w.writerow([agent, f"{day.isoformat()}T{start}", f"{day.isoformat()}T{end}", activity])
    return out.getvalue().encode()


def post_csv(client, data: bytes):
    return client.post(IMPORT, data=data, content_type="text/csv")


def states(day: date, agent: str, changes):
    return [
        {"id": f"{agent}-{day}-{i}", "type": "agent.state", "at": at(day, hhmm).isoformat(), "agent": agent, "state": s}
        for i, (hhmm, s) in enumerate(changes)
    ]


# --- import --------------------------------------------------------------------------------------------------


def test_import_api_then_reimport_replaces_the_period(centre):
    day = yesterday()
    client = client_for("wfm")
    first = schedule_csv(day, [("ann", "08:00", "16:30", "shift"), ("ann", "10:00", "10:15", "break"),
                               ("ann", "12:30", "13:00", "lunch"), ("bob", "09:00", "17:30", "shift")])  # fmt: skip
    r = post_csv(client, first)
    assert r.status_code == 200, r.json()
    assert r.json()["imported"] == 4 and r.json()["rejected"] == 0 and r.json()["agents"] == 2
    assert ScheduleEntry.objects.count() == 4
    # Ann's day again, with another break: her entries of the period are replaced, Bob's stay.
    second = schedule_csv(day, [("ann", "08:00", "16:30", "shift"), ("ann", "10:30", "10:45", "BREAK")])
    r = post_csv(client, second)
    assert r.status_code == 200 and r.json()["replaced"] == 3 and r.json()["imported"] == 2
    ann = ScheduleEntry.objects.filter(agent__login_id="ann").order_by("start")
    assert [(e.activity.code, e.start.astimezone(centre_tz()).strftime("%H:%M")) for e in ann] == [
        ("shift", "08:00"),
        ("break", "10:30"),
    ]
    assert ScheduleEntry.objects.filter(agent__login_id="bob").count() == 1


def test_reimporting_the_next_day_keeps_the_break_of_last_nights_shift(centre):
    day = yesterday() - timedelta(days=1)
    night = (
        "agent,start,end,activity\n"
        f"ann,{day}T23:00,{day + timedelta(days=1)}T07:00,shift\n"
        f"ann,{day + timedelta(days=1)}T02:00,{day + timedelta(days=1)}T02:15,break\n"
    ).encode()
    client = client_for("wfm")
    assert post_csv(client, night).status_code == 200
    next_day = schedule_csv(
        day + timedelta(days=1), [("ann", "00:00", "01:00", "meeting"), ("ann", "23:00", "23:30", "off")]
    )
    assert post_csv(client, next_day).status_code == 200
    ann = [
        (e.activity.code, e.start.astimezone(centre_tz()).strftime("%H:%M"))
        for e in ScheduleEntry.objects.order_by("start")
    ]
    # the meeting (00:00-01:00) also lies within the night shift: it is the new day's own line, so written
    assert ann == [("shift", "23:00"), ("meeting", "00:00"), ("break", "02:00"), ("off", "23:00")]
    again = schedule_csv(day + timedelta(days=1), [("ann", "23:00", "23:30", "off")])
    r = post_csv(client, again)
    # the period now starts at 23:00: the meeting and break of the night before are outside it
    assert r.json()["replaced"] == 1 and ScheduleEntry.objects.count() == 4


def test_import_reports_bad_lines_by_line_and_field_and_keeps_the_good(centre):
    day = yesterday()
    text = (
        "agent,start,end,activity\n"
        f"ann,{day}T08:00:00+01:00,{day}T16:00:00+01:00,shift\n"  # good, with an offset
        f"nobody,{day}T08:00,{day}T16:00,shift\n"  # line 3: unknown agent
        f"bob,{day}T18:00,{day}T09:00,shift\n"  # line 4: end before start
        f"bob,{day}T09:00,{day}T17:00,nap\n"  # line 5: unknown activity
        f"bob,gisteren,{day}T17:00,shift\n"  # line 6: start not a date
        "bob,only-two\n"  # line 7: too few columns
        f"bob\x00,{day}T09:00,{day}T17:00,shift\n"  # line 8: a NUL character
        f"bob,{day}T09:00,{day}T17:00,shift\n"  # good, local time
    ).encode()
    r = post_csv(client_for("manager"), text)
    assert r.status_code == 207
    body = r.json()
    assert body["imported"] == 2 and body["rejected"] == 6
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (3, "agent"),
        (4, "end"),
        (5, "activity"),
        (6, "start"),
        (7, "line"),
        (8, "agent"),
    ]
    assert "nobody" in body["errors"][0]["error"] and "shift" in body["errors"][2]["error"]


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        pytest.param(
            b"agent,start,end,activity\nnobody,2026-01-01T08:00,2026-01-01T09:00,shift\n",
            "text/csv",
            None,
            id="no-good-line",
        ),  # fmt: skip
        pytest.param(b"", "text/csv", None, id="empty"),
        pytest.param(b"\xff\xfeagent", "text/csv", "file", id="not-utf8"),
        pytest.param({}, None, "file", id="no-file"),
        pytest.param(b"agent,begin,end,activity\n", "text/csv", None, id="header-missing-start"),
    ],
)
def test_import_api_bad_input_is_400_with_a_message(centre, body, content_type, field):
    client = client_for("wfm")
    if content_type:
        r = client.post(IMPORT, data=body, content_type=content_type)
    else:
        r = client.post(IMPORT, data=body, format="multipart")
    assert r.status_code == 400, r.content
    text = r.content.decode()
    assert field in text if field else "error" in text


def test_import_dst_ambiguous_local_time_is_refused_with_the_field(centre):
    text = b"ann,2026-10-25T02:30,2026-10-25T06:00,shift\nann,2026-10-25T02:30+01:00,2026-10-25T06:00,shift\n"
    r = post_csv(client_for("wfm"), text)
    assert r.status_code == 207
    assert r.json()["errors"][0]["field"] == "start" and "twice" in r.json()["errors"][0]["error"]
    entry = ScheduleEntry.objects.get()
    assert entry.end - entry.start == timedelta(hours=3, minutes=30)  # the night the clock goes back


def test_import_is_for_wfm_roles(centre):
    r = post_csv(
        client_for("supervisor", [centre["team"]]), schedule_csv(yesterday(), [("ann", "08:00", "09:00", "shift")])
    )
    assert r.status_code == 403


def test_import_command(centre, tmp_path, capsys):
    day = yesterday()
    path = tmp_path / "rooster.csv"
    path.write_bytes(schedule_csv(day, [("ann", "08:00", "12:00", "shift"), ("ghost", "08:00", "12:00", "shift")]))
    call_command("import_schedule", str(path))
    out, err = capsys.readouterr()
    assert "1 entries imported for 1 agent(s)" in out and "1 rejected" in out
    assert "line 3: agent: unknown agent 'ghost'" in err
    path.write_bytes(schedule_csv(day, [("ghost", "08:00", "12:00", "shift")]))
    with pytest.raises(CommandError, match="no line could be imported"):
        call_command("import_schedule", str(path))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_schedule", str(tmp_path / "missing.csv"))


def test_activities_are_extensible(centre):
    ScheduleActivity.objects.create(code="Coaching", name="Coaching", counts_as="away")
    r = post_csv(client_for("wfm"), schedule_csv(yesterday(), [("ann", "08:00", "09:00", "coaching")]))
    assert r.status_code == 200
    assert ScheduleEntry.objects.get().activity.code == "coaching"


# --- adherence ----------------------------------------------------------------------------------------------


def _a_day_of_ann_and_bob(day: date):
    post_csv(client_for("wfm"), schedule_csv(day, [
        ("ann", "08:00", "12:00", "shift"), ("ann", "10:00", "10:15", "break"),
        ("bob", "08:00", "12:00", "shift"), ("bob", "10:00", "10:15", "break"),
    ]))  # fmt: skip
    source = SourceFactory(name="acd")
    events = states(
        day, "ann", [("08:00", "available"), ("10:00", "paused"), ("10:15", "available"), ("12:00", "logged_out")]
    )
    # Bob logs in 7 minutes late and takes a 25-minute break.
    events += states(
        day, "bob", [("08:07", "available"), ("10:00", "paused"), ("10:25", "available"), ("12:05", "logged_out")]
    )
    result = events_ingest(source=source, events=events)
    assert result.rejected == 0


def test_adherence_of_a_past_day(centre):
    day = yesterday()
    _a_day_of_ann_and_bob(day)
    body = client_for("wfm").get(ADHERENCE, {"date": day.isoformat(), "team": centre["team"].id}).json()
    rows = {r["agent"]: r for r in body["agents"]}
    assert set(rows) == {"ann", "bob"}  # Olga (other team, no schedule) is not listed
    assert rows["ann"]["adherence_pct"] == 100.0 and rows["ann"]["minutes_out"] == 0
    assert rows["bob"]["scheduled_min"] == 240
    assert rows["bob"]["minutes_out"] == 17.0  # 7 late + 10 of the long break
    assert rows["bob"]["adherence_pct"] == round(223 / 240 * 100, 1)
    assert rows["bob"]["conformance_pct"] == round((113 + 100) / 225 * 100, 1)  # worked on to 12:05
    # not today: nothing "now"
    assert rows["bob"]["planned_activity"] is None and rows["bob"]["in_adherence"] is None
    assert body["totals"]["minutes_out"] == 17.0 and body["totals"]["agents"] == 2


def test_adherence_today_uses_the_live_state_and_marks_long_stretches(centre):
    now = timezone.now()
    tz = centre_tz()
    start = floor_interval(now) - timedelta(minutes=30)
    if (
        start.astimezone(tz).date() != now.astimezone(tz).date()
        or (now + timedelta(hours=1)).astimezone(tz).date() != now.astimezone(tz).date()
    ):
        pytest.skip("needs half an hour of today behind and an hour ahead")
    for login in ("ann", "bob"):
        ScheduleEntry.objects.create(
            agent=AgentFactory(login_id=login), start=start, end=now + timedelta(hours=1),
            activity=ScheduleActivity.objects.get(code="shift"),
        )  # fmt: skip
    source = SourceFactory(name="acd")
    events = [
        {"id": "a1", "type": "agent.state", "at": start.isoformat(), "agent": "ann", "state": "available"},
        {"id": "b1", "type": "agent.state", "at": start.isoformat(), "agent": "bob", "state": "available"},
        {"id": "b2", "type": "agent.state", "at": (start + timedelta(minutes=10)).isoformat(), "agent": "bob", "state": "paused"},
    ]  # fmt: skip
    events_ingest(source=source, events=events)
    supervisor = client_for("supervisor", [centre["team"]])
    body = supervisor.get(ADHERENCE).json()
    rows = {r["agent"]: r for r in body["agents"]}
    assert rows["ann"]["planned_activity"] == "shift" and rows["ann"]["actual_state"] == "available"
    assert rows["ann"]["in_adherence"] is True and rows["ann"]["marked"] is False
    assert rows["bob"]["actual_state"] == "paused" and rows["bob"]["in_adherence"] is False
    assert rows["bob"]["out_for_min"] >= 20 and rows["bob"]["marked"] is True
    assert body["mark_after_min"] == 5 and body["totals"]["marked"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2026-13-01"}, "date"),
        ({"date": "gisteren"}, "date"),
        ({"date": "1900-01-01"}, "date"),
        ({"team": "abc"}, "team"),
        ({"team": "0"}, "team"),
        ({"team": "999999"}, "team"),
    ],
)
def test_adherence_bad_params_are_400_naming_the_param(centre, params, field):
    r = client_for("wfm").get(ADHERENCE, params)
    assert r.status_code == 400
    assert field in r.json()["detail"] and r.json()["error"].startswith(field)


def test_adherence_permissions(centre):
    assert APIClient().get(ADHERENCE).status_code in (401, 403)
    assert client_for(None).get(ADHERENCE).status_code == 403
    supervisor = client_for("supervisor", [centre["team"]])
    assert supervisor.get(ADHERENCE, {"team": centre["other"].id}).status_code == 403
    assert supervisor.get(ADHERENCE, {"team": centre["team"].id}).status_code == 200


# --- scheduled agents per interval ---------------------------------------------------------------------------


def test_scheduled_agents_in_staffing_intraday_and_export(centre):
    day = yesterday()
    _a_day_of_ann_and_bob(day)
    intervals_update(now=timezone.now())
    staffing = staffing_day(StaffingQuery(day=day, team=centre["team"].name))
    by_time = {r["interval_start"][11:16]: r["scheduled_agents"] for r in staffing["rows"]}
    assert by_time["07:45"] == 0 and by_time["08:00"] == 2 and by_time["10:00"] == 0 and by_time["10:15"] == 2
    client = client_for("wfm")
    intraday = client.get("/api/v1/wfm/intraday/", {"team": centre["team"].id, "date": day.isoformat()}).json()
    rows = {r["start"][11:16]: r["scheduled_agents"] for r in intraday["rows"]}
    assert rows["08:00"] == 2 and rows["10:00"] == 0 and rows["12:00"] == 0
    export = [
        r for batch in interval_export_batches(ExportQuery(first_day=day, last_day=day, length=60)) for r in batch
    ]
    hourly = {r["interval_start"][11:16]: r["scheduled_agents"] for r in export if r["queue"] == "Algemeen"}
    assert hourly["08:00"] == 2 and hourly["10:00"] == 1.5 and hourly["13:00"] == 0
    csv_text = client.get("/api/v1/intervals/", {"start": day.isoformat(), "end": day.isoformat()}).getvalue().decode()
    assert "scheduled_agents" in csv_text.splitlines()[0]


def test_a_day_with_dst_counts_its_own_hours(centre):
    day = date(2026, 3, 29)  # 23 hours
    r = post_csv(client_for("wfm"), schedule_csv(day, [("ann", "01:00", "05:00", "shift")]))
    assert r.status_code == 200, r.json()
    body = client_for("wfm").get(ADHERENCE, {"date": day.isoformat()}).json()
    assert body["agents"][0]["scheduled_min"] == 180 and body["agents"][0]["adherence_pct"] == 0.0
    start, end = day_bounds(day)
    assert len(interval_starts(start, end)) == 92
    assert body["until"] == end.astimezone(centre_tz()).isoformat()
