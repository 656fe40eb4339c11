"""The wall screen's link (issue 9, point 7): printed with the address people really open KCC Live at
(``KCC_PUBLIC_URL``, else the admin's own address, else ``PORT``), and in kiosk mode as the output says."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from dashboard.live.middleware import DISPLAY_COOKIE
from dashboard.live.models import Display
from tests.factories import TeamFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def printed_link(*args) -> tuple[str, str]:
    out = StringIO()
    call_command("create_display_token", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    return lines[0], lines[-1]


@pytest.mark.parametrize(
    ("public_url", "port", "base_url", "expected"),
    [
        ("https://kcc.example.nl", 8000, None, "https://kcc.example.nl/wallboard/"),
        ("https://kcc.example.nl/kcc/", 8000, None, "https://kcc.example.nl/kcc/wallboard/"),
        ("", 9000, None, "http://127.0.0.1:9000/wallboard/"),  # PORT=9000 make run
        ("", 8000, None, "http://127.0.0.1:8000/wallboard/"),
        ("https://kcc.example.nl", 9000, "http://tv-net:8080", "http://tv-net:8080/wallboard/"),  # the option wins
    ],
)
@pytest.mark.django_db
def test_create_display_token_prints_the_public_address_in_kiosk_mode(public_url, port, base_url, expected):
    team = TeamFactory(name="1e lijn")
    args = ["TV 1e lijn", "--scope", f"team:{team.id}"] + (["--base-url", base_url] if base_url else [])
    with override_settings(KCC_PUBLIC_URL=public_url, PORT=port):
        first, link = printed_link(*args)
    assert "kiosk" in first
    url = urlsplit(link)
    assert link.startswith(expected)
    query = parse_qs(url.query)
    assert query["scope"] == [f"team:{team.id}"] and query["kiosk"] == ["1"]
    # the printed token opens that wallboard, and the screen lands in kiosk mode without the token
    client = Client()
    response = client.get(f"/wallboard/?{url.query}")  # behind a proxy's path prefix, this site's path
    assert response.status_code == 302 and DISPLAY_COOKIE in response.cookies
    assert response["Location"] == f"/wallboard/?scope=team%3A{team.id}&kiosk=1"
    assert 'data-kiosk="1"' in client.get(response["Location"]).content.decode()


# The rest of the admin form: the screen's layout and its (empty) list of queues.
LAYOUT = {
    "tiles_per_page": "12",
    "page_seconds": "20",
    "queue_choices-TOTAL_FORMS": "0",
    "queue_choices-INITIAL_FORMS": "0",
    "queue_choices-MIN_NUM_FORMS": "0",
    "queue_choices-MAX_NUM_FORMS": "1000",
}


@pytest.mark.django_db
def test_admin_shows_the_link_with_the_address_it_was_opened_at():
    admin = UserFactory(username="beheer-link", role="admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    with override_settings(KCC_PUBLIC_URL=""):
        response = client.post(
            "/admin/dashboard/display/add/", {"name": "Hal", "scopes": "all", "active": "on", **LAYOUT}, follow=True
        )
    messages = [str(m) for m in response.context["messages"]]
    assert any("http://testserver/wallboard/?scope=all&kiosk=1&display=" in m for m in messages), messages
    assert Display.objects.filter(name="Hal").exists()
    with override_settings(KCC_PUBLIC_URL="https://kcc.example.nl"):
        response = client.post(
            "/admin/dashboard/display/add/", {"name": "Hal 2", "scopes": "all", "active": "on", **LAYOUT}, follow=True
        )
    messages = [str(m) for m in response.context["messages"]]
    assert any("https://kcc.example.nl/wallboard/?scope=all&kiosk=1&display=" in m for m in messages), messages


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "9000"}, ("", 9000)),
        ({"KCC_PUBLIC_URL": "https://kcc.example.nl"}, ("https://kcc.example.nl", 8000)),
        ({}, ("", 8000)),
    ],
)
def test_settings_read_the_public_address_and_port_from_the_environment(env, expected):
    base = {k: v for k, v in os.environ.items() if k not in ("PORT", "KCC_PUBLIC_URL")}
    code = (
        "import django; django.setup(); from django.conf import settings as s; print(repr((s.KCC_PUBLIC_URL, s.PORT)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env, "DJANGO_SETTINGS_MODULE": "kcc.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == repr(expected)
