"""The WFM pages in a real browser against a real daphne: the Erlang calculator's sliders, last week's
interval export downloaded as CSV and XLSX, required against staffed, and a forecast import."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from openpyxl import load_workbook

from dashboard.core import erlang
from dashboard.core.periods import day_bounds
from dashboard.intervals.services import intervals_aggregate
from tests.e2e.conftest import ARTIFACTS, Stack, login_page
from tests.factories import QueueFactory, TeamFactory, UserFactory


@pytest.fixture
def web(transactional_db):
    s = Stack()
    s.start_daphne()
    yield s
    s.stop()


def login(browser, base: str, role: str = "wfm"):
    return login_page(
        browser,
        base,
        username=f"planner-{role}",
        role=role,
        next_path="/wfm/",
        viewport={"width": 1400, "height": 1000},
        accept_downloads=True,
    )


def set_slider(page, name: str, value) -> None:
    page.eval_on_selector(
        f"#erlang-form [name={name}]",
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
        str(value),
    )


def test_erlang_calculator_sliders(web, browser):
    page = login(browser, web.base)
    page.goto(f"{web.base}/wfm/erlang/")
    page.wait_for_selector("body[data-erlang-ready='1']")
    # Defaults: 100 contacts per 15 min, AHT 180 s, 80 % in 20 s, occupancy at most 90 %, shrinkage 30 %.
    expected = erlang.required_agents(
        calls=100, interval_s=900, aht_s=180, target_sl=0.8, threshold_s=20, max_occupancy=0.9
    )
    page.wait_for_function(f"() => document.getElementById('r-required').textContent === '{expected}'")
    assert page.inner_text("#r-scheduled") == str(erlang.scheduled_agents(required=expected, shrinkage=0.3))
    assert page.inner_text("#r-traffic") == "20.00"
    set_slider(page, "calls", 300)
    more = erlang.required_agents(
        calls=300, interval_s=900, aht_s=180, target_sl=0.8, threshold_s=20, max_occupancy=0.9
    )
    page.wait_for_function(f"() => document.getElementById('r-required').textContent === '{more}'")
    page.check("#erlang-form [name=abandon]")
    page.wait_for_selector("#r-pabandon-box:not([hidden])")
    assert float(page.inner_text("#r-pabandon")) >= 0
    assert page.locator("#erlang-table tbody tr.required").count() == 1
    assert page.evaluate("Chart.getChart('erlang-chart').data.datasets.length") == 3
    page.screenshot(path=str(ARTIFACTS / "wfm-erlang.png"), full_page=True)


def test_planner_downloads_last_week_checks_staffing_and_imports_a_forecast(web, browser, tmp_path):
    team = TeamFactory(name="1e lijn")
    QueueFactory(name="Algemeen", team=team)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    start, _ = day_bounds(monday)
    _, end = day_bounds(monday + timedelta(days=6))
    intervals_aggregate(start=start, end=end)
    quarters = int((end - start).total_seconds() // 900)

    page = login(browser, web.base)
    page.goto(f"{web.base}/wfm/intervals/")
    with page.expect_download() as info:
        page.click("#export-form button[value=auto]")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert len(rows) == quarters and rows[0]["queue"] == "Algemeen"
    assert rows[0]["interval_start"].startswith(monday.isoformat())
    page.select_option("#export-form [name=format]", "xlsx")
    with page.expect_download() as info:
        page.click("#export-form button[value=auto]")
    assert info.value.suggested_filename.endswith("_15min.xlsx")
    with open(info.value.path(), "rb") as fh:
        sheet = load_workbook(fh, read_only=True).active
        assert len(list(sheet.iter_rows(values_only=True))) == 1 + quarters

    page.goto(f"{web.base}/wfm/staffing/?day={monday.isoformat()}&team=1e+lijn")
    day_start, day_end = day_bounds(monday)
    assert page.locator("#staffing-table tbody tr").count() == int((day_end - day_start).total_seconds() // 900)
    assert page.evaluate("Chart.getChart('staffing-chart').data.labels.length") > 0

    forecast = tmp_path / "forecast.csv"
    forecast.write_text(
        f"queue,interval_start,offered,aht_s\nAlgemeen,{monday.isoformat()}T09:00:00,12,180\nAlgemeen,{monday.isoformat()}T09:07:00,1,1\n"
    )
    page.goto(f"{web.base}/wfm/forecast/?queue=Algemeen&day={monday.isoformat()}")
    page.set_input_files("#import-form input[type=file]", str(forecast))
    page.click("#import-form button")
    page.wait_for_selector("#import-result")
    assert "Imported 1 rows" in page.inner_text("#import-result")
    assert page.locator("#import-errors tbody tr td").first.inner_text() == "3"  # the 09:07 line
    page.goto(
        f"{web.base}/wfm/forecast/?queue=Algemeen&day={monday.isoformat()}&start={monday.isoformat()}&end={monday.isoformat()}"
    )
    assert "WAPE" in page.inner_text("#day-accuracy")
    assert page.locator("#accuracy-table tbody tr").count() == 1
    page.screenshot(path=str(ARTIFACTS / "wfm-forecast.png"), full_page=True)


def test_supervisor_is_refused(web, browser):
    user = UserFactory(username="sup", role="supervisor")
    password = PBKDF2PasswordHasher().encode("secret-pw-123", PBKDF2PasswordHasher().salt())
    get_user_model().objects.filter(pk=user.pk).update(password=password)
    page = browser.new_page(locale="en-GB")
    page.goto(f"{web.base}/accounts/login/?next=/wfm/erlang/")
    page.fill("#id_username", "sup")
    page.fill("#id_password", "secret-pw-123")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()
    assert "wfm, manager and admin" in page.content()


def test_background_export_through_a_real_celery_worker(transactional_db):
    """The page's large export: queued by the view, written by a real worker (its own queue, so no other
    worker sharing the broker takes it), progress readable while it runs, file downloadable at the end."""
    import subprocess
    import sys
    import time as clock
    import uuid

    from rest_framework.test import APIClient

    from kcc.celery import app
    from tests.e2e.conftest import ROOT

    QueueFactory(name="Algemeen")
    QueueFactory(name="Chat", channel="chat")
    day = timezone.localdate() - timedelta(days=3)
    start, _ = day_bounds(day - timedelta(days=2))
    _, end = day_bounds(day)
    intervals_aggregate(start=start, end=end)
    queue_name = f"wfm-test-{uuid.uuid4().hex[:8]}"
    env = Stack().env
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kcc", "worker", "--pool", "solo", "-Q", queue_name,
         "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue_name
    try:
        client = APIClient()
        client.force_login(UserFactory(role="manager"))
        response = client.post(
            "/wfm/intervals/",
            {
                "start": (day - timedelta(days=2)).isoformat(),
                "end": day.isoformat(),
                "format": "csv",
                "mode": "background",
            },
        )
        assert response.status_code == 302
        export_id = response["Location"].rstrip("/").split("/")[-1]
        deadline = clock.monotonic() + 60
        while clock.monotonic() < deadline:
            status = client.get(f"/api/v1/intervals/exports/{export_id}/").json()
            if status["status"] in ("done", "failed"):
                break
            clock.sleep(0.3)
        assert status["status"] == "done", status
        quarters = int((end - start).total_seconds() // 900)
        assert status["rows_done"] == status["rows_total"] == 2 * quarters
        body = b"".join(client.get(status["download_url"]).streaming_content).decode()
        assert len(list(csv.DictReader(io.StringIO(body)))) == 2 * quarters
        from dashboard.wfm.models import IntervalExport
        from dashboard.wfm.services.export import export_dir

        (export_dir() / IntervalExport.objects.get(pk=export_id).file_name).unlink()
    finally:
        app.conf.task_default_queue = previous
        worker.terminate()
        worker.wait(20)


def test_staffing_opens_on_a_voice_team_in_percentages_and_email_is_workload(web, browser):
    """/wfm/staffing/ without parameters opens on a team with voice queues (not the back office, first by
    name), says its target and occupancy in percent; the back office's e-mail is planned by workload and
    is not under-staffed at night."""
    from datetime import time as clock_time

    from dashboard.core.models import OpeningHours

    backoffice = TeamFactory(name="Backoffice")
    email = QueueFactory(name="E-mail", team=backoffice, channel="email", response_target_s=8 * 3600)
    day = timezone.localdate() - timedelta(days=1)
    OpeningHours.objects.create(queue=email, weekday=day.weekday(), opens=clock_time(8), closes=clock_time(17))
    voice_team = TeamFactory(name="Klantenservice 1e lijn")
    QueueFactory(name="Algemeen", team=voice_team, channel="voice", sl_target_pct=80, sl_threshold_s=20)
    from datetime import datetime

    from dashboard.core.models import Contact

    tz = timezone.get_current_timezone()
    for n in range(30):  # e-mails at night, waiting for the morning
        Contact.objects.create(contact_id=f"night{n}", queue=email, channel="email",
                               offered_at=datetime.combine(day, clock_time(0, 40 + n % 20), tz))  # fmt: skip
    start, end = day_bounds(day)
    intervals_aggregate(start=start, end=end)
    page = login(browser, web.base)
    page.goto(f"{web.base}/wfm/staffing/")
    assert page.inner_text("h2").startswith("Klantenservice 1e lijn")
    assert page.locator("select[name=team] option:checked").inner_text() == "Klantenservice 1e lijn"
    model = page.inner_text("#staffing-model")
    assert "target 80 % within 0:20." in model and "0.80" not in page.inner_text("main")
    occupancy = page.locator("input[name=max_occupancy_pct]")
    assert occupancy.input_value() == "100"
    assert "Maximum occupancy (%)" in page.inner_text("form.wfm-filter")
    occupancy.fill("85")
    with page.expect_navigation():
        page.click("form.wfm-filter button[type=submit]")
    assert "max_occupancy_pct=85" in page.url, page.url
    assert page.locator("input[name=max_occupancy_pct]").input_value() == "85"
    page.goto(f"{web.base}/wfm/staffing/?team=Backoffice&day={day.isoformat()}")
    assert "Workload" in page.inner_text("#staffing-model") and "respond within 8 h" in page.inner_text(
        "#staffing-model"
    )
    assert page.locator("#staffing-table tbody tr.under").count() == 0
    night = page.locator("#staffing-table tbody tr", has_text="01:15")
    cells = night.locator("td")
    assert cells.nth(2).inner_text() == "30" and cells.nth(5).inner_text() == "0.0"  # backlog 30, nobody needed
    page.screenshot(path=str(ARTIFACTS / "wfm-staffing-backoffice.png"), full_page=True)
