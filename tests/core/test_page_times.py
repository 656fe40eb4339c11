"""Times on the server's pages are in the centre's time zone with its name, and durations are written by
``formats.duration`` with their units (issue 9, point 2): no raw UTC timestamp, no "Longest wait (s)
55945", no age that reads as a time of day."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from dashboard.core.formats import NBSP, duration, moment
from dashboard.core.periods import centre_tz
from dashboard.ingest.services import events_ingest
from tests.core.test_formats import nb
from tests.factories import QueueFactory, SourceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
WAITING_S = 15 * 3600 + 32 * 60 + 10  # an e-mail waiting since yesterday evening


def client_for(role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(role=role))
    return client


def test_home_page_shows_local_time_and_formatted_durations():
    QueueFactory(name="E-mail", channel="email", team=TeamFactory(name="Backoffice"))
    at = datetime.now(UTC) - timedelta(seconds=WAITING_S)
    event = {"id": "m1", "type": "contact.offered", "at": at.isoformat(), "contact_id": "m1", "queue": "E-mail",
             "channel": "email"}  # fmt: skip
    assert events_ingest(source=SourceFactory(name="mail"), events=[event]).accepted == 1

    before = datetime.now(UTC)
    html = client_for("manager").get("/").content.decode()
    row = re.search(r"<td>E-mail</td>.*?</tr>", html, re.S).group(0)
    assert nb("15 h 32 m") in row and str(WAITING_S) not in row
    assert "Longest wait (s)" not in html

    stamp = re.search(r"as of ([^.]+)\.", html).group(1)
    assert not re.search(r"\dT\d", stamp) and "+00:00" not in stamp  # not the raw ISO timestamp
    zone = before.astimezone(centre_tz()).tzname()
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d {zone}", stamp), stamp
    shown = datetime.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=centre_tz())
    assert abs((shown - before).total_seconds()) < 5  # local time, not UTC


def test_report_header_and_list_of_built_reports_use_local_time_with_the_zone():
    from dashboard.reports.services import report_build

    QueueFactory(name="Algemeen")
    day = datetime.now(centre_tz()).date() - timedelta(days=1)
    built = report_build(kind="daily", first_day=day, email=False).built_at
    expected = moment(built, centre_tz())
    client = client_for("manager")
    index = client.get("/reports/").content.decode()
    assert f"<td>{expected}</td>" in index
    page = client.get(f"/reports/daily/?date={day.isoformat()}").content.decode()
    assert f"built {expected}," in page and " UTC" not in page.split("built", 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize(
    ("filter_text", "context", "expected"),
    [
        ("{{ s|duration }}", {"s": 44_478}, duration(44_478)),
        ("{{ s|duration }}", {"s": None}, "—"),
        ("{{ v|with_unit:'s' }}", {"v": 20}, "0:20"),
        ("{{ v|with_unit:'s' }}", {"v": 44_478.0}, nb("12 h 21 m")),
        ("{{ v|with_unit:'%' }}", {"v": 82.5}, "82.5 %"),
        ("{{ v|with_unit:'' }}", {"v": 462}, "462"),
        ("{{ v|with_unit:'%' }}", {"v": None}, "—"),
        ("{{ d|change:'s' }}", {"d": 56_264.6}, nb("+15 h 37 m")),
        ("{{ d|change:'s' }}", {"d": -1076.1}, "-17:56"),
        ("{{ d|change:'%' }}", {"d": 2.5}, "+2.5"),
        ("{{ d|change:'%' }}", {"d": -2.5}, "-2.5"),
        ("{{ d|change:'' }}", {"d": 0}, "0"),
        ("{{ d|change:'s' }}", {"d": None}, "—"),
        ("{{ t|local_moment }}", {"t": "2026-12-01T08:31:05+00:00"}, "2026-12-01 09:31 CET"),
        (
            "{{ t|local_moment:'seconds' }}",
            {"t": datetime(2026, 7, 1, 8, 31, 5, tzinfo=UTC)},
            "2026-07-01 10:31:05 CEST",
        ),
        ("{{ t|local_moment }}", {"t": None}, "—"),
    ],
)
def test_template_filters(filter_text, context, expected, settings):
    from django.template import Context, Template

    settings.TIME_ZONE = "Europe/Amsterdam"
    assert Template("{% load kcc_formats %}" + filter_text).render(Context(context)) == expected


def test_daily_report_writes_waits_and_averages_as_durations(settings):
    import io
    from datetime import date, time

    from django.core import mail
    from pypdf import PdfReader

    from dashboard.intervals.services import intervals_update
    from dashboard.reports.models import ReportSubscription
    from dashboard.reports.services import report_build
    from tests.factories import AgentFactory

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"
    ReportSubscription.objects.create(user=UserFactory(role="manager", email="m@example.org"), kind="daily")

    tz, day = centre_tz(), date(2026, 11, 24)

    def at(hh, mm=0, ss=0) -> str:
        return datetime.combine(day, time(hh, mm, ss), tz).isoformat()

    team = TeamFactory(name="Klantenservice")
    voice, email = QueueFactory(name="Algemeen", team=team), QueueFactory(name="E-mail", team=team, channel="email")
    AgentFactory(login_id="ann", team=team, skills=[voice, email])
    events = [
        {
            "id": "1",
            "type": "contact.offered",
            "at": at(10),
            "contact_id": "c1",
            "queue": "Algemeen",
            "channel": "voice",
        },
        {"id": "2", "type": "contact.answered", "at": at(10, 0, 12), "contact_id": "c1", "agent": "ann"},
        {"id": "3", "type": "contact.offered", "at": at(8), "contact_id": "m1", "queue": "E-mail", "channel": "email"},
        {"id": "4", "type": "contact.answered", "at": at(20, 21, 18), "contact_id": "m1", "agent": "ann"},
    ]
    now = datetime.combine(day, time(23, 59), tz) + timedelta(hours=2)
    assert events_ingest(source=SourceFactory(name="acd"), events=events, now=now).accepted == 4
    intervals_update(now=now)
    report_build(kind="daily", first_day=day, now=now)

    html = client_for("manager").get(f"/reports/daily/?date={day.isoformat()}").content.decode()
    rows = {name: re.search(rf"<tr><td>{name}</td>.*?</tr>", html, re.S).group(0) for name in ("Algemeen", "E-mail")}
    cells = {name: re.findall(r"<td[^>]*>(.*?)</td>", row) for name, row in rows.items()}
    asa, longest = 7, 10  # columns: queue, offered, answered, abandoned, short, within, SL, ASA, AHT, rate, longest
    assert (cells["Algemeen"][asa], cells["Algemeen"][longest]) == ("0:12", "0:12")
    assert (cells["E-mail"][asa], cells["E-mail"][longest]) == (nb("12 h 21 m"), nb("12 h 21 m"))
    assert "ASA (s)" not in html and "Longest wait (s)" not in html
    # The centre's key figure is its synchronous queues' (issue 9, point 1): the voice call's 12 s.
    kpi = re.search(r'<tr data-kpi="max_wait_s"><td>Longest wait \(answered\)</td>.*?</tr>', html, re.S).group(0)
    value, target, previous, difference = re.findall(r"<td[^>]*>(.*?)</td>", kpi)[1:]
    assert (value, previous) == ("0:12", "0:00")
    assert difference.startswith("+0:12")  # not "+12.0"

    # The e-mail's summary and its PDF say the same, and the PDF's "built" is local with the zone.
    (message,) = mail.outbox
    assert "Longest wait (answered): 0:12" in message.body
    assert "0:12" in message.alternatives[0][0]
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(message.attachments[0][1])).pages)
    assert "built 2026-11-25 01:59 CET" in pdf and "UTC" not in pdf
    assert "Longest wait (answered) 0:12" in pdf.replace(NBSP, " ")


@pytest.mark.parametrize(("threshold_s", "shown"), [(20, "0:20"), (8 * 3600, nb("8 h 00 m"))])
def test_staffing_page_writes_the_answer_threshold_as_a_duration(threshold_s, shown):
    team = TeamFactory(name="Backoffice")
    QueueFactory(name="Telefoon", team=team, channel="voice", sl_threshold_s=threshold_s)
    html = client_for("wfm").get("/wfm/staffing/", {"day": "2026-11-24", "team": "Backoffice"}).content.decode()
    assert f"within {shown}." in html
    assert f"within {threshold_s} s" not in html
