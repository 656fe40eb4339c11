"""The API's shared pieces: every error that reaches a client in one shape,
``{"error": "<what is wrong, where>", ...}`` (DRF's exception handler, set in settings) and its schema; and
the audit log's API, ``GET /api/v1/audit/`` for admins (a thin adapter over ``core.audit``)."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dashboard.core.audit import audit_entries, audit_entry_as_dict
from dashboard.core.errors import FieldError
from dashboard.core.permissions import IsAdmin

RETRY_AFTER_S = 5


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


class AuditQuerySerializer(serializers.Serializer):
    model = serializers.CharField(
        required=False, help_text="Only entries of this model: queue, kpi, openinghours, team, agent, user, …"
    )
    since = serializers.DateTimeField(required=False, help_text="From this instant (ISO 8601) on.")
    until = serializers.DateTimeField(required=False, help_text="Before this instant (ISO 8601).")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": "must be after since"})
        return attrs


class AuditPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class AuditEntrySerializer(serializers.Serializer):
    """One entry: who, when, what, and the changes before → after (``core.audit.audit_entry_as_dict``)."""

    id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    actor = serializers.CharField(help_text="A user's name, source:<name>, or system: <command>.")
    action = serializers.ChoiceField(choices=["create", "update", "delete", "access", "export", "import"])
    model = serializers.CharField(help_text="app_label.model, e.g. dashboard.queue")
    object_id = serializers.CharField(allow_null=True)
    object_repr = serializers.CharField(help_text="What: the object's name, or what was exported or imported.")
    changes = serializers.DictField(help_text="Per changed field: [before, after] (m2m: operation and objects).")
    details = serializers.DictField(help_text="An export's or import's parameters and counts.")
    remote_addr = serializers.CharField(allow_null=True)

    def to_representation(self, instance):
        return audit_entry_as_dict(instance)


class AuditListView(ListAPIView):
    permission_classes = [IsAuthenticated, IsAdmin]
    pagination_class = AuditPagination
    serializer_class = AuditEntrySerializer

    def get_queryset(self):
        query = AuditQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return audit_entries(**query.validated_data)

    @extend_schema(
        operation_id="audit_list",
        summary="The audit log: who changed, acknowledged, exported or imported what, and when",
        description=(
            "Newest first, 100 a page (`page`, `page_size` up to 1000). Changes to queues (targets, "
            "thresholds), KPIs, opening hours, closed days, teams, agents, users' roles, event sources and "
            "wall-screen tokens, from the admin, the API and management commands alike, with each changed "
            "field as [before, after]; alert acknowledgements; exports and imports with their parameters. "
            "Admins only."
        ),
        parameters=[AuditQuerySerializer],
        responses={200: AuditEntrySerializer(many=True), 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["audit"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
