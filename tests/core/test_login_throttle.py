"""Login throttling (issue 11, point 9): django-axes locks a user name, and an address, after 5 wrong
passwords for 15 minutes, with a page that says so in Dutch and English; the lockout expires. The API
throttles people per user and leaves the event sources' throughput alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.factories import SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pw-123"  # tests.factories.UserFactory's


def attempt(client: Client, username: str, password: str, *, address: str = "10.0.0.7", url="/accounts/login/", **h):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address, **h)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_repro_40_wrong_passwords_then_the_right_one():
    """Issue 11 repro: 40 wrong passwords in 25 s all got 200, and the right one worked at once."""
    UserFactory(username="supervisor1", role="supervisor")
    client = Client()
    statuses = [attempt(client, "supervisor1", f"wrong-{n}").status_code for n in range(40)]
    assert statuses[:4] == [200] * 4  # the login form, with its error
    assert set(statuses[4:]) == {429}  # locked from the 5th failure on
    right = attempt(client, "supervisor1", PASSWORD)
    assert right.status_code == 429 and not logged_in(client)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "After 5 wrong passwords this account, or this address, is locked for 15 minutes."),
        ("nl", "Na 5 foute wachtwoorden is dit account, of dit adres, 15 minuten geblokkeerd."),
    ],
)
def test_the_lockout_page_says_why_and_for_how_long(language, text):
    UserFactory(username="manager1", role="manager")
    client = Client()
    for n in range(5):
        response = attempt(client, "manager1", f"wrong-{n}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 429
    assert text in response.content.decode()


def back(**delta) -> None:
    """Move the recorded failures back in time, as if that much time had passed."""
    attempt_row = AccessAttempt.objects.get()
    AccessAttempt.objects.update(attempt_time=attempt_row.attempt_time - timedelta(**delta))


def test_the_lockout_expires_after_the_cool_off():
    UserFactory(username="supervisor1", role="supervisor")
    client = Client()
    for n in range(5):
        attempt(client, "supervisor1", f"wrong-{n}")
    assert attempt(client, "supervisor1", PASSWORD).status_code == 429
    # 14 minutes after the last failure: still locked (and this try, a failure too, starts the 15 again)
    back(minutes=14)
    assert attempt(client, "supervisor1", PASSWORD).status_code == 429
    # 15 minutes after the last failure: the right password works, and clears the failures
    back(minutes=15, seconds=1)
    response = attempt(client, "supervisor1", PASSWORD)
    assert response.status_code == 302 and logged_in(client)
    assert not AccessAttempt.objects.exists()


def test_lockout_per_address_and_per_user_name():
    for name in ("a1", "a2", "victim"):
        UserFactory(username=name, role="supervisor")
    # one address tries several names: the address is locked, for every name
    client = Client()
    for n in range(5):
        attempt(client, f"a{n % 2 + 1}", "wrong", address="10.0.0.66")
    assert attempt(Client(), "victim", PASSWORD, address="10.0.0.66").status_code == 429
    assert attempt(Client(), "victim", PASSWORD, address="10.0.0.8").status_code == 302
    # one name tried from five addresses: the name is locked, from any address
    for n in range(5):
        attempt(Client(), "a1", "wrong", address=f"10.1.0.{n}")
    assert attempt(Client(), "a1", PASSWORD, address="10.2.0.1").status_code == 429


def test_the_admin_login_is_throttled_too():
    UserFactory(username="beheer", role="admin")
    client = Client()
    for n in range(5):
        attempt(client, "beheer", f"wrong-{n}", url="/admin/login/")
    assert attempt(client, "beheer", PASSWORD, url="/admin/login/").status_code == 429


def rates(**changes):
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **changes},
        }
    )


def test_api_throttles_a_person_per_user():
    client = APIClient()
    client.force_login(UserFactory(role="manager"))
    other = APIClient()
    other.force_login(UserFactory(role="manager"))
    with rates(person="3/min"):
        statuses = [client.get("/api/v1/live/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = client.get("/api/v1/live/", HTTP_ACCEPT_LANGUAGE="en")
        assert int(response["Retry-After"]) > 0 and "throttled" in response.json()["error"].lower()
        assert other.get("/api/v1/live/").status_code == 200  # per user


def test_api_leaves_the_event_sources_alone():
    source = SourceFactory(name="acd")
    token = source.issue_token()
    source.save()
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    with rates(person="3/min", anon="3/min"):
        statuses = [client.post("/api/v1/events/", [], format="json").status_code for _ in range(10)]
    assert 429 not in statuses and len(set(statuses)) == 1


def test_api_throttle_counts_are_shared_by_every_process_in_redis():
    """Two daphnes must not give a person twice the rate: the counts live in Redis, not in one process."""
    from dashboard.live import keys

    client = APIClient()
    user = UserFactory(role="manager")
    client.force_login(user)
    with rates(person="3/min"):
        assert client.get("/api/v1/live/").status_code == 200
    stored = list(keys.client().scan_iter(match=f"{settings.LIVE_KEY_PREFIX}:cache:*throttle*"))
    assert len(stored) == 1 and str(user.pk) in stored[0]
