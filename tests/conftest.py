"""Test set-up: a real Redis (REDIS_URL, else the embedded one) with a key prefix of this run's own,
and the database pytest-django provides (SQLite by default, PostgreSQL when DATABASE_URL says so)."""

import os
import uuid

import pytest
from django.conf import settings
from rest_framework.settings import api_settings

from dashboard.live import keys as livekeys


def pytest_configure(config):
    if settings.REDIS_EMBEDDED:
        # An embedded redis-server of this run's own, on a free port: a run never leans on (or stops)
        # another's.
        import socket

        from kcc.embedded_redis import ensure_running

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        settings.REDIS_URL = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
        for layer in settings.CHANNEL_LAYERS.values():
            layer["CONFIG"]["hosts"] = [{"address": settings.REDIS_URL}]
        ensure_running(settings.REDIS_URL)
    settings.LIVE_KEY_PREFIX = f"kcctest-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    for layer in settings.CHANNEL_LAYERS.values():
        layer.setdefault("CONFIG", {})["prefix"] = f"{settings.LIVE_KEY_PREFIX}:asgi"
    settings.CACHES["default"].update(LOCATION=settings.REDIS_URL, KEY_PREFIX=f"{settings.LIVE_KEY_PREFIX}:cache")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, not safety
    # The API's throttle rates are a production guard, not a subject of every test: tests that post
    # thousands of requests as one user would meet them. tests/core/test_login_throttle.py sets them.
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": None, "person": None}
    api_settings.reload()


@pytest.fixture(autouse=True)
def _clean_live_state():
    """Each test starts with an empty live state of its own."""
    yield
    r = livekeys.client()
    keys = list(r.scan_iter(match=f"{settings.LIVE_KEY_PREFIX}:*", count=1000))
    if keys:
        r.delete(*keys)
