"""The 5xx the fuzz suite found, each kept as a named case: now a 4xx that says what is wrong and where."""

from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kcc.asgi import application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    client = Client()
    client.force_login(UserFactory(username="regress-manager", role="manager"))
    return client


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/api/v1/reports/weekly/", {"week": "0001-W01"}, "week"),
        ("/api/v1/reports/weekly/", {"week": "9999-W52"}, "week"),
        ("/api/v1/reports/daily/", {"date": "0001-01-01"}, "date"),
        ("/api/v1/reports/daily/", {"date": "9999-12-31"}, "date"),
        ("/api/v1/wfm/staffing/", {"day": "9999-12-31", "team": "x"}, "day"),
        ("/api/v1/wfm/forecast/accuracy/", {"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ("/api/v1/intervals/", {"start": "9999-12-30", "end": "9999-12-31"}, "start"),
    ],
)
def test_api_days_at_the_ends_of_the_calendar_are_400_naming_the_parameter(manager, path, params, field):
    response = manager.get(path, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["error"] and "outside 1970-01-01" in body["error"], body


@pytest.mark.parametrize(
    "path, params",
    [
        ("/reports/weekly/", {"week": "0001-W01"}),
        ("/reports/weekly/", {"week": "9999-W52"}),
        ("/reports/daily/", {"date": "0001-01-01"}),
        ("/reports/daily/pdf/", {"date": "9999-12-31"}),
    ],
)
def test_report_pages_at_the_ends_of_the_calendar_are_400(manager, path, params):
    response = manager.get(path, params)
    assert response.status_code == 400
    assert "outside 1970-01-01" in response.content.decode()


def test_forecast_page_day_at_the_end_of_the_calendar_says_so(manager):
    client = Client()
    client.force_login(UserFactory(username="regress-wfm", role="wfm"))
    response = client.get("/wfm/forecast/", {"day": "9999-12-31", "queue": "none"})
    assert response.status_code == 200 and "outside 1970-01-01" in response.content.decode()


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param({"bytes": b"\x00"}, id="binary frame"),
        pytest.param({"text": "{"}, id="text that is no JSON"),
        pytest.param({"text": "[" * 2000}, id="JSON nested too deep to decode"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_websocket_frame_that_is_no_json_closes_4400_not_1011(frame):
    # Anonymous: the consumer closes 4401 on connect; a logged-in one must get 4400 for the frame.
    client = Client()
    client.force_login(UserFactory(username="regress-ws", role="manager"))
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def run():
        communicator = WebsocketCommunicator(
            application,
            "/ws/live/",
            headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)],
        )
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_input({"type": "websocket.receive", **frame})
        output = await communicator.receive_output(timeout=3)
        assert output == {"type": "websocket.close", "code": 4400}
        await communicator.disconnect()

    asyncio.run(run())


def test_forecast_import_with_a_bare_carriage_return_in_a_field_is_a_line_error_not_500():
    client = Client()
    client.force_login(UserFactory(username="regress-wfm2", role="wfm"))
    # The fuzz's file: a quoted field broken by a bare CR, which the csv module refuses to read on.
    data = b'queue,interval_start,offered,aht_s\r"Algemeen\rx",2026-11-24T10:00:00+01:00,1,1\r"unterminated'
    response = client.post("/api/v1/wfm/forecast/import/", {"file": SimpleUploadedFile("f.csv", data)})
    assert response.status_code == 400, response.content
    assert response.json()["errors"], response.json()


@pytest.mark.parametrize(
    "csv_text, field",
    [
        pytest.param(
            "contact_id,channel,queue,offered_at,answered_at,ended_at,agent,acw_s\n"
            "c1,voice,Algemeen,2026-11-24T10:00:00+01:00,2026-11-24T10:00:10+01:00,2026-11-24T10:05:00+01:00,a1,1e20\n",
            "acw_s",
            id="after-call work beyond the calendar",
        ),
        pytest.param(
            "contact_id,channel,queue,offered_at,ended_at\nc2,voice,Algemeen,2026-11-24T10:00:00+01:00,"
            + "x" * 140_000
            + "\n",
            "-",
            id="a field beyond the csv module's limit",
        ),
    ],
)
def test_contact_import_of_an_unreadable_row_is_a_line_error_not_500(manager, csv_text, field):
    upload = SimpleUploadedFile("contacts.csv", csv_text.encode(), content_type="text/csv")
    response = manager.post("/api/v1/reports/imports/contacts/", {"file": upload})
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (2, field), error
