"""Forecast import with the CSV as the body (issue 11, point 13): ``Content-Type: text/csv`` answered
415 to a logged-in browser although the docs accept it (the session's CSRF check reads the request's
data, and no parser took text/csv). Tested with CSRF checks on, as a browser meets them."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dashboard.wfm.models import ForecastInterval
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/wfm/forecast/import/"
ROW = "Algemeen,2026-03-31T09:00:00+02:00,4,100\n"


@pytest.fixture
def queue():
    return QueueFactory(name="Algemeen", team=TeamFactory(name="1e lijn"))


def browser_session() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(role="wfm"))
    client.get("/wfm/")  # a page with a form sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


@pytest.mark.parametrize("content_type", ["text/csv", "text/csv; charset=utf-8", "text/plain"])
def test_repro_forecast_import_as_text_csv_from_a_browser_session(queue, content_type):
    client, csrf = browser_session()
    response = client.generic("POST", URL, ROW, content_type=content_type, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1 and ForecastInterval.objects.count() == 1


def test_forecast_import_as_text_csv_with_an_api_token(queue):
    token = Token.objects.create(user=UserFactory(role="wfm"))
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.generic("POST", URL, ROW, content_type="text/csv")
    assert response.status_code == 200 and response.json()["created"] == 1
    empty = client.generic("POST", URL, "", content_type="text/csv")
    assert empty.status_code == 400 and empty.json()["error"] == "file: no rows"


def test_session_without_csrf_token_is_still_refused(queue):
    client, _ = browser_session()
    assert client.generic("POST", URL, ROW, content_type="text/csv").status_code == 403
