"""Managers' comparisons compare like with like: a day or week so far against the same stretch a week
earlier (not the whole of it), provisional figures not compared with final ones, and a change's direction
(the arrow) kept apart from whether it is good (the colour)."""

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from pypdf import PdfReader

from dashboard.core.models import Contact
from dashboard.core.periods import day_bounds
from dashboard.intervals.models import IntervalWatermark
from dashboard.intervals.services import intervals_aggregate
from dashboard.reports.compute import same_time_earlier, so_far
from dashboard.reports.pdf import report_pdf
from dashboard.reports.selectors import ReportFilter, report_api, report_page
from tests.factories import QueueFactory, TeamFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
TODAY = date(2026, 12, 1)  # a Tuesday
LAST_WEEK = TODAY - timedelta(days=7)


def local(day, hh, mm=0, ss=0):
    return datetime.combine(day, time(hh, mm, ss), TZ)


@pytest.fixture
def queue():
    return QueueFactory(name="Algemeen", team=TeamFactory(name="1e lijn"), sl_threshold_s=20)


def _call(queue, n, offered, wait=10, customer=""):
    Contact.objects.create(contact_id=f"c{n}", queue=queue, channel="voice", offered_at=offered,
                           answered_at=offered + timedelta(seconds=wait), ended_at=offered + timedelta(seconds=wait + 120),
                           talk_s=100, acw_s=20, customer_ref=customer)  # fmt: skip


def _watermark(at):
    IntervalWatermark.objects.update_or_create(pk=1, defaults={"aggregated_until": at})


def _kpis(view):
    return {k["key"]: k for k in view["kpis"]}


def test_today_so_far_is_compared_with_last_week_up_to_the_same_time(queue):
    # Last Tuesday: 2 calls in the morning, 5 in the afternoon. Today: 3 calls in the morning; it is 12:07.
    for n, hh in enumerate((9, 10, 13, 14, 15, 16, 17)):
        _call(queue, f"w{n}", local(LAST_WEEK, hh, 5))
    for n, hh in enumerate((8, 9, 11)):
        _call(queue, f"t{n}", local(TODAY, hh, 5))
    _call(queue, "late", local(TODAY, 12, 3))  # in the open interval: not aggregated yet
    intervals_aggregate(start=day_bounds(LAST_WEEK)[0], end=day_bounds(LAST_WEEK)[1])
    intervals_aggregate(start=day_bounds(TODAY)[0], end=local(TODAY, 12))
    _watermark(local(TODAY, 12))
    view = report_page(kind="daily", first_day=TODAY, scope=ReportFilter(), now=local(TODAY, 12, 7))
    offered = _kpis(view)["offered"]
    assert (offered["value"], offered["previous"], offered["delta"]) == (3, 2, 1)
    assert view["until_local"] == "2026-12-01 12:00" and view["previous_until_local"] == "2026-11-24 12:00"
    api = report_api(kind="daily", first_day=TODAY, scope=ReportFilter(), now=local(TODAY, 12, 7))
    assert api["until"] == local(TODAY, 12).astimezone(UTC).isoformat() and api["total"]["offered"] == 3
    # Yesterday is over: compared whole with the Monday before.
    whole = report_page(kind="daily", first_day=LAST_WEEK, scope=ReportFilter(), now=local(TODAY, 12, 7))
    assert _kpis(whole)["offered"]["value"] == 7 and whole["until_local"] is None


def test_the_cut_follows_the_watermark_and_the_wall_clock_across_dst():
    now = local(TODAY, 14, 40)
    assert so_far(kind="daily", first_day=TODAY, now=now, aggregated_until=local(TODAY, 14, 15)) == local(TODAY, 14, 15)
    assert so_far(kind="daily", first_day=TODAY, now=now, aggregated_until=None) == local(TODAY, 14, 30)
    assert so_far(kind="daily", first_day=TODAY, now=now, aggregated_until=local(TODAY, 15)) == local(TODAY, 14, 30)
    assert so_far(kind="daily", first_day=LAST_WEEK, now=now, aggregated_until=None) is None  # over: whole
    assert so_far(kind="weekly", first_day=date(2026, 11, 30), now=now, aggregated_until=None) == local(TODAY, 14, 30)
    # The Monday after the clocks went back: a week earlier at 09:00 is 169 hours before, still 09:00.
    after = local(date(2026, 10, 26), 9)
    earlier = same_time_earlier(after, days=7)
    assert earlier == local(date(2026, 10, 19), 9) and (after - earlier) == timedelta(hours=169)


def test_week_so_far_is_compared_with_last_week_up_to_the_same_point(queue):
    monday = date(2026, 11, 30)
    last_monday = monday - timedelta(days=7)
    # Last week: Monday 10:00, Tuesday 10:00 and 15:00, Thursday 10:00. This week: Monday and Tuesday 10:00.
    for n, at in enumerate([local(last_monday, 10), local(last_monday + timedelta(days=1), 10),
                            local(last_monday + timedelta(days=1), 15), local(last_monday + timedelta(days=3), 10)]):  # fmt: skip
        _call(queue, f"lw{n}", at)
    for n, at in enumerate([local(monday, 10), local(TODAY, 10)]):
        _call(queue, f"tw{n}", at)
    intervals_aggregate(start=day_bounds(last_monday)[0], end=local(TODAY, 12))
    _watermark(local(TODAY, 12))
    view = report_page(kind="weekly", first_day=monday, scope=ReportFilter(), now=local(TODAY, 12, 1))
    offered = _kpis(view)["offered"]
    assert (offered["value"], offered["previous"]) == (2, 2)  # not 4: Tuesday 15:00 and Thursday are to come
    assert view["previous_until_local"] == "2026-11-24 12:00"


def test_provisional_first_contact_resolution_is_not_compared(queue):
    # Last week's day is final (over 7 days ago), yesterday's is not: its FCR is provisional.
    yesterday = TODAY - timedelta(days=1)
    before = yesterday - timedelta(days=7)
    _call(queue, "a", local(before, 9), customer="K1")
    _call(queue, "b", local(before, 10), customer="K1")
    _call(queue, "c", local(yesterday, 9), customer="K2")
    intervals_aggregate(start=day_bounds(before)[0], end=day_bounds(yesterday)[1])
    view = report_page(kind="daily", first_day=yesterday, scope=ReportFilter(), now=local(TODAY, 8))
    fcr = _kpis(view)["fcr"]
    assert fcr["value"] == 100.0 and fcr["previous"] == 50.0
    assert fcr["provisional"] is True and fcr["delta"] is None and fcr["trend"] is None and fcr["direction"] is None
    with translation.override("en"):
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(report_pdf(view))).pages)
    assert "provisional" in text
    # Once both are final they are compared again.
    final = report_page(
        kind="daily", first_day=yesterday, scope=ReportFilter(), now=local(TODAY + timedelta(days=8), 8)
    )
    fcr = _kpis(final)["fcr"]
    assert fcr["provisional"] is False and fcr["delta"] == 50.0 and fcr["direction"] == "up"
    assert fcr["trend"] == "better"


def test_arrow_is_the_direction_and_colour_the_verdict(queue):
    # A week earlier callers waited 60 s, now 10 s: ASA down (▼) and better (green); SL up and better.
    _call(queue, "old", local(LAST_WEEK, 9), wait=60)
    _call(queue, "new", local(TODAY, 9), wait=10)
    intervals_aggregate(start=day_bounds(LAST_WEEK)[0], end=day_bounds(TODAY)[1])
    view = report_page(kind="daily", first_day=TODAY, scope=ReportFilter(), now=local(TODAY + timedelta(days=1), 8))
    k = _kpis(view)
    assert (k["asa_s"]["delta"], k["asa_s"]["direction"], k["asa_s"]["trend"]) == (-50.0, "down", "better")
    assert (k["service_level"]["direction"], k["service_level"]["trend"]) == ("up", "better")
    assert (k["offered"]["direction"], k["offered"]["trend"]) == ("same", "same")
    assert k["max_wait_s"]["direction"] == "down" and k["max_wait_s"]["trend"] == "better"
