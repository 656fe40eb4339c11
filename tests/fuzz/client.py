"""One request of the fuzz suite through Django's test client, counted in the tally; a 5xx (or an
exception out of the view, which a server would answer with 500) fails with the request that caused it."""

from __future__ import annotations

import json

from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import Client

from tests.fuzz import tally

STREAM_LIMIT = 1 << 20  # read this much of a streamed download: errors in its first rows show


def call(client: Client, method: str, path: str, *args, area: str, **kwargs) -> HttpResponse:
    try:
        response = getattr(client, method)(path, *args, **kwargs)
        if getattr(response, "streaming", False):
            read = 0
            for chunk in response.streaming_content:
                read += len(chunk)
                if read > STREAM_LIMIT:
                    break
            # Closing sends request_finished, whose close_old_connections would close the test's
            # connection in the middle of its transaction (Django's test client guards it the same way).
            request_finished.disconnect(close_old_connections)
            try:
                response.close()
            finally:
                request_finished.connect(close_old_connections)
    except Exception as exc:
        tally.record(area, 500)
        raise AssertionError(f"{method.upper()} {path} {_short((args, kwargs))} raised {exc!r}") from exc
    kind = tally.record(area, response.status_code)
    assert kind != "5xx", f"{method.upper()} {path} {_short((args, kwargs))} answered {response.status_code}"
    return response


def assert_says_what_is_wrong(response: HttpResponse, where: str) -> None:
    """An API's 400 carries the one error shape: ``{"error": "<what, where>"}``."""
    if response.status_code != 400 or getattr(response, "streaming", False):
        return
    assert response["Content-Type"].startswith("application/json"), f"{where}: 400 without a JSON error body"
    body = json.loads(response.content)
    assert isinstance(body, dict) and str(body.get("error", "")).strip(), f"{where}: 400 without an error: {body!r}"


def _short(what) -> str:
    text = repr(what)
    return text if len(text) < 600 else text[:600] + "…"
