"""The report pages in a real browser against a real daphne: a manager picks a day, reads the KPI table and
the Chart.js charts, switches to the week, prints (the print stylesheet hides the controls) and downloads
the PDF, whose text holds the figures."""

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pypdf import PdfReader

from dashboard.core.models import Contact
from dashboard.core.periods import day_bounds, floor_interval
from dashboard.intervals.services import intervals_aggregate
from tests.e2e.conftest import ARTIFACTS, Stack, login_page
from tests.factories import QueueFactory, TeamFactory

TZ = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 11, 24)


@pytest.fixture
def web(transactional_db):
    s = Stack()
    s.start_daphne()
    yield s
    s.stop()


def _day_of_contacts():
    team = TeamFactory(name="1e lijn")
    queue = QueueFactory(name="Algemeen", team=team, sl_threshold_s=20)
    n = 0
    for hour in (9, 10, 11):
        for wait in (5, 10, 15, 40):
            n += 1
            offered = datetime.combine(DAY, time(hour, n), TZ)
            Contact.objects.create(contact_id=f"p{n}", queue=queue, channel="voice", offered_at=offered,
                                   answered_at=offered + timedelta(seconds=wait), ended_at=offered + timedelta(seconds=wait + 200),
                                   talk_s=180, acw_s=20, reason="factuur" if n % 2 else "storing")  # fmt: skip
        n += 1
        offered = datetime.combine(DAY, time(hour, n), TZ)
        Contact.objects.create(contact_id=f"p{n}", queue=queue, channel="voice", offered_at=offered,
                               abandoned_at=offered + timedelta(seconds=60))  # fmt: skip
    intervals_aggregate(start=day_bounds(DAY)[0], end=day_bounds(DAY)[1])


def login(browser, base: str):
    return login_page(
        browser,
        base,
        username="manager-e2e",
        role="manager",
        next_path="/reports/",
        viewport={"width": 1400, "height": 1100},
        accept_downloads=True,
    )


def test_manager_reads_prints_and_downloads_a_report(web, browser):
    _day_of_contacts()
    page = login(browser, web.base)
    page.fill("input[name=date]", DAY.isoformat())
    page.locator("form.picker").first.locator("select[name=team]").select_option("1e lijn")
    page.locator("form.picker").first.locator("button[type=submit]").click()
    page.wait_for_url("**/reports/daily/?date=2026-11-24*")
    # 15 offered, 12 answered, 9 within 20 s; 3 abandoned after 60 s: 9 / 15 = 60 %
    kpis = {row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
            for row in page.locator("table.kpis tbody tr").all()}  # fmt: skip
    assert kpis["Offered"].startswith("15") and kpis["Answered"].startswith("12")
    assert kpis["Service level"].replace(",", ".").startswith("60.0")
    assert kpis["Abandon rate"].replace(",", ".").startswith("20.0")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-volume') && Chart.getChart('chart-reasons')")
    offered = page.evaluate("Chart.getChart('chart-volume').data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert offered == 15
    assert page.evaluate("Chart.getChart('chart-volume').data.labels.length") == 96
    assert page.evaluate("Chart.getChart('chart-reasons').data.labels") == ["factuur", "storing", "-"]
    page.screenshot(path=str(ARTIFACTS / "report-daily.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible() and not page.locator("form.picker").is_visible()
    assert page.locator("table.kpis").is_visible() and page.locator("#chart-volume").is_visible()
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.click("text=Download PDF")
    pdf = download.value.path().read_bytes()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "2026-11-24" in text and "1e lijn" in text and "Algemeen" in text and "60.0" in text
    page.goto(f"{web.base}/reports/weekly/?week=2026-W48")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-volume')")
    assert page.evaluate("Chart.getChart('chart-volume').data.labels.length") == 7
    assert "15" in page.locator("table.grid tr.total td").nth(1).inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-weekly.png"), full_page=True)


def _answered(queue, n, offered, wait, handle, customer=""):
    Contact.objects.create(contact_id=f"cmp{n}", queue=queue, channel="voice", offered_at=offered,
                           answered_at=offered + timedelta(seconds=wait), ended_at=offered + timedelta(seconds=wait + handle),
                           talk_s=handle, customer_ref=customer)  # fmt: skip


def test_comparisons_show_direction_by_arrow_and_verdict_by_colour(web, browser):
    """Two days ago against the same weekday a week before: callers waited 60 s then and 10 s now (ASA
    ▼ in green), talked longer (AHT ▲ in red); first-contact resolution of two days ago is still open
    (provisional, not compared). Today so far is compared with last week up to the same time."""
    queue = QueueFactory(name="Algemeen", team=TeamFactory(name="1e lijn"), sl_threshold_s=20)
    today = timezone.localdate()
    day, before = today - timedelta(days=2), today - timedelta(days=9)
    for n in range(4):
        _answered(queue, f"b{n}", datetime.combine(before, time(10, n), TZ), wait=60, handle=200, customer=f"K{n}")
        _answered(queue, f"d{n}", datetime.combine(day, time(10, n), TZ), wait=10, handle=260, customer=f"K{n}")
    intervals_aggregate(start=day_bounds(before)[0], end=day_bounds(day)[1])
    page = login(browser, web.base)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{web.base}/reports/daily/?date={day.isoformat()}")
    row = page.locator("table.kpis tr[data-kpi=asa_s] td.trend")
    assert row.inner_text().replace("\u2212", "-") == "-0:50 ▼"
    assert row.get_attribute("data-direction") == "down" and row.get_attribute("data-verdict") == "better"
    green = row.evaluate("el => getComputedStyle(el).color")
    aht = page.locator("table.kpis tr[data-kpi=aht_s] td.trend")
    assert aht.inner_text() == "+1:00 ▲" and aht.get_attribute("data-verdict") == "worse"
    red = aht.evaluate("el => getComputedStyle(el).color")
    assert green == "rgb(21, 128, 61)" and red != green and red != "rgb(0, 0, 0)"
    sl = page.locator("table.kpis tr[data-kpi=service_level] td.trend")
    assert sl.inner_text() == "+100.0 ▲" and sl.evaluate("el => getComputedStyle(el).color") == green
    fcr = page.locator("table.kpis tr[data-kpi=fcr]")
    assert "provisional" in fcr.locator("td").nth(1).inner_text()
    assert fcr.locator("td.trend").inner_text() == "not compared: provisional"
    assert "▲" not in fcr.inner_text() and "▼" not in fcr.inner_text()
    page.locator("section.block").first.screenshot(path=str(ARTIFACTS / "report-comparisons.png"))
    page.screenshot(path=str(ARTIFACTS / "report-comparisons-page.png"))

    # Today so far: the calls of last week after this moment are not in the comparison.
    now = timezone.localtime()
    if not time(0, 30) <= now.time() <= time(23, 0):
        pytest.skip("too close to midnight to split a day in two")
    week_ago = today - timedelta(days=7)
    _answered(queue, "w1", datetime.combine(week_ago, time(0, 5), TZ), wait=5, handle=100)
    _answered(queue, "w2", datetime.combine(week_ago, time(23, 50), TZ), wait=5, handle=100)
    _answered(queue, "w3", datetime.combine(week_ago, time(23, 51), TZ), wait=5, handle=100)
    _answered(queue, "t1", datetime.combine(today, time(0, 5), TZ), wait=5, handle=100)
    intervals_aggregate(start=day_bounds(week_ago)[0], end=day_bounds(week_ago)[1])
    intervals_aggregate(start=day_bounds(today)[0], end=floor_interval(timezone.now()))
    page.goto(f"{web.base}/reports/daily/?date={today.isoformat()}")
    offered = page.locator("table.kpis tr[data-kpi=offered] td")
    assert offered.nth(1).inner_text().strip() == "1" and offered.nth(3).inner_text().strip() == "1"  # not 3
    assert offered.nth(4).inner_text().strip() == "0"
    assert page.inner_text("#comparison-note").startswith("So far: up to")
    page.locator("section.block").first.screenshot(path=str(ARTIFACTS / "report-today-so-far.png"))
