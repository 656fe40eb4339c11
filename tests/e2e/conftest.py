"""End-to-end fixtures: a real daphne and the live publisher as subprocesses on the test database and
Redis, and headless Chromium (Debian's) driven by Playwright."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are plain sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium for the end-to-end tests: {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    d = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{d['NAME']}"
    return f"postgres://{d['USER']}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


class Stack:
    """daphne and the publisher, started and stopped like an operator would."""

    def __init__(self):
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "KCC_LIVE_KEY_PREFIX": settings.LIVE_KEY_PREFIX,
            "DJANGO_SETTINGS_MODULE": "kcc.settings",
            "LOG_LEVEL": "WARNING",
            "KCC_ALERT_HOLD_S": "2",
        }
        self.daphne = self.publisher = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start_daphne(self):
        daphne = str(Path(sys.executable).with_name("daphne"))
        self.daphne = subprocess.Popen(
            [daphne, "-v", "0", "-b", "127.0.0.1", "-p", str(self.port), "kcc.asgi:application"], cwd=ROOT, env=self.env
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/accounts/login/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("daphne did not start")

    def stop_daphne(self):
        self.daphne.terminate()
        try:
            self.daphne.wait(10)
        except subprocess.TimeoutExpired:
            self.daphne.kill()
            self.daphne.wait(5)

    def start_publisher(self):
        self.publisher = subprocess.Popen(
            [sys.executable, "manage.py", "publish_live"], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL
        )

    def stop(self):
        for proc in (self.daphne, self.publisher):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


@pytest.fixture
def stack(transactional_db):
    s = Stack()
    s.start_publisher()
    s.start_daphne()
    yield s
    s.stop()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield b
        # While Playwright's loop runs, Django keeps the test's connection in another context than
        # the one teardown closes: close it here, or the test database cannot be dropped.
        connections.close_all()
        b.close()


PASSWORD = "secret-pw-123"


def login_page(browser, base: str, *, username: str, role: str, next_path: str, teams=(), **page_options):
    """A browser page logged in through the login form as a new user with ``role``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from tests.factories import UserFactory

    user = UserFactory(username=username, role=role, teams=list(teams))
    # daphne checks passwords with the production hashers (the tests' own process uses a fast one)
    hasher = PBKDF2PasswordHasher()
    get_user_model().objects.filter(pk=user.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    page = browser.new_page(**{"locale": "en-GB", **page_options})
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}{next_path}")
    return page
