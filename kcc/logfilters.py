"""Logging filters the settings attach to the console handler (``LOGGING`` in ``kcc/settings.py``)."""

from __future__ import annotations

import logging

from kcc.requestid import request_id


class ClientErrorsWithoutTraceback(logging.Filter):
    """A refused request (4xx) is logged as its one line, without the traceback Django attaches.

    Django logs a ``PermissionDenied`` (``django.request``: "Forbidden (Permission denied): /admin/…")
    and a ``SuspiciousOperation`` (``django.security.*``) with the exception, so every 403 or 400 filled the
    log with a stack trace of a request that was answered correctly. The client's mistake needs its line
    (path, status); a server error (5xx) keeps its traceback."""

    LOGGERS = ("django.request", "django.security")

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and status is not None and status < 500 and record.name.startswith(self.LOGGERS):
            record.exc_info = None
            record.exc_text = None
        return True


class RequestId(logging.Filter):
    """Writes the id of the request being served (``kcc.requestid``) on each record, as ``request_id``
    (None outside a request: a worker, the publisher, an import)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True
