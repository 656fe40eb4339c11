"""Reports: the wallboard's "today", the interval rows and the daily report agree on simulated data; the
report API's fields, filters and totals; weekly sums; DST days; stored reports, staleness and e-mail;
the PDF's text; the pages and the beat schedule."""

import io
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils.module_loading import import_string
from django_celery_beat.schedulers import DatabaseScheduler
from pypdf import PdfReader
from rest_framework.test import APIClient

from dashboard.core.metrics import Counts
from dashboard.core.models import KPI, Contact
from dashboard.core.periods import day_bounds
from dashboard.ingest.services import events_ingest
from dashboard.intervals import tasks as intervals_tasks  # noqa: F401  (registers the tasks)
from dashboard.intervals.models import QueueInterval
from dashboard.intervals.selectors import interval_rows
from dashboard.intervals.services import intervals_aggregate, intervals_update
from dashboard.live.selectors import live_snapshot
from dashboard.live.services import live_rebuild
from dashboard.reports import tasks as reports_tasks  # noqa: F401
from dashboard.reports.compute import report_compute
from dashboard.reports.models import Report, ReportSubscription
from dashboard.reports.pdf import report_pdf
from dashboard.reports.selectors import ReportFilter, report_api, report_page
from dashboard.reports.services import report_build, reports_build_due
from dashboard.simulator.demo import demo_config_load
from dashboard.simulator.engine import Simulator
from dashboard.simulator.spec import centre_spec_from_db
from kcc.celery import app as celery_app
from tests.factories import QueueFactory, SourceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 11, 24)  # a Tuesday
COUNT_FIELDS = list(Counts.__dataclass_fields__)


def local(day, hh, mm=0, ss=0):
    return datetime.combine(day, time(hh, mm, ss), TZ)


def client_for(role="manager", **kw):
    client = APIClient()
    client.force_login(UserFactory(role=role, **kw))
    return client


@pytest.fixture
def simulated_day():
    """The demo centre simulated from local midnight to 14:00 on DAY, ingested as the ACD would send it."""
    demo_config_load()
    until = local(DAY, 14)
    live_rebuild(now=until)
    source = SourceFactory(name="simulator")
    events = Simulator(centre_spec_from_db(), 7, local(DAY, 0)).run_until(until)
    for i in range(0, len(events), 2000):
        batch = events[i : i + 2000]
        events_ingest(source=source, events=batch, now=datetime.fromisoformat(batch[-1]["at"]))
    return until


def test_wallboard_today_interval_rows_and_daily_report_agree(simulated_day):
    now = simulated_day
    intervals_update(now=now)  # the minute task: every interval closed by 14:00
    live = {q["name"]: q["today"] for q in live_snapshot(now=now)["queues"]}
    start, end = day_bounds(DAY)
    rows = interval_rows(start=start, end=end)
    assert len(rows) == len(live) * 56  # 00:00–14:00: closed quarter-hours only
    per_queue = {}
    for r in rows:
        per_queue.setdefault(r["queue"], []).append(r)
    api = report_api(kind="daily", first_day=DAY, scope=ReportFilter(), now=now)
    api_rows = {r["queue"]: r for r in api["rows"]}
    assert sum(v["offered"] for v in live.values()) > 500
    for name, today in live.items():
        summed = {f: sum(r[f] for r in per_queue[name]) for f in COUNT_FIELDS}
        assert summed == {f: today[f] for f in COUNT_FIELDS}, name
        row = api_rows[name]
        for f in (
            "offered",
            "answered",
            "abandoned",
            "short_abandoned",
            "answered_within_threshold",
            "transferred_out",
        ):
            assert row[f] == today[f], (name, f)
        for f in ("service_level", "asa_s", "aht_s", "abandon_rate"):
            assert row[f] == today[f], (name, f)
    everything = live_snapshot(now=now)["all"]["today"]
    for f in ("offered", "answered", "abandoned", "service_level", "asa_s", "aht_s", "abandon_rate"):
        assert api["total"][f] == everything[f], f
    # repeat contacts by reason (reports: one sort over the customers' contacts) add up to the interval
    # store's repeat_contacts (an index look-up per contact): two ways to one rule, held equal
    data = report_compute(kind="daily", first_day=DAY, now=now)
    repeats = sum(sum(q["repeats"].values()) for q in data["queues"].values())
    assert repeats == sum(r["repeat_contacts"] for r in rows) > 0
    assert (
        sum(q["fcr_answered"] for q in data["queues"].values())
        > sum(q["fcr_resolved"] for q in data["queues"].values())
        > 0
    )
    # the stored report holds the same figures as the one computed on the fly
    report_build(kind="daily", first_day=DAY, now=now, email=False)
    stored = report_api(kind="daily", first_day=DAY, scope=ReportFilter(), now=now)
    assert stored["stored"] and stored["rows"] == api["rows"] and stored["total"] == api["total"]


@pytest.fixture
def two_teams():
    """Two teams, three queues, hand-made contacts on DAY: totals come from summed counts."""
    first, webcare = TeamFactory(name="1e lijn"), TeamFactory(name="Webcare")
    algemeen = QueueFactory(name="Algemeen", team=first, sl_threshold_s=20)
    facturen = QueueFactory(name="Facturen", team=first, sl_threshold_s=20)
    chat = QueueFactory(name="Chat", team=webcare, channel="chat", sl_threshold_s=60)
    n = 0

    def add(queue, hh, wait, outcome, **kw):
        nonlocal n
        n += 1
        offered = local(DAY, hh)
        fields = {"answered": {"answered_at": offered + timedelta(seconds=wait), "ended_at": offered + timedelta(seconds=wait + 100),
                               "talk_s": 90.0, "acw_s": 10.0},
                  "abandoned": {"abandoned_at": offered + timedelta(seconds=wait)}}[outcome]  # fmt: skip
        Contact.objects.create(
            contact_id=f"h{n}", queue=queue, channel=queue.channel, offered_at=offered, **fields, **kw
        )

    for _ in range(9):
        add(algemeen, 9, 10, "answered")  # 9 answered within 20 s
    add(algemeen, 9, 100, "abandoned", customer_ref="K1", reason="factuur")
    add(facturen, 10, 30, "answered", customer_ref="K1", reason="factuur")  # a repeat of K1's abandoned call
    add(chat, 11, 30, "answered", reason="bestelling")
    add(chat, 11, 2, "abandoned")  # short abandon
    intervals_aggregate(start=day_bounds(DAY)[0], end=day_bounds(DAY)[1], now=local(DAY + timedelta(days=1), 0, 1))
    return {"first": first, "algemeen": algemeen, "facturen": facturen, "chat": chat}


def test_report_api_fields_filters_and_total_from_summed_counts(two_teams):
    client = client_for()
    body = client.get("/api/v1/reports/daily/", {"date": DAY.isoformat()}).json()
    assert [r["queue"] for r in body["rows"]] == ["Algemeen", "Chat", "Facturen"]
    algemeen = body["rows"][0]
    assert set(algemeen) == {"queue", "channel", "team", "offered", "answered", "abandoned", "short_abandoned",
                             "answered_within_threshold", "service_level", "asa_s", "aht_s", "abandon_rate",
                             "max_wait_s", "transferred_out", "repeat_contacts"}  # fmt: skip
    assert (algemeen["offered"], algemeen["answered"], algemeen["abandoned"]) == (10, 9, 1)
    assert algemeen["service_level"] == 90.0 and algemeen["abandon_rate"] == 10.0
    assert body["rows"][2]["service_level"] == 0.0 and body["rows"][2]["repeat_contacts"] == 1
    total = body["total"]
    assert (total["offered"], total["answered"], total["abandoned"], total["short_abandoned"]) == (13, 11, 2, 1)
    # 10 within threshold of 11 answered + 2 abandoned - 1 short: 83.3 %, not the average of 90, 100 and 0
    assert total["service_level"] == 83.3
    assert total["asa_s"] == round((9 * 10 + 30 + 30) / 11, 1) and total["max_wait_s"] == 30.0
    assert total["aht_s"] == 100.0 and total["repeat_contacts"] == 1
    team = client.get("/api/v1/reports/daily/", {"date": DAY.isoformat(), "team": "1e lijn"}).json()
    assert [r["queue"] for r in team["rows"]] == ["Algemeen", "Facturen"] and team["total"]["offered"] == 11
    chat = client.get("/api/v1/reports/daily/", {"date": DAY.isoformat(), "channel": "chat"}).json()
    assert [r["queue"] for r in chat["rows"]] == ["Chat"] and chat["total"]["short_abandoned"] == 1
    one = client.get("/api/v1/reports/daily/", {"date": DAY.isoformat(), "queue": "Facturen"}).json()
    assert one["total"]["offered"] == 1 and one["filters"]["queue"] == "Facturen"
    none = client.get("/api/v1/reports/daily/", {"date": DAY.isoformat(), "team": "1e lijn", "channel": "chat"}).json()
    assert none["rows"] == [] and none["total"]["offered"] == 0 and none["total"]["service_level"] is None
    week = client.get("/api/v1/reports/weekly/", {"week": "2026-W48"}).json()
    assert week["first_day"] == "2026-11-23" and week["last_day"] == "2026-11-29"
    assert week["total"] == total


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "date"),
        ({"date": "24-11-2026"}, "date"),
        ({"date": "2026-11-24", "queue": "Nope"}, "queue"),
        ({"date": "2026-11-24", "team": "Nope"}, "team"),
        ({"date": "2026-11-24", "channel": "fax"}, "channel"),
    ],
)
def test_report_api_rejects_bad_input_naming_the_parameter(two_teams, params, field):
    response = client_for().get("/api/v1/reports/daily/", params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{field}:")


def test_report_api_week_format_and_roles(two_teams):
    response = client_for().get("/api/v1/reports/weekly/", {"week": "2026-48"})
    assert response.status_code == 400 and "YYYY-Www" in response.json()["error"]
    assert client_for().get("/api/v1/reports/weekly/", {"week": "2026-W54"}).status_code == 400
    supervisor = client_for("supervisor", teams=[two_teams["first"]])
    assert supervisor.get("/api/v1/reports/daily/", {"date": DAY.isoformat()}).status_code == 403
    assert APIClient().get("/api/v1/reports/daily/", {"date": DAY.isoformat()}).status_code == 401
    assert client_for("wfm").get("/api/v1/reports/daily/", {"date": DAY.isoformat()}).status_code == 200


def test_report_view_breakdowns_targets_and_trend(two_teams):
    KPI.objects.create(code=KPI.Code.SERVICE_LEVEL, target=80, warning=75, critical=65, higher_is_better=True)
    # the same weekday a week earlier: one answered call
    Contact.objects.create(contact_id="old", queue=two_teams["algemeen"], channel="voice", offered_at=local(DAY - timedelta(days=7), 9),
                           answered_at=local(DAY - timedelta(days=7), 9, 0, 5))  # fmt: skip
    intervals_aggregate(start=day_bounds(DAY - timedelta(days=7))[0], end=day_bounds(DAY - timedelta(days=7))[1])
    view = report_page(
        kind="daily", first_day=DAY, scope=ReportFilter(team="1e lijn"), now=local(DAY + timedelta(days=1), 8)
    )
    kpis = {k["key"]: k for k in view["kpis"]}
    assert kpis["service_level"]["value"] == 81.8 and kpis["service_level"]["target"] == 80
    assert kpis["service_level"]["previous"] == 100.0 and kpis["service_level"]["trend"] == "worse"
    assert kpis["offered"]["previous"] == 1 and kpis["offered"]["delta"] == 10
    assert view["reasons"] == [("-", 9), ("factuur", 2)]
    assert view["repeats"] == [("Facturen", "factuur", 1)]
    assert view["repeat"] == {"contacts": 1, "identified": 2, "rate": 50.0}
    assert view["fcr"] == {"answered": 1, "resolved": 1, "rate": 100.0}  # K1's answered call was the last one
    assert len(view["chart"]["labels"]) == 96 and sum(view["chart"]["offered"]) == 11
    assert view["chart"]["service_level"][36] == 90.0  # 09:00


@pytest.mark.parametrize(("day", "quarters"), [(date(2026, 3, 29), 92), (date(2026, 10, 25), 100)])
def test_dst_days_in_the_daily_report(day, quarters):
    queue = QueueFactory(name="Algemeen")
    Contact.objects.create(
        contact_id="d1", queue=queue, channel="voice", offered_at=datetime.combine(day, time(12), TZ)
    )
    intervals_aggregate(start=day_bounds(day)[0], end=day_bounds(day)[1])
    view = report_page(
        kind="daily", first_day=day, scope=ReportFilter(), now=datetime.combine(day + timedelta(days=1), time(8), TZ)
    )
    assert len(view["chart"]["labels"]) == quarters and sum(view["chart"]["offered"]) == 1
    assert view["chart"]["labels"][8] == ("03:00" if quarters == 92 else "02:00")
    assert QueueInterval.objects.filter(start__gte=day_bounds(day)[0], start__lt=day_bounds(day)[1]).count() == quarters


def test_pdf_renders_and_holds_the_figures(two_teams):
    view = report_page(kind="daily", first_day=DAY, scope=ReportFilter(), now=local(DAY + timedelta(days=1), 8))
    pdf = report_pdf(view)
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert DAY.isoformat() in text
    assert "Algemeen" in text and "Facturen" in text and "bestelling" in text
    assert "83,3" in text or "83.3" in text  # the total service level
    response = client_for().get("/reports/daily/pdf/", {"date": DAY.isoformat(), "team": "1e lijn"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "1e lijn" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def test_reports_built_when_due_stored_idempotent_and_emailed(two_teams, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    manager = UserFactory(role="manager", email="m@example.org")
    ReportSubscription.objects.create(user=manager, kind="daily", team=two_teams["first"])
    ReportSubscription.objects.create(user=UserFactory(role=None, email="x@example.org"), kind="daily")  # no role
    now = local(DAY + timedelta(days=1), 0, 7)
    intervals_update(now=now)
    assert reports_build_due(kind="daily", now=now) == [DAY.isoformat()]
    report = Report.objects.get(kind="daily", period_start=DAY)
    assert report.data["queues"] and not report.final
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["m@example.org"]
    assert "2026-11-24" in mail.outbox[0].subject and mail.outbox[0].attachments[0][2] == "application/pdf"
    assert reports_build_due(kind="daily", now=now + timedelta(minutes=5)) == []  # nothing changed
    assert len(mail.outbox) == 1
    # a late contact for that day makes the report stale: rebuilt, not e-mailed again
    Contact.objects.create(contact_id="late", queue=two_teams["chat"], channel="chat", offered_at=local(DAY, 15),
                           abandoned_at=local(DAY, 15, 1))  # fmt: skip
    intervals_aggregate(start=local(DAY, 15), end=local(DAY, 15, 15), now=now + timedelta(minutes=6))
    assert reports_build_due(kind="daily", now=now + timedelta(minutes=10)) == [DAY.isoformat()]
    assert (
        Report.objects.get(kind="daily", period_start=DAY).data["queues"][str(two_teams["chat"].id)]["counts"][
            "offered"
        ]
        == 3
    )
    assert len(mail.outbox) == 1
    # final once the 7 days after have passed
    later = local(DAY + timedelta(days=8), 1)
    intervals_update(now=later)
    assert DAY.isoformat() in reports_build_due(kind="daily", now=later)
    assert Report.objects.get(kind="daily", period_start=DAY).final
    # the weekly report of that week on the Monday after
    monday = local(date(2026, 11, 30), 6)
    assert reports_build_due(kind="weekly", now=monday) == ["2026-W48"]


def test_pages_for_managers(two_teams):
    client = client_for()
    index = client.get("/reports/")
    assert index.status_code == 200 and b"2026" in index.content
    page = client.get("/reports/daily/", {"date": DAY.isoformat(), "queue": "Algemeen"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "chart.umd.min.js" in html and "reports.css" in html and 'id="report-chart"' in html
    assert "90,0" in html or "90.0" in html
    assert client.get("/reports/weekly/", {"week": "2026-W48"}).status_code == 200
    assert client.get("/reports/daily/", {"date": "gisteren"}).status_code == 400
    assert client.get("/reports/daily/", {"date": DAY.isoformat(), "queue": "Nope"}).status_code == 400
    supervisor = APIClient()
    supervisor.force_login(UserFactory(role="supervisor"))
    assert supervisor.get("/reports/").status_code == 403
    assert APIClient().get("/reports/").status_code == 302  # to the login page


def test_beat_schedule_declares_the_report_tasks_once():
    schedule = settings.CELERY_BEAT_SCHEDULE
    declared = Counter(entry["task"] for entry in schedule.values())
    for name in ("intervals_aggregate", "reports_daily_build", "reports_weekly_build"):
        assert declared[f"dashboard.tasks.{name}"] == 1, (
            f"{name} is scheduled {declared[f'dashboard.tasks.{name}']} times"
        )
    tasks = {entry["task"]: entry for entry in schedule.values()}
    assert tasks["dashboard.tasks.intervals_aggregate"]["schedule"] == 60.0
    assert tasks["dashboard.tasks.reports_daily_build"]["schedule"] <= 300
    for name in ("intervals_aggregate", "reports_daily_build", "reports_weekly_build"):
        entry = tasks[f"dashboard.tasks.{name}"]
        # django-celery-beat reads expire_seconds (an "expires" option it drops without a word)
        assert "expires" not in entry["options"]
        assert entry["options"]["expire_seconds"] < entry["schedule"]
    registered = celery_app.tasks
    for name in ("intervals_aggregate", "intervals_reaggregate", "reports_daily_build", "reports_weekly_build"):
        task = registered[f"dashboard.tasks.{name}"]
        assert task.acks_late and task.reject_on_worker_lost and task.time_limit
    # django-celery-beat's database scheduler (kcc.beat adds the lease among copies and the heartbeat)
    scheduler = import_string(settings.CELERY_BEAT_SCHEDULER.replace(":", "."))
    assert issubclass(scheduler, DatabaseScheduler)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_pdf_tables_keep_every_header_and_figure_inside_its_column(two_teams, monkeypatch, language):
    """Issue 9, point 7: the daily PDF's "Abandoned" header ran into the next column. Every cell the PDF
    draws with a width (headers, wrapped over lines, and figures) is measured in its own font against
    its column, in English and in Dutch; the long headers are there whole."""
    from django.utils import translation
    from fpdf import FPDF

    from dashboard.reports import pdf as pdf_module

    drawn = []
    original = FPDF.cell

    def measured_cell(self, w=None, h=None, text="", *args, **kwargs):
        if w and text:
            drawn.append((text, w, self.get_string_width(text), 2 * self.c_margin, self.font_size_pt))
        return original(self, w, h, text, *args, **kwargs)

    monkeypatch.setattr(pdf_module._Doc, "cell", measured_cell)
    with translation.override(language):
        view = report_page(kind="daily", first_day=DAY, scope=ReportFilter(), now=local(DAY + timedelta(days=1), 8))
        pdf = report_pdf(view)
        headers = [translation.gettext(t) for t in ("Abandoned", "Answered", "Max wait s", "Occupancy %")]
    overflowing = [(text, w, round(width, 1)) for text, w, width, margins, _ in drawn if width > w - margins + 1e-6]
    assert overflowing == []
    assert min(size for *_, size in drawn) >= 6
    texts = {text for text, *_ in drawn}
    abandoned = headers[0]
    assert abandoned in texts  # on one line, not broken inside the word
    page_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert abandoned in page_text and headers[1] in page_text


def test_the_dutch_pdf_speaks_dutch_in_its_summary_lines(two_teams):
    """The lines under the tables (callbacks, transfers, outside hours, repeat contacts) and "built" were
    left in English in the Dutch PDF."""
    from django.utils import translation

    with translation.override("nl"):
        view = report_page(kind="daily", first_day=DAY, scope=ReportFilter(), now=local(DAY + timedelta(days=1), 8))
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(report_pdf(view))).pages)
    for dutch in ("Terugbelbeloftes", "Doorverbonden naar een andere wachtrij", "herkend", "gemaakt"):
        assert dutch in text, dutch
    for english in ("Callbacks promised", "Transferred to another queue", "identified", "built"):
        assert english not in text, english
