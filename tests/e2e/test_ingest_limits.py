"""Issue 11, points 6 and 12, against a real daphne: a body over the limit is answered 413 before it is
parsed, and a burst larger than the connection pool is answered 503 with Retry-After (never 500), after
which sending again stores every event once."""

import json
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from dashboard.core.models import Event
from dashboard.ingest.sources import source_token_create
from tests.e2e.conftest import Stack

NOW = datetime.now(UTC).replace(microsecond=0)


def _post(base: str, token: str, body: bytes) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/events/",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def _batch(prefix: str, n: int) -> list[dict]:
    at = (NOW - timedelta(minutes=10)).isoformat()
    return [
        {"id": f"{prefix}{i}", "type": "contact.offered", "at": at, "contact_id": f"{prefix}c{i}", "queue": "Algemeen",
         "channel": "voice"}
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def daphne(transactional_db, request):
    stack = Stack()
    stack.env.update(getattr(request, "param", {}))
    stack.start_daphne()
    yield stack
    stack.stop()


def test_a_body_over_5_mb_is_413_under_daphne(daphne):
    _source, token, _created = source_token_create(name="acd")
    big = json.dumps(_batch("big", 5000)).encode()
    padded = big[:-1] + b"," + json.dumps([{"pad": "x" * (6 * 1024 * 1024)}])[1:].encode()
    status, _headers, body = _post(daphne.base, token, padded)
    assert status == 413, body
    assert "at most 5,242,880 bytes" in body["error"]
    assert Event.objects.count() == 0
    status, _headers, body = _post(daphne.base, token, big)  # 5,000 events stay well under the limit
    assert (status, body["accepted"]) == (200, 5000)


@pytest.mark.parametrize(
    "daphne",
    [{"KCC_DB_POOL_MAX_SIZE": "1", "KCC_DB_POOL_MIN_SIZE": "1", "KCC_DB_POOL_TIMEOUT_S": "0.2"}],
    indirect=True,
)
def test_a_burst_beyond_the_pool_is_503_with_retry_after_and_nothing_is_lost(daphne):
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's (SQLite has no connections to run out of)")
    _source, token, _created = source_token_create(name="acd")
    batches = [_batch(f"b{k}-", 2000) for k in range(8)]
    answers: dict[int, tuple[int, dict, dict]] = {}

    def send(k):
        answers[k] = _post(daphne.base, token, json.dumps(batches[k]).encode())

    threads = [threading.Thread(target=send, args=(k,)) for k in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    statuses = sorted(status for status, _h, _b in answers.values())
    assert 500 not in statuses and set(statuses) <= {200, 503}, statuses
    refused = [k for k, (status, _h, _b) in answers.items() if status == 503]
    assert refused, f"a pool of 1 took 8 concurrent batches without a wait: {statuses}"
    for k in refused:
        _status, headers, body = answers[k]
        assert headers.get("Retry-After") == "5"
        assert "try again" in body["error"]
    for k in refused:  # as a client that honours Retry-After does, one at a time
        status, _h, body = _post(daphne.base, token, json.dumps(batches[k]).encode())
        assert status == 200, body
    assert Event.objects.count() == 8 * 2000
