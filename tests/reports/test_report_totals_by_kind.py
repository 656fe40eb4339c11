"""Totals never mix waiting times of different kinds (issue 9.1), in the reports and the interval rows:
the total's service level, ASA and longest wait are its synchronous queues'; its asynchronous queues
give their response-time attainment in ``async``."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from dashboard.core.models import Channel, Contact
from dashboard.core.periods import day_bounds
from dashboard.intervals.selectors import interval_rows
from dashboard.intervals.services import intervals_aggregate
from dashboard.reports.selectors import ReportFilter, report_api, report_page
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 11, 24)
HOUR = 3600


def local(hh, mm=0):
    return datetime.combine(DAY, time(hh, mm), TZ)


def _answered(contact_id, queue, offered, wait_s):
    answered = offered + timedelta(seconds=wait_s)
    Contact.objects.create(contact_id=contact_id, queue=queue, channel=queue.channel, offered_at=offered,
                           answered_at=answered, ended_at=answered + timedelta(seconds=120), talk_s=120.0)  # fmt: skip


@pytest.fixture
def centre():
    """A voice contact answered after 10 s, an e-mail answered after an hour (target 8 h); with
    ``late``, one more e-mail answered after 9 h (past its target)."""

    def make(*, late: bool = False):
        voice = QueueFactory(name="Algemeen", team=TeamFactory(name="1e lijn"), channel=Channel.VOICE)
        email = QueueFactory(name="E-mail", team=TeamFactory(name="Backoffice"), channel=Channel.EMAIL,
                             response_target_s=8 * HOUR, sl_target_pct=95)  # fmt: skip
        _answered("v1", voice, local(9), 10)
        _answered("m1", email, local(8), HOUR)
        if late:
            _answered("m2", email, local(8, 30), 9 * HOUR)
        intervals_aggregate(start=day_bounds(DAY)[0], end=day_bounds(DAY)[1], now=local(23, 59) + timedelta(hours=1))

    return make


def test_voice_answered_in_10_s_and_email_in_an_hour_give_the_daily_report_an_asa_of_10_s(centre):
    centre()
    body = report_api(kind="daily", first_day=DAY, scope=ReportFilter())
    total = body["total"]
    assert total["asa_s"] == 10.0  # not (10 + 3600) / 2 = 1805
    assert total["service_level"] == 100.0 and total["max_wait_s"] == 10.0  # the e-mail's hour is not a wait
    assert (total["offered"], total["answered"]) == (2, 2)  # counts are summed
    assert total["aht_s"] == 120.0
    assert total["async"] == {"queues": 1, "offered": 1, "answered": 1, "handled": 1, "answered_within_target": 1,
                              "response_attainment": 100.0}  # fmt: skip
    assert total["by_kind"]["synchronous"]["answered"] == 1 and total["by_kind"]["asynchronous"]["answered"] == 1
    # The queue's own row keeps its own figures.
    assert next(r for r in body["rows"] if r["queue"] == "E-mail")["asa_s"] == 3600.0
    # The same through the API, and in the weekly report.
    client = APIClient()
    client.force_login(UserFactory(role="manager"))
    assert client.get("/api/v1/reports/daily/", {"date": DAY.isoformat()}).json()["total"]["asa_s"] == 10.0
    week = report_api(kind="weekly", first_day=DAY, scope=ReportFilter())
    assert week["total"]["asa_s"] == 10.0 and week["total"]["async"]["response_attainment"] == 100.0


def test_a_total_without_a_synchronous_queue_has_no_service_level_asa_or_longest_wait(centre):
    centre(late=True)
    total = report_api(kind="daily", first_day=DAY, scope=ReportFilter(team="Backoffice"))["total"]
    assert total["service_level"] is None and total["asa_s"] is None and total["max_wait_s"] is None
    # 1 of 2 e-mails answered within the 8 h target.
    assert total["async"]["response_attainment"] == 50.0 and total["async"]["answered_within_target"] == 1
    # The centre's figures are still those of the one voice contact.
    centre_total = report_api(kind="daily", first_day=DAY, scope=ReportFilter())["total"]
    assert centre_total["asa_s"] == 10.0 and centre_total["async"]["response_attainment"] == 50.0
    # On the page the e-mail team's total shows "—" for them, never 0 or "None".
    client = APIClient()
    client.force_login(UserFactory(role="manager"))
    html = client.get("/reports/daily/", {"date": DAY.isoformat(), "team": "Backoffice"}).content.decode()
    total_row = html[html.index('<tr class="total">') :].split("</tr>")[0]
    assert total_row.count("<td>—</td>") == 3 and "None" not in total_row  # SL, ASA, longest wait


def test_the_report_page_shows_the_synchronous_figures_and_the_async_block(centre):
    centre(late=True)
    view = report_page(kind="daily", first_day=DAY, scope=ReportFilter())
    kpis = {k["key"]: k["value"] for k in view["kpis"]}
    # The total's service level is the voice queue's, so is its target (80 %, not the e-mail's 95 %).
    assert next(k for k in view["kpis"] if k["key"] == "service_level")["target"] == 80
    assert kpis["asa_s"] == 10.0 and kpis["max_wait_s"] == 10.0 and kpis["response_attainment"] == 50.0
    # The chart's service level per quarter-hour is the voice queue's: the late e-mail (08:30) leaves
    # its quarter-hour empty instead of at 0 %.
    chart = view["chart"]
    at = {label: i for i, label in enumerate(chart["labels"])}
    assert chart["service_level"][at["09:00"]] == 100.0 and chart["service_level"][at["08:30"]] is None
    client = APIClient()
    client.force_login(UserFactory(role="manager"))
    html = client.get("/reports/daily/", {"date": DAY.isoformat()}).content.decode()
    block = html[html.index('data-kind="async"') :].split("</div>")[0]
    assert "1 wachtrij: 2 aangeboden, 2 beantwoord, waarvan 1 binnen de responstijd (50,0 %)" in block
    total_row = html[html.index('<tr class="total">') :].split("</tr>")[0]
    assert total_row.count("<td>0:10</td>") == 2  # the voice ASA and longest wait, not the e-mails'


def test_total_interval_rows_keep_the_kinds_apart(centre):
    centre()
    start, end = day_bounds(DAY)
    rows = interval_rows(start=local(8), end=local(10), length=60, by_queue=False)
    by_hour = {r["local_start"][11:16]: r for r in rows}
    assert by_hour["09:00"]["asa_s"] == 10.0
    # 08:00 holds only the e-mail: no synchronous figure, its hour in the async block.
    assert by_hour["08:00"]["asa_s"] is None and by_hour["08:00"]["service_level"] is None
    assert by_hour["08:00"]["async"]["response_attainment"] == 100.0
    assert by_hour["08:00"]["max_wait_answered_ms"] == 0
    day = interval_rows(start=start, end=end, length=60, by_queue=False)
    assert sum(r["answered"] for r in day) == 2
