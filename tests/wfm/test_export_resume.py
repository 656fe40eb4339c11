"""Issue 12: a background export survives its worker's death. A run takes the export (one run at a
time, a message delivered twice runs once), writes a heartbeat after every day, and a running export
whose heartbeat stopped is queued again by the minute's beat task and finished by another worker; a run
that was only slow and wakes after another took over stops without a trace. With real processes on
PostgreSQL: a worker killed with SIGKILL in the middle of an export, and another finishing it."""

from __future__ import annotations

import signal
import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from dashboard.wfm import tasks as wfm_tasks  # noqa: F401  (registers the export tasks in this process)
from dashboard.wfm.models import IntervalExport
from dashboard.wfm.selectors import ExportQuery
from dashboard.wfm.services import export as exports
from dashboard.wfm.services.export import (
    EXPORT_ATTEMPTS,
    EXPORT_STALL,
    interval_export_create,
    interval_export_run,
    interval_exports_resume_stalled,
)
from tests.factories import QueueFactory, UserFactory
from tests.reports.test_celery_worker import _manage, _start_worker, _stop, _wait, worker_env  # noqa: F401

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.WFM_EXPORT_DIR = str(tmp_path / "exports")


@pytest.fixture
def export(django_capture_on_commit_callbacks):
    QueueFactory(name="Algemeen")
    with django_capture_on_commit_callbacks():  # the task is not sent: the test runs it
        return interval_export_create(user=UserFactory(role="wfm"), query=ExportQuery(DAY, DAY), fmt="csv")


def _set(export, **fields):
    IntervalExport.objects.filter(pk=export.pk).update(**fields)
    export.refresh_from_db()


def test_a_run_takes_the_export_and_a_second_delivery_does_nothing(export):
    _set(export, status="running", heartbeat_at=timezone.now(), attempts=1)  # running on another worker
    assert interval_export_run(export_id=str(export.id)).status == "running"
    export.refresh_from_db()
    assert (export.attempts, export.rows_done) == (1, 0)
    assert not exports.export_dir().exists() or not list(exports.export_dir().glob("*"))


def test_an_export_whose_worker_died_is_taken_again_and_finished(export):
    _set(export, status="running", heartbeat_at=timezone.now() - EXPORT_STALL - timedelta(seconds=1), attempts=1)
    done = interval_export_run(export_id=str(export.id))
    assert (done.status, done.attempts, done.rows_done) == ("done", 2, 96)
    assert (exports.export_dir() / done.file_name).read_text().count("\n") == 97
    assert not list(exports.export_dir().glob("*.part"))


@pytest.mark.parametrize(
    ("age", "attempts", "resumed", "status"),
    [
        (timedelta(seconds=30), 1, False, "running"),  # alive: its heartbeat is fresh
        (EXPORT_STALL + timedelta(seconds=1), 1, True, "running"),  # queued again for another worker
        (EXPORT_STALL + timedelta(seconds=1), EXPORT_ATTEMPTS - 1, True, "running"),
        (EXPORT_STALL + timedelta(seconds=1), EXPORT_ATTEMPTS, False, "failed"),  # given up, with the reason
    ],
    ids=["alive", "stalled", "last-chance", "given-up"],
)
def test_the_minute_task_queues_stalled_exports_again(
    export, django_capture_on_commit_callbacks, age, attempts, resumed, status
):
    now = timezone.now()
    _set(export, status="running", heartbeat_at=now - age, attempts=attempts)
    with django_capture_on_commit_callbacks() as sent:
        ids = interval_exports_resume_stalled(now=now)
    assert ids == ([str(export.id)] if resumed else [])
    assert len(sent) == int(resumed)
    export.refresh_from_db()
    assert export.status == status
    if status == "failed":
        assert export.error == f"the worker running it stopped {EXPORT_ATTEMPTS} times"


def test_queued_done_and_failed_exports_are_left_alone(export):
    old = timezone.now() - timedelta(hours=1)
    for status in ("queued", "done", "failed"):
        _set(export, status=status, heartbeat_at=old)
        assert interval_exports_resume_stalled() == []


def test_a_slow_run_that_wakes_after_another_took_over_stops_without_a_trace(export, monkeypatch):
    """The first run writes its day; before it records its progress, another run takes the export over
    (as the minute task does when a heartbeat stops for two minutes). The first stops: no file, no
    status of its own; the export stays the second run's."""
    real = exports.interval_export_batches

    def batches_then_taken_over(query):
        for batch in real(query):
            yield batch
            IntervalExport.objects.filter(pk=export.pk).update(attempts=5, heartbeat_at=timezone.now())

    monkeypatch.setattr(exports, "interval_export_batches", batches_then_taken_over)
    after = interval_export_run(export_id=str(export.id))
    assert (after.status, after.attempts, after.file_name) == ("running", 5, "")
    assert not list(exports.export_dir().glob("*"))


# --- real processes ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_and_another_finishes_it(worker_env, tmp_path):  # noqa: F811
    db, env, queue, _broker = worker_env
    env = {**env, "WFM_EXPORT_DIR": str(tmp_path / "exports")}
    if not db.pg:
        pytest.skip("holding a run inside its read needs PostgreSQL's table lock (several workers need PostgreSQL)")
    _manage(env, "shell", "-c", "from dashboard.core.models import Queue; Queue.objects.create(name='Algemeen')")
    create = (
        f"from celery import current_app; current_app.conf.task_default_queue = {queue!r}\n"
        "from datetime import date\n"
        "from django.contrib.auth import get_user_model\n"
        "from dashboard.wfm.selectors import ExportQuery\n"
        "from dashboard.wfm.services.export import interval_export_create\n"
        "user = get_user_model().objects.create_user('planner', is_superuser=True)\n"
        "print(interval_export_create(user=user, query=ExportQuery(date(2026, 11, 20), date(2026, 11, 24)), fmt='csv').id)\n"
    )
    holder = db.connect()
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE dashboard_queueinterval IN ACCESS EXCLUSIVE MODE")  # the run waits inside its read
    first = _start_worker(env, queue)
    try:
        export_id = _manage(env, "shell", "-c", create).strip().splitlines()[-1]
        status = lambda: db.query("SELECT status, attempts FROM dashboard_intervalexport WHERE id = ?", (export_id,))  # noqa: E731
        _wait(lambda: status() == [("running", 1)], "the first worker to take the export", proc=first)
        time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
        holder.execute("ROLLBACK")
        holder.close()
    assert status() == [("running", 1)]  # left running by a dead worker: nobody would ever finish it
    # Two minutes without a heartbeat pass (moved back rather than waited for).
    db.query("UPDATE dashboard_intervalexport SET heartbeat_at = heartbeat_at - interval '3 minutes'")
    second = _start_worker(env, queue)
    try:
        resume = (
            f"from celery import current_app; current_app.conf.task_default_queue = {queue!r}\n"
            "from dashboard.wfm.services.export import interval_exports_resume_stalled\n"
            "print(interval_exports_resume_stalled())\n"
        )  # what the minute's beat task does
        assert export_id in _manage(env, "shell", "-c", resume)
        _wait(lambda: status() == [("done", 2)], "the second worker to finish the export", proc=second)
    finally:
        _stop(second)
    rows = db.query("SELECT rows_done, rows_total, file_name FROM dashboard_intervalexport WHERE id = ?", (export_id,))
    assert rows == [(5 * 96, 5 * 96, f"{export_id}.csv")]
    assert (tmp_path / "exports" / f"{export_id}.csv").read_text().count("\n") == 5 * 96 + 1
    assert not list((tmp_path / "exports").glob("*.part"))  # nor the dead run's partial file
