"""A database filled by the release before the capability packages migrates, and reads back whole.

The move into dashboard/<capability>/ kept one Django app label and every table: the old release (the
last commit with the flat layout) creates and fills a database — demo centre, three simulated hours of
events, intervals and reports — and this release then migrates it and finds every row, and computes the
same figures from it.
"""

import json
import os
import re
import subprocess
import sys
import tarfile
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings

from tests.databases import ScratchDatabase

ROOT = Path(__file__).resolve().parents[2]
OLD_RELEASE = "c5d3ba1036f5851bd4442c7adf830f6140928d40"  # the last commit of the flat layout
TABLES = (
    "dashboard_team",
    "dashboard_queue",
    "dashboard_agent",
    "dashboard_kpi",
    "dashboard_source",
    "dashboard_event",
    "dashboard_contact",
    "dashboard_agentstatespan",
    "dashboard_queueinterval",
    "dashboard_teaminterval",
    "dashboard_report",
)

# Figures that the new code computes from the migrated database, printed as JSON.
FIGURES = """
import json
from datetime import date
from django.db.models import Sum
from dashboard.core.models import Contact, Event
from dashboard.intervals.models import QueueInterval
from dashboard.reports.models import Report
print(json.dumps({
    "events": Event.objects.count(),
    "contacts": Contact.objects.count(),
    "answered": Contact.objects.filter(answered_at__isnull=False).count(),
    "interval_offered": QueueInterval.objects.aggregate(n=Sum("offered"))["n"],
    "reports": sorted(Report.objects.values_list("label", flat=True)),
}))
"""


# The old release's modules: two busy hours of a past weekday, through its own ingest service.
OLD_FILL = """
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo
from django.conf import settings
from dashboard.models import Source
from dashboard.services.events import events_ingest
from dashboard.simulator import Simulator, centre_spec_from_db
start = datetime.combine(date.fromisoformat(DAY), time(9), tzinfo=ZoneInfo(settings.TIME_ZONE))
events = Simulator(centre_spec_from_db(), 3, start).run_until(start + timedelta(hours=2))
source = Source.objects.get_or_create(name="simulator")[0]
for i in range(0, len(events), 1000):
    events_ingest(source=source, events=events[i:i + 1000])
"""
OLD_FIGURES = (
    FIGURES.replace("dashboard.core.models", "dashboard.models")
    .replace("dashboard.intervals.models", "dashboard.models")
    .replace("dashboard.reports.models", "dashboard.models")
)


def _old_tree(tmp_path: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", OLD_RELEASE], capture_output=True, timeout=60
    )
    assert archive.returncode == 0, f"the old release {OLD_RELEASE} is not in this clone: {archive.stderr!r}"
    tree = tmp_path / "old"
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def _manage(cwd: Path, env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{cwd.name}: manage.py {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def old_database(tmp_path):
    database = ScratchDatabase(tmp_path, prefix="kcc_old_layout")
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "REDIS_URL": settings.REDIS_URL,
        "KCC_LIVE_KEY_PREFIX": f"{settings.LIVE_KEY_PREFIX}-old",
        "DJANGO_SETTINGS_MODULE": "kcc.settings",
        "PYTHONPATH": "",
    }
    yield database, env
    database.drop()


def _counts(database: ScratchDatabase) -> dict[str, int]:
    return {table: database.query(f"SELECT COUNT(*) FROM {table}")[0][0] for table in TABLES}


def _a_past_weekday() -> date:
    day = datetime.now(UTC).date() - timedelta(days=2)
    while day.weekday() not in (1, 2, 3):  # a Tuesday to Thursday: open all day, no DST change
        day -= timedelta(days=1)
    return day


def test_a_database_of_the_old_layout_migrates_and_reads_back_whole(tmp_path, old_database):
    database, env = old_database
    old = _old_tree(tmp_path)
    day = _a_past_weekday()
    _manage(old, env, "migrate", "--noinput")
    _manage(old, env, "load_demo")
    _manage(old, env, "shell", "-v", "0", "-c", OLD_FILL.replace("DAY", repr(day.isoformat())))
    _manage(old, env, "aggregate_intervals", "--from", day.isoformat(), "--to", day.isoformat(), "--reports")
    before = _counts(database)
    old_figures = json.loads(_manage(old, env, "shell", "-v", "0", "-c", OLD_FIGURES))
    assert before["dashboard_event"] > 1000 and before["dashboard_queueinterval"] > 0
    assert old_figures["answered"] > 100 and old_figures["reports"]

    plan = _manage(ROOT, env, "migrate", "--noinput")
    _manage(ROOT, env, "makemigrations", "--check", "--dry-run")

    # The move of modules adds no migration: all the plan applies are migrations the old release did
    # not have (added since, for new fields), never one that rewrites a table of the old layout.
    old_migrations = {p.stem for p in (old / "dashboard" / "migrations").glob("0*.py")}
    applied = re.findall(r"Applying dashboard\.(\w+)\.\.\.", plan)
    assert not set(applied) & old_migrations
    assert all(name > max(old_migrations) for name in applied), applied
    assert _counts(database) == before
    assert json.loads(_manage(ROOT, env, "shell", "-v", "0", "-c", FIGURES)) == old_figures
