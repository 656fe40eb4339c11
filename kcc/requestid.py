"""A request id for every HTTP request, so that the log lines one request wrote can be found together.

The id comes from the proxy's ``X-Request-ID`` header when it sends one (nginx's ``$request_id``, Caddy's
``{http.request.uuid}``), else it is made here; the answer carries it back in ``X-Request-ID``. The JSON
logs (``KCC_LOG_FORMAT=json``) write it on each line (``kcc.logfilters.RequestId``).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# What a proxy's id may look like: a uuid or a hex or token string; anything else is replaced, so a
# client cannot write what it likes into the logs.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _ACCEPTABLE.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        request.request_id = rid
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response
