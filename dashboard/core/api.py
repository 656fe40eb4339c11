"""The audit log's API: ``GET /api/v1/audit/`` for admins (a thin adapter over ``core.audit``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from dashboard.core.audit import audit_entries, audit_entry_as_dict
from dashboard.core.errors import ErrorSerializer
from dashboard.core.permissions import IsAdmin


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


AuditEntrySerializer = inline_serializer(
    "AuditEntry",
    {
        "id": serializers.IntegerField(),
        "timestamp": serializers.DateTimeField(),
        "actor": serializers.CharField(help_text="A user's name, source:<name>, or system: <command>."),
        "action": serializers.ChoiceField(choices=["create", "update", "delete", "access", "export", "import"]),
        "model": serializers.CharField(help_text="app_label.model, e.g. dashboard.queue"),
        "object_id": serializers.CharField(allow_null=True),
        "object_repr": serializers.CharField(help_text="What: the object's name, or what was exported/imported."),
        "changes": serializers.DictField(help_text="Per changed field: [before, after] (m2m: added/removed)."),
        "details": serializers.DictField(help_text="An export's or import's parameters and counts."),
        "remote_addr": serializers.CharField(allow_null=True),
    },
)


class AuditListView(APIView):
    permission_classes = [IsAuthenticated, IsAdmin]
    pagination_class = AuditPagination

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
        parameters=[
            AuditQuerySerializer,
            OpenApiParameter("page", int, description="Page number, from 1."),
            OpenApiParameter("page_size", int, description="Entries per page (at most 1000)."),
        ],
        responses={200: AuditEntrySerializer(many=True), 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["audit"],
    )
    def get(self, request):
        query = AuditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = audit_entries(**query.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response([audit_entry_as_dict(e) for e in page])
