"""The supervisor view's intraday panel in a real browser against a real daphne, on a day the simulator
ran until now: two teams' queues (open around the clock), one of them hit by an unannounced campaign
(the engine's ``Campaign``, × 3 for the last two and a half hours), both forecast at the simulator's own
expected rate. The campaign team's panel shows the curve (Chart.js), the staffing gap of the next four
quarter-hours and the alert "unannounced campaign?"; the ordinary team's panel no alert. Also in Dutch,
at 1280×720, 1920×1080 and 3840×2160 without breaking the page, and only for the supervisor's teams."""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone

from dashboard.core.periods import centre_tz, day_bounds, floor_interval, interval_starts
from dashboard.ingest.services import events_ingest
from dashboard.simulator.engine import (
    WEEKDAY_FACTOR,
    AgentSpec,
    Campaign,
    CentreSpec,
    QueueSpec,
    Simulator,
    intraday_profile,
)
from dashboard.wfm.models import ForecastInterval
from tests.e2e.conftest import ARTIFACTS, Stack, login_page
from tests.factories import AgentFactory, QueueFactory, SourceFactory, TeamFactory

VOLUME = 1500.0  # contacts per average weekday per queue
CAMPAIGN_FACTOR = 3.0
AGENTS = 8  # per team


@pytest.fixture
def web(transactional_db):
    s = Stack()  # on a free port of its own
    s.start_publisher()  # the other panels filled, so that the layout is checked as a supervisor sees it
    s.start_daphne()
    yield s
    s.stop()


def _expected(day, starts, tz) -> list[float]:
    """The simulator's own expected arrivals per quarter-hour of a queue open around the clock: its
    volume × the weekday's factor, spread over the day in proportion to the intraday profile (as the
    engine's ``_slots`` does), so the forecast is right on an ordinary day."""
    reference = sum(intraday_profile((i + 0.5) / 4, True) for i in range(96))
    per_slot = VOLUME * WEEKDAY_FACTOR[day.weekday()] / reference
    out = []
    for at in starts:
        local = at.astimezone(tz)
        out.append(per_slot * intraday_profile(local.hour + local.minute / 60 + 0.125, True))
    return out


def _simulated_day(now):
    """Teams "Gewoon" (queue Algemeen) and "Actie" (queue Acties), simulated from midnight until now with a
    campaign on Acties from two and a half hours ago; each queue forecast at the expected rate."""
    tz = centre_tz()
    day = now.astimezone(tz).date()
    start, end = day_bounds(day)
    starts = interval_starts(start, end)
    names = {"Gewoon": "Algemeen", "Actie": "Acties"}
    queues, teams = {}, {}
    for team_name, queue_name in names.items():
        teams[team_name] = TeamFactory(name=team_name)
        queues[queue_name] = QueueFactory(name=queue_name, team=teams[team_name], sl_target_pct=80, sl_threshold_s=20)
        for k in range(AGENTS):
            AgentFactory(login_id=f"{queue_name[:3].lower()}{k}", team=teams[team_name], skills=[queues[queue_name]])
    expected = _expected(day, starts, tz)
    for queue in queues.values():
        ForecastInterval.objects.bulk_create(
            ForecastInterval(queue=queue, start=at, offered=f, aht_s=300.0, source="imported")
            for at, f in zip(starts, expected, strict=True)
        )
    spec = CentreSpec(
        queues=[QueueSpec(q, "voice", team=t, volume_per_day=VOLUME) for t, q in names.items()],
        agents=[AgentSpec(f"{q[:3].lower()}{k}", team=t, skills=[q]) for t, q in names.items() for k in range(AGENTS)],
        tz=tz,
    )
    campaign_at = floor_interval(now) - timedelta(minutes=150)
    campaign = Campaign(start=campaign_at, end=None, factor=CAMPAIGN_FACTOR, queues=frozenset({"Acties"}))
    events = Simulator(spec, 11, start.astimezone(tz), campaigns=[campaign]).run_until(now)
    source = SourceFactory(name="acd")
    for i in range(0, len(events), 4000):
        events_ingest(source=source, events=events[i : i + 4000])
    return teams, campaign_at


def _layout(page) -> dict:
    """What breaks a layout: a panel beyond the window, a page wider than the window, panels overlapping
    the intraday panel, the chart's canvas without a size."""
    return page.evaluate(
        """() => {
          const out = [];
          const panel = document.getElementById('intraday-panel').getBoundingClientRect();
          for (const p of document.querySelectorAll('.supervisor-grid > .panel')) {
            const r = p.getBoundingClientRect();
            if (r.right > window.innerWidth + 1) out.push(p.className + ' beyond the window');
            if (p.id !== 'intraday-panel' && r.width && r.left < panel.right - 1 && r.right > panel.left + 1
                && r.top < panel.bottom - 1 && r.bottom > panel.top + 1) out.push(p.className + ' overlaps');
          }
          const canvas = document.getElementById('intraday-chart').getBoundingClientRect();
          if (canvas.width < 200 || canvas.height < 100) out.push('chart ' + canvas.width + 'x' + canvas.height);
          if (canvas.right > panel.right + 1) out.push('chart beyond its panel');
          return {out, scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth};
        }"""
    )


def _loaded(page, team_id):
    page.wait_for_selector("#intraday-panel[data-loaded='1']", timeout=30000)
    page.wait_for_function("() => window.Chart && Chart.getChart('intraday-chart')")
    assert page.locator("#intraday-options").get_attribute("data-api").endswith(f"?team={team_id}")


def test_supervisor_panel_shows_curve_gap_and_campaign_alert(web, browser):
    now = timezone.now()
    if now.astimezone(centre_tz()).time() < time(4, 0):
        pytest.skip("needs the campaign's two and a half hours and the night before it in today")
    teams, campaign_at = _simulated_day(now)
    actie, gewoon = teams["Actie"], teams["Gewoon"]

    page = login_page(browser, web.base, username="sup", role="supervisor", teams=[actie, gewoon],
                      next_path=f"/supervisor/?team={actie.id}", viewport={"width": 1280, "height": 720})  # fmt: skip
    _loaded(page, actie.id)
    page.wait_for_selector("#agents tbody tr")
    page.wait_for_function("() => Chart.getChart('chart-volume')")
    alerts = page.locator("#intraday-alerts .intraday-alert")
    assert alerts.count() == 1
    text = alerts.inner_text()
    assert text.startswith("Unannounced campaign? Acties: volume ") and "% above forecast for " in text, text
    pct = int(re.search(r"volume (\d+)% above", text).group(1))
    assert pct > 20, text
    since = re.search(r"since (\d\d:\d\d)", text).group(1)
    # It began around the campaign: the first window of N quarter-hours that crossed may hold a few from
    # before it (from its first interval above its forecast; docs/wfm.md §6).
    earliest = (campaign_at - timedelta(minutes=90)).astimezone(centre_tz()).strftime("%H:%M")
    assert earliest <= since, (since, earliest)
    gap = page.inner_text("#intraday-gap .gap-line")
    assert re.fullmatch(r"(\+\d+ agents needed|Enough agents logged in for) \d\d:\d\d–\d\d:\d\d.*", gap), gap
    assert re.search(r"\d+ agents required at most, \d+ logged in now", page.inner_text("#intraday-gap")), gap
    labels = page.evaluate("() => Chart.getChart('intraday-chart').data.datasets.map(d => d.label)")
    assert labels == ["Actual", "Forecast", "Reforecast"]
    # The reforecast lies above the forecast after the campaign's hours (the server's, drawn as it is).
    refc, fc = page.evaluate(
        "() => { const d = Chart.getChart('intraday-chart').data.datasets; return [d[2].data, d[1].data]; }"
    )
    ahead = [i for i, v in enumerate(refc) if v is not None]
    assert ahead and all(refc[i] > fc[i] for i in ahead), (refc, fc)
    assert page.locator("#intraday-error").is_hidden()

    shots = {}
    for width, height in ((1280, 720), (1920, 1080), (3840, 2160)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # Chart.js resizes on the next frame
        m = _layout(page)
        assert m["out"] == [] and m["scrollWidth"] <= m["innerWidth"], (width, m)
        shots[width] = ARTIFACTS / f"supervisor-intraday-{width}x{height}.png"
        page.screenshot(path=str(shots[width]), full_page=True)

    # The ordinary team: the curve and the gap, no alert.
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{web.base}/supervisor/?team={gewoon.id}")
    _loaded(page, gewoon.id)
    assert page.locator("#intraday-alerts .intraday-alert").count() == 0
    assert re.fullmatch(
        r"(\+\d+ agents needed|Enough agents logged in for) .*", page.inner_text("#intraday-gap .gap-line")
    )
    assert page.evaluate("() => Chart.getChart('intraday-chart').data.datasets[0].data.some(v => v > 0)")

    # In Dutch.
    page.context.add_cookies([{"name": "django_language", "value": "nl", "url": web.base}])
    page.goto(f"{web.base}/supervisor/?team={actie.id}")
    _loaded(page, actie.id)
    assert page.inner_text("#intraday-title") == "Intraday: prognose tegen werkelijk"
    assert page.inner_text("#intraday-alerts").startswith("Onaangekondigde campagne? Acties")
    assert re.search(r"agenten (nodig|ingelogd)", page.inner_text("#intraday-gap .gap-line"))
    assert re.search(r"\d+ agenten ten hoogste nodig, \d+ nu ingelogd", page.inner_text("#intraday-gap .gap-basis"))
    page.locator("#intraday-panel").screenshot(path=str(ARTIFACTS / "supervisor-intraday-panel-nl.png"))


def test_a_supervisor_of_another_team_gets_no_figures(web, browser):
    """The panel asks for the page's team; a supervisor who edits the address to another team's gets the
    page of their own team, and the API refuses the other team outright."""
    mine, other = TeamFactory(name="Mijn team"), TeamFactory(name="Ander team")
    QueueFactory(name="Eigen", team=mine)
    QueueFactory(name="Vreemd", team=other)
    page = login_page(browser, web.base, username="sup2", role="supervisor", teams=[mine],
                      next_path=f"/supervisor/?team={other.id}", viewport={"width": 1280, "height": 720})  # fmt: skip
    _loaded(page, mine.id)
    assert page.inner_text("#scope-name") == "Mijn team"
    status = page.evaluate(f"() => fetch('/api/v1/wfm/intraday/?team={other.id}').then(r => r.status)")
    assert status == 403
