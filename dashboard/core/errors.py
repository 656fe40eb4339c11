"""Every error that reaches a client in one shape: ``{"error": "<what is wrong, where>", ...}``.

``FieldError`` is the one exception for "this field is wrong": it carries the field's name and the
message apart, so an API answer, a page and an import report can each show them their own way without
splitting a string.
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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


def exception_handler(exc, context):
    if isinstance(exc, FieldError):
        return Response(exc.as_dict(), status=400)
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
