"""Every API error in one shape: ``{"error": "<what is wrong, where>", "detail": ...}``."""

from rest_framework.views import exception_handler as drf_exception_handler

from dashboard.eventschema import EventError


def exception_handler(exc, context):
    if isinstance(exc, EventError):
        from rest_framework.response import Response

        return Response({"error": str(exc), "field": exc.field}, status=400)
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data
        if isinstance(detail, dict) and set(detail) == {"detail"}:
            message = str(detail["detail"])
        else:
            message = _flatten(detail)
        response.data = {"error": message, "detail": detail}
    return response


def _flatten(detail, path="") -> str:
    if isinstance(detail, dict):
        return "; ".join(_flatten(v, f"{path}.{k}" if path else str(k)) for k, v in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(v, path) for v in detail)
    return f"{path}: {detail}" if path else str(detail)
