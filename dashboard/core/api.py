"""The API's shared pieces: every error that reaches a client in one shape,
``{"error": "<what is wrong, where>", ...}`` (DRF's exception handler, set in settings), and its schema."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dashboard.core.errors import FieldError


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
