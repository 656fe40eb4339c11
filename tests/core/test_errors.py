"""FieldError: each source names the field apart from the message, and the text a client reads is
``<field>: <message>`` wherever it is shown."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from dashboard.core.errors import FieldError
from dashboard.core.periods import rollup_start
from dashboard.ingest.imports import ImportFileError, csv_rows
from dashboard.ingest.sources import source_token_create
from dashboard.reports.selectors import ReportFilter, ReportQueryError, parse_day, parse_week
from dashboard.reports.services import period_of
from dashboard.wfm.selectors import ExportQuery, check_filters
from dashboard.wfm.services.forecast import parse_interval_start
from tests.factories import TeamFactory, UserFactory

TZ = ZoneInfo("Europe/Amsterdam")


def test_field_error_keeps_field_and_message_apart():
    error = FieldError("end", "is before start")
    assert (error.field, error.message, str(error)) == ("end", "is before start", "end: is before start")
    assert error.as_dict() == {"error": "end: is before start", "field": "end"}
    assert isinstance(error, ValueError)  # callers that catch ValueError still do


@pytest.mark.parametrize(
    ("call", "kind", "field", "message"),
    [
        (lambda: parse_day(None), ReportQueryError, "date", "is required, as YYYY-MM-DD (e.g. 2026-11-24)"),
        (lambda: parse_day("24-11"), ReportQueryError, "date", "'24-11' is not a date; write YYYY-MM-DD (e.g. 2026-11-24)"),
        (lambda: parse_week("2026-W54"), ReportQueryError, "week", "'2026-W54': 2026 has no week 54"),
        (lambda: ReportFilter(channel="fax").validate(), ReportQueryError, "channel", None),
        (lambda: list(csv_rows(io.StringIO(""))), ImportFileError, "header", "the file is empty; line 1 names the columns"),
        (lambda: period_of("monthly", date(2026, 11, 1)), FieldError, "kind", "'monthly' is not 'daily' or 'weekly'"),
        (lambda: rollup_start(datetime(2026, 11, 1, tzinfo=UTC), 20), FieldError, "length", None),
        (lambda: source_token_create(name="  "), FieldError, "name", "a source needs a name"),
        (lambda: parse_interval_start("9:15", TZ), FieldError, "interval_start", None),
        (lambda: parse_interval_start("2026-03-29T02:15", TZ), FieldError, "interval_start",
         "2026-03-29T02:15 does not exist in Europe/Amsterdam (the clock skips it)"),
        (lambda: ExportQuery(first_day=date(2026, 11, 2), last_day=date(2026, 11, 1)), FieldError, "end", "is before start"),
        (lambda: ExportQuery(first_day=date(2026, 11, 1), last_day=date(2026, 11, 1), length=20), FieldError, "length",
         "must be one of 15, 30, 60 minutes"),
    ],
)  # fmt: skip
@pytest.mark.django_db  # the source token's transaction
def test_sources_raise_a_field_error_naming_the_field(call, kind, field, message):
    with pytest.raises(kind) as caught:
        call()
    assert isinstance(caught.value, FieldError)
    assert caught.value.field == field
    if message is not None:
        assert caught.value.message == message
    assert str(caught.value) == f"{field}: {caught.value.message}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"queue": "Nope"}, "queue", "unknown queue 'Nope'"),
        ({"team": "Nope"}, "team", "unknown team 'Nope'"),
        ({"channel": "fax"}, "channel", "unknown channel 'fax'; one of "),
    ],
)
def test_unknown_filters_name_their_field(filters, field, message):
    TeamFactory(name="1e lijn")
    with pytest.raises(FieldError) as caught:
        check_filters(**filters)
    assert caught.value.field == field and caught.value.message.startswith(message)


@pytest.mark.django_db
def test_the_wfm_api_answers_a_field_error_of_a_selector_keyed_by_its_field():
    """Raised in the selector (not by a serializer), answered like a serializer's error: the same text
    as before in ``error``, and ``detail`` keyed by the field."""
    TeamFactory(name="1e lijn")
    client = APIClient()
    client.force_login(UserFactory(role="wfm"))
    response = client.get("/api/v1/wfm/staffing/", {"day": "2026-11-24"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "queue/team: choose one queue or one team",
        "detail": {"queue/team": ["choose one queue or one team"]},
    }
    response = client.get("/api/v1/intervals/", {"start": "2026-11-01", "end": "2026-11-01", "queue": "Nope"})
    assert response.status_code == 400
    assert response.json() == {"error": "queue: unknown queue 'Nope'", "detail": {"queue": ["unknown queue 'Nope'"]}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "file: choose a CSV file to upload"), ("nl", "file: kies een CSV-bestand om te uploaden")],
)
def test_a_page_shows_a_field_error_in_the_users_language(client, language, text):
    client.force_login(UserFactory(role="manager"))
    response = client.post("/reports/import/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert text in response.content.decode()
