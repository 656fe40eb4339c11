"""A forecast built from fewer weeks of history than asked says so, with the weeks it found: in the
builder's result, the API's answer and the page."""

from datetime import date, time, timedelta

import pytest

from dashboard.wfm.services.forecast import forecast_build
from tests.wfm.test_wfm_forecast import client_for, put, queue  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
TARGET = date(2026, 11, 24)  # a Tuesday


def test_builder_reports_the_weeks_it_found(queue):  # noqa: F811
    put(queue, TARGET - timedelta(days=7), {time(9): (10, 200.0)})
    put(queue, TARGET - timedelta(days=21), {time(9): (4, 200.0)})
    result = forecast_build(first_day=TARGET, last_day=TARGET + timedelta(days=1), queue="Algemeen", weeks=6)
    assert result.rows == 96 and result.weeks == 6
    assert result.short_history == [
        {"queue": "Algemeen", "day": "2026-11-24", "weeks_found": 2, "history_days": ["2026-11-17", "2026-11-03"]}
    ]
    assert result.without_history == [{"queue": "Algemeen", "day": "2026-11-25"}]
    # Asking for the weeks there are: nothing to report. A week weighted 0 is left out, not missing.
    assert forecast_build(first_day=TARGET, last_day=TARGET, queue="Algemeen", weeks=1).short_history == []
    assert (
        forecast_build(first_day=TARGET, last_day=TARGET, queue="Algemeen", weeks=2, weights=[1, 0]).short_history == []
    )


def test_api_and_page_say_the_history_was_short(queue):  # noqa: F811
    put(queue, TARGET - timedelta(days=7), {time(9): (10, 200.0)})
    body = (
        client_for()
        .post("/api/v1/wfm/forecast/build/", {"start": "2026-11-24", "end": "2026-11-24", "weeks": 4}, format="json")
        .json()
    )
    assert body["weeks"] == 4
    assert body["short_history"] == [
        {"queue": "Algemeen", "day": "2026-11-24", "weeks_found": 1, "history_days": ["2026-11-17"]}
    ]
    page = client_for().post(
        "/wfm/forecast/",
        {"action": "build", "start": "2026-11-24", "end": "2026-11-24", "weeks": "4"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'id="short-history"' in html
    assert "fewer weeks of history than the 4 asked for" in html
    assert "Algemeen 2026-11-24: 1 week found (2026-11-17)" in html
    dutch = client_for().post(
        "/wfm/forecast/",
        {"action": "build", "start": "2026-11-24", "end": "2026-11-24", "weeks": "4"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert "Algemeen 2026-11-24: 1 week gevonden (2026-11-17)" in dutch.content.decode()


def test_a_nul_in_a_name_is_a_400_not_a_500(queue):  # noqa: F811  (found by the fuzz suite on PostgreSQL)
    assert client_for().get("/wfm/forecast/", {"queue": "\x00"}).status_code == 200  # the page says what is wrong
    page = client_for().get("/wfm/forecast/", {"queue": "A\x00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "queue: must not contain a NUL character" in page.content.decode()
    assert client_for().get("/api/v1/wfm/forecast/", {"day": "2026-11-24", "queue": "\x00"}).status_code == 400
