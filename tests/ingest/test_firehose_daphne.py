"""Amazon Connect through Kinesis Data Firehose's HTTP endpoint delivery, against a real daphne: a delivery of
contact records and agent events reaches the live state, Firehose's retry of it is a duplicate, and a 50 MB
body is answered 413 in Firehose's own form (errorMessage) before it is parsed. (Here rather than in
tests/e2e, whose tests wait for Chromium: these need none.)"""

import base64
import gzip
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest

from dashboard.core.models import Contact, Event, NewNames, SourceKind
from dashboard.ingest.sources import source_token_create
from dashboard.live.selectors import live_snapshot
from tests.e2e.conftest import Stack
from tests.ingest.test_connect import agent_event, iso, live_ctr

REQUEST_ID = "0b3c1f6e-8a0d-4c1e-9a51-6c2d7e1f0a11"


def _post(base: str, key: str, body: bytes, **headers) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/adapters/firehose/",
        data=body,
        method="POST",
        headers={"X-Amz-Firehose-Access-Key": key, "X-Amz-Firehose-Request-Id": REQUEST_ID,
                 "X-Amz-Firehose-Protocol-Version": "1.0", "Content-Type": "application/json", **headers},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _envelope(records: list[dict]) -> bytes:
    data = [{"data": base64.b64encode(json.dumps(r).encode()).decode()} for r in records]
    return json.dumps({"requestId": REQUEST_ID, "timestamp": 1764057600000, "records": data}).encode()


@pytest.fixture
def daphne(transactional_db):
    stack = Stack()
    stack.start_daphne()
    yield stack
    stack.stop()


def test_a_firehose_delivery_under_daphne_reaches_the_live_state(daphne):
    _source, key, _ = source_token_create(name="connect", kind=SourceKind.CONNECT, new_queues=NewNames.CREATE)
    now = datetime.now(UTC).replace(microsecond=0)
    records = [
        agent_event("LOGIN", event_id="e-1", EventTimestamp=iso(-3600, now)),
        live_ctr("7f2b3c4d-1a2b-4c5d-8e9f-0a1b2c3d4e5f", 600),
        live_ctr("7f2b3c4d-0000-4000-8000-000000000002", 400, Agent=None, DisconnectTimestamp=iso(-355, now),
                 Queue__DequeueTimestamp=iso(-355, now)),
    ]  # fmt: skip
    status, body = _post(daphne.base, key, gzip.compress(_envelope(records)), **{"Content-Encoding": "gzip"})
    assert (status, set(body), body["requestId"]) == (200, {"requestId", "timestamp"}, REQUEST_ID)
    assert Contact.objects.count() == 2
    support = next(q for q in live_snapshot(now=now)["queues"] if q["name"] == "Support")
    assert (support["today"]["offered"], support["today"]["answered"], support["today"]["abandoned"]) == (2, 1, 1)
    assert _post(daphne.base, key, _envelope(records))[0] == 200  # Firehose's retry: duplicates
    assert Event.objects.count() == 1 + 4 + 2


def test_a_50_mb_delivery_is_413_in_firehose_form_under_daphne(daphne):
    _source, key, _ = source_token_create(name="connect", kind=SourceKind.CONNECT)
    body = b'{"requestId": "x", "records": [{"data": "' + b"A" * (50 * 1024 * 1024) + b'"}]}'
    status, answer = _post(daphne.base, key, body)
    assert status == 413 and answer["requestId"] == REQUEST_ID and "at most 8,388,608 bytes" in answer["errorMessage"]
    status, answer = _post(daphne.base, "wrong", _envelope([]))
    assert status == 401 and "unknown source token" in answer["errorMessage"]
    assert Event.objects.count() == 0
