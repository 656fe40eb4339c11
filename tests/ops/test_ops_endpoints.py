"""The operator's endpoints against a real database and Redis: ``/healthz``, ``/readyz`` (one verdict per
component, 503 naming what is not ready, Redis down included), ``/metrics`` (the series, loopback or the
bearer token, counters that move with an ingest), the request id and the JSON log lines.

``test_ready_with_real_processes`` starts the live publisher, a Celery worker and Celery beat as real
processes (on a scratch database of their own, the suite's Redis and key prefix) and waits for 200."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

from dashboard.core import observe
from dashboard.core.models import Queue
from dashboard.live.public import notify_changed
from dashboard.ops import health
from tests.databases import ScratchDatabase

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def _series(text: str) -> dict[str, float]:
    """``name{labels}`` -> value, from the exposition text."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def test_healthz_answers_without_login():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_names_each_component_and_is_503_without_publisher_beat_and_worker():
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert set(body["components"]) == {"database", "redis", "publisher", "beat", "worker"}
    assert body["components"]["database"]["ok"] and body["components"]["redis"]["ok"]
    assert set(body["not_ready"]) >= {"publisher", "beat"}  # no process of them ran here
    assert "no leading live publisher has run" in body["components"]["publisher"]["detail"]


@pytest.mark.parametrize(
    "query", ["?x=1", "?components=all&ready=%ff", "?%00=%zz&&=="], ids=["junk", "bytes", "broken"]
)
def test_readyz_reads_no_parameter(query):
    """The fuzz suite leaves /readyz out (its 503 is by design here), so its parameters are checked here."""
    plain = Client().get("/readyz")
    response = Client().get("/readyz" + query)
    assert response.status_code == plain.status_code == 503
    assert set(response.json()["not_ready"]) == set(plain.json()["not_ready"])


@pytest.mark.parametrize(
    ("age_s", "ok"), [(0.0, True), (9.5, True), (10.5, False), (60.0, False)], ids=["now", "9.5s", "10.5s", "1min"]
)
def test_a_publisher_is_ready_while_its_heartbeat_is_fresh(age_s, ok):
    observe.heartbeat("publisher", leading=True)
    check = health.publisher_check(now=time.time() + age_s)
    assert check.ok is ok, check.detail


def test_a_standing_by_publisher_does_not_make_the_live_path_ready():
    observe.heartbeat("publisher", leading=False)
    assert not health.publisher_check().ok


@pytest.mark.parametrize(("age_s", "ok"), [(0.0, True), (119.0, True), (121.0, False)])
def test_beat_is_ready_while_it_sent_within_two_minutes(age_s, ok):
    observe.heartbeat("beat")
    assert health.beat_check(now=time.time() + age_s).ok is ok


def test_readyz_is_503_naming_redis_when_redis_is_down():
    with socket.socket() as s:  # a port nobody listens on: Redis is down
        s.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    with override_settings(REDIS_URL=dead):
        started = time.monotonic()
        response = Client().get("/readyz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert "redis" in body["not_ready"]
    assert "Redis does not answer" in body["components"]["redis"]["detail"]
    assert body["components"]["database"]["ok"]
    assert elapsed < 5  # a probe never hangs on a dead part


def test_metrics_on_loopback_have_every_series():
    response = Client().get("/metrics")  # the test client comes from 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    for name in (
        "kcc_ingest_batch_seconds_bucket", "kcc_ingest_batch_seconds_count", "kcc_publish_lag_seconds_bucket",
        "kcc_websocket_connections", "kcc_live_rebuilds_total", "kcc_up", "process_resident_memory_bytes",
    ):  # fmt: skip
        assert f"\n{name}" in text, name
    assert "# TYPE kcc_events_ingested_total counter" in text or "# TYPE kcc_events_ingested counter" in text
    assert "# TYPE kcc_publisher_leader gauge" in text
    assert _series(text)['kcc_up{component="redis"}'] == 1.0


def test_metrics_refuse_other_addresses_without_a_token():
    response = Client(REMOTE_ADDR="10.1.2.3").get("/metrics")
    assert response.status_code == 403
    assert "KCC_METRICS_TOKEN" in response.json()["error"]


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Bearer wrong", 401), ("secret-metrics-token", 401), ("Bearer secret-metrics-token", 200)],
    ids=["none", "wrong", "no scheme", "right"],
)
def test_metrics_with_a_token_want_it_from_everywhere(header, status):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    with override_settings(KCC_METRICS_TOKEN="secret-metrics-token"):
        response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", **extra)
        remote = Client(REMOTE_ADDR="10.1.2.3").get("/metrics", **extra)
    assert response.status_code == status
    assert remote.status_code == status


def _ingest(source_token: str, events: list[dict]):
    return Client().post(
        "/api/v1/events/", data=json.dumps(events), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {source_token}",
    )  # fmt: skip


@pytest.fixture
def source_token():
    Queue.objects.create(name="Sales", channel="voice")
    out = StringIO()
    call_command("create_source_token", "pbx", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def _events(n: int, prefix: str) -> list[dict]:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return [
        {"id": f"{prefix}-{i}", "type": "contact.offered", "at": (at + timedelta(seconds=i)).isoformat(),
         "contact_id": f"{prefix}-c{i}", "queue": "Sales", "channel": "voice"}
        for i in range(n)
    ]  # fmt: skip


def test_the_counters_move_after_an_ingest(source_token):
    before = _series(Client().get("/metrics").content.decode())
    response = _ingest(source_token, _events(3, "a") + [{"id": "bad", "type": "offered"}])
    assert response.status_code in (200, 207), response.content
    after = _series(Client().get("/metrics").content.decode())
    assert after['kcc_events_ingested_total{source="pbx",status="delivered"}'] == 3
    assert after['kcc_events_ingested_total{source="pbx",status="rejected"}'] == 1
    assert after["kcc_ingest_batch_seconds_count"] == before.get("kcc_ingest_batch_seconds_count", 0) + 1
    assert after["kcc_ingest_batch_seconds_sum"] > before.get("kcc_ingest_batch_seconds_sum", 0)


def test_each_answer_carries_a_request_id_and_keeps_a_proxys():
    fresh = Client().get("/healthz")
    assert len(fresh["X-Request-ID"]) == 32
    given = Client().get("/healthz", HTTP_X_REQUEST_ID="4f1c0a6e-proxy-id-1234")
    assert given["X-Request-ID"] == "4f1c0a6e-proxy-id-1234"
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID='x"}\n{"level": "ERROR"')
    assert forged["X-Request-ID"] != 'x"}\n{"level": "ERROR"' and len(forged["X-Request-ID"]) == 32


def test_json_logs_write_one_object_per_batch_with_request_id_source_and_size(source_token, tmp_path):
    """The formatter and filter the settings configure for KCC_LOG_FORMAT=json, on the batch logger."""
    path = tmp_path / "log.jsonl"
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": settings.LOGGING["filters"],
        "formatters": settings.LOGGING["formatters"],
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "filename": str(path),
                "formatter": "json",
                "filters": ["request_id"],
            }
        },  # fmt: skip
        "loggers": {"dashboard.ingest.batches": {"handlers": ["file"], "level": "INFO", "propagate": False}},
    }
    logging.config.dictConfig(config)
    try:
        response = _ingest(source_token, _events(2, "j"))
    finally:
        logger = logging.getLogger("dashboard.ingest.batches")
        for handler in list(logger.handlers):
            handler.close()
            logger.removeHandler(handler)
        logger.propagate = True
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["request_id"] == response["X-Request-ID"]
    assert (record["source"], record["batch_size"], record["accepted"]) == ("pbx", 2, 2)
    assert record["level"] == "INFO" and record["logger"] == "dashboard.ingest.batches" and "time" in record


def test_the_settings_refuse_an_unknown_log_format():
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kcc.settings", "KCC_LOG_FORMAT": "xml"}, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "KCC_LOG_FORMAT='xml': write text or json" in done.stderr


# --- with real processes ------------------------------------------------------------------------------


def _start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.stderr.read() if proc.stderr else ""


@pytest.mark.django_db(transaction=True)
def test_ready_with_real_processes_and_the_publish_lag_is_measured(tmp_path):
    database = ScratchDatabase(tmp_path, prefix="kcc_ready")
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "KCC_LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
        "DJANGO_SETTINGS_MODULE": "kcc.settings",
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    name = f"kcctest-{uuid.uuid4().hex[:8]}"
    procs = [
        _start(env, sys.executable, "manage.py", "publish_live"),
        _start(
            env,
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kcc",
            "worker",
            "--pool",
            "solo",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ),  # fmt: skip
        _start(
            env,
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kcc",
            "beat",
            "--loglevel",
            "WARNING",
            "--scheduler",
            "kcc.beat:Scheduler",
            "--pidfile",
            str(tmp_path / "beat.pid"),
        ),  # fmt: skip
    ]
    try:
        deadline, body = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            response = Client().get("/readyz")
            body = response.json()
            if response.status_code == 200:
                break
            assert all(p.poll() is None for p in procs), [_stop(p) for p in procs]
            time.sleep(0.5)
        assert body and body["ready"], body
        assert (
            f"{name}@" in body["components"]["worker"]["detail"] or "answered" in body["components"]["worker"]["detail"]
        )

        before = observe.histogram("publish_lag_seconds").count
        notify_changed("events")  # as an ingest batch does after its commit
        deadline = time.monotonic() + 10
        while observe.histogram("publish_lag_seconds").count == before and time.monotonic() < deadline:
            time.sleep(0.05)
        lag = observe.histogram("publish_lag_seconds")
        assert lag.count == before + 1
        text = Client().get("/metrics").content.decode()
        series = _series(text)
        assert sum(v for k, v in series.items() if k.startswith("kcc_publisher_leader{")) == 1
        assert series["kcc_publish_lag_seconds_count"] >= 1
        assert series['kcc_publish_lag_seconds_bucket{le="2.0"}'] >= 1  # sent within 2 s of the change

        procs[0].send_signal(signal.SIGKILL)  # the publisher dies: after 10 s /readyz names it
        procs[0].wait(10)
        response = Client().get("/readyz")
        assert response.status_code == 200  # its last round is still fresh
        assert not health.publisher_check(now=time.time() + health.PUBLISHER_FRESH_S + 1).ok
    finally:
        for proc in procs:
            _stop(proc)
        r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        r.delete("celery")  # what beat sent meanwhile and the worker had not taken yet
        database.drop()
