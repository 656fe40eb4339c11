"""Every error that reaches a client in one shape: ``{"error": "<what is wrong, where>", ...}``.

``FieldError`` is the one exception for "this field is wrong": it carries the field's name and the
message apart, so an API answer, a page and an import report can each show them their own way without
splitting a string.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

RETRY_AFTER_S = 5


class FieldError(ValueError):
    """A value a client sent is wrong: ``field`` names where, ``message`` says what."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"error": str(self), "field": self.field}


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="What is wrong, and where.")


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "body: the request body is too large."
    default_code = "payload_too_large"


# PostgreSQL's SQLSTATEs of a database that is busy or going away: connection exceptions (08), insufficient
# resources (53: "too many clients"), shutdown (57P01-57P03), and a deadlock or serialization failure that
# stayed after the ingest's retries (40P01, 40001).
BUSY_SQLSTATE_PREFIXES = ("08", "53", "57P0", "40P01", "40001")
BUSY_MESSAGES = (
    "too many clients",
    "remaining connection slots",
    "couldn't get a connection",  # psycopg_pool.PoolTimeout: every connection of the pool is in use
    "connection failed",
    "could not connect",
    "server closed the connection",
    "database is locked",  # SQLite: another writer held the lock beyond the timeout
    "database table is locked",
)


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is overloaded or unreachable, rather than that a request or
    the code is wrong: the client should try again later."""
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    cause = exc.__cause__
    if type(cause).__name__ == "PoolTimeout":
        return True
    sqlstate = getattr(cause, "sqlstate", None) or ""
    if sqlstate.startswith(BUSY_SQLSTATE_PREFIXES):
        return True
    text = str(exc).lower()
    return isinstance(exc, InterfaceError) or any(m in text for m in BUSY_MESSAGES)


def busy_response() -> Response:
    """503 with Retry-After: the database is busy or unreachable; nothing about the request is wrong."""
    return Response(
        {
            "error": f"the database is busy or unreachable; try again in {RETRY_AFTER_S} seconds (events that "
            "were stored already count as duplicates when sent again)"
        },
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def exception_handler(exc, context):
    if isinstance(exc, FieldError):
        return Response(exc.as_dict(), status=400)
    if database_busy(exc):
        return busy_response()
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data
        if isinstance(detail, dict) and set(detail) == {"detail"}:
            message = str(detail["detail"])
        else:
            message = flatten(detail)
        response.data = {"error": message, "detail": detail}
    return response


def flatten(detail, path="") -> str:
    """DRF's nested error detail as one line: ``field: message; other.field: message``."""
    if isinstance(detail, dict):
        return "; ".join(flatten(v, f"{path}.{k}" if path else str(k)) for k, v in detail.items())
    if isinstance(detail, list):
        return "; ".join(flatten(v, path) for v in detail)
    return f"{path}: {detail}" if path else str(detail)
