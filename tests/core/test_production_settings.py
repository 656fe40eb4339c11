"""KCC_ENV=production (issue 11, point 11): `check --deploy` clean with production variables, the
default or a short SECRET_KEY refused at start, HTTPS behind a proxy, Secure and HttpOnly cookies, and
development left as it was. Each case runs manage.py in a subprocess, as an operator would."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "KCC_ENV": "production",
    "ALLOWED_HOSTS": "kcc.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://kcc.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "KCC_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "kcc.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_prints_no_issue_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_in_development_names_what_production_turns_on():
    """The same check without the switch: the warnings the issue found, so the test above is no accident."""
    result = manage("check", "--deploy", SECRET_KEY=secrets.token_urlsafe(50), DEBUG="false")
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


@pytest.mark.parametrize(
    "secret_key",
    [
        None,  # the public default
        "kcc-live-insecure-development-key-change-me-in-production",
        "short-secret-1234",
        "a" * 60,  # long, but one character
    ],
)
def test_production_refuses_to_start_with_a_weak_secret_key(secret_key):
    env = dict(PRODUCTION, **({"SECRET_KEY": secret_key} if secret_key else {}))
    result = manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY: KCC_ENV=production needs a secret of your own" in result.stderr


def test_unknown_kcc_env_is_refused():
    result = manage("check", KCC_ENV="prod")
    assert result.returncode != 0 and "KCC_ENV='prod': write development or production" in result.stderr


SHOW = """
from django.test import Client
client = Client()
plain = client.get("/accounts/login/")
print("plain", plain.status_code, plain.get("Location"))
secure = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
print("hsts", secure.status_code, secure.get("Strict-Transport-Security"))
cookie = secure.cookies["csrftoken"]
print("csrf-cookie", bool(cookie["secure"]), bool(cookie["httponly"]))
print("csp", "script-src 'self'" in secure.get("Content-Security-Policy", ""))
print("probes", client.get("/healthz").status_code, client.get("/readyz").status_code in (200, 503))
"""


def run_client(**env) -> dict[str, list[str]]:
    result = manage("shell", "-c", SHOW, **env)
    assert result.returncode == 0, result.stderr
    return {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if line.strip()}


def test_production_redirects_to_https_behind_the_proxy_with_hsts_and_secure_cookies():
    env = dict(PRODUCTION, SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="testserver")
    out = run_client(**env)
    assert out["plain"] == ["301", "https://testserver/accounts/login/"]
    assert out["hsts"] == ["200", "max-age=31536000;", "includeSubDomains;", "preload"]
    assert out["csrf-cookie"] == ["True", "True"]
    assert out["csp"] == ["True"]
    # The proxy's and the container engine's probes reach daphne over plain HTTP inside the network.
    assert out["probes"] == ["200", "True"]


def test_development_stays_on_plain_http():
    out = run_client(ALLOWED_HOSTS="testserver")
    assert out["plain"] == ["200", "None"]
    assert out["hsts"] == ["200", "None"]
    assert out["csrf-cookie"] == ["False", "False"]
    assert out["csp"] == ["True"]
