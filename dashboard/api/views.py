"""The API's views: thin adapters around one service or selector each."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.api.authentication import IsSource, SourceTokenAuthentication
from dashboard.api.fastjson import ORJSONParser, ORJSONRenderer
from dashboard.api.serializers import (
    EVENT_EXAMPLES,
    EVENT_SERIALIZERS_BY_TYPE,
    ErrorSerializer,
    IngestResponseSerializer,
)
from dashboard.eventschema import MAX_BATCH
from dashboard.permissions import has_any_role, visible_team_ids
from dashboard.selectors.live import live_snapshot
from dashboard.services.alerts import AlertError, alert_acknowledge
from dashboard.services.events import events_ingest


class EventsView(APIView):
    parser_classes = [ORJSONParser]
    renderer_classes = [ORJSONRenderer]
    authentication_classes = [SourceTokenAuthentication]
    permission_classes = [IsSource]

    @extend_schema(
        operation_id="events_ingest",
        summary="Post a batch of events",
        description=(
            f"A JSON array of 1–{MAX_BATCH} events. Each is validated on its own: the response lists for "
            "every event (by index) whether it was accepted, a duplicate (its id was received before from "
            "this source; nothing changes) or rejected (with the field and the reason). Valid events are "
            "kept even when others in the batch are rejected. Events of one contact may arrive in any order."
            "\n\nStatus: 200 when nothing was rejected, 207 when some events were rejected, 400 when all "
            "were (or the body is not an array of 1–5,000 events)."
        ),
        request=PolymorphicProxySerializer(
            component_name="Event",
            serializers=EVENT_SERIALIZERS_BY_TYPE,
            resource_type_field_name="type",
            many=True,
        ),
        responses={
            200: IngestResponseSerializer,
            207: IngestResponseSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Not an array of events, or every event rejected."),
            401: ErrorSerializer,
        },
        examples=[OpenApiExample(event["type"], value=event, request_only=True) for event in EVENT_EXAMPLES],
        tags=["events"],
    )
    def post(self, request):
        events = request.data
        if not isinstance(events, list):
            raise ParseError('body: must be a JSON array of events, e.g. [{"id": …, "type": …, "at": …}]')
        if not 1 <= len(events) <= MAX_BATCH:
            raise ParseError(f"body: a batch holds 1 to {MAX_BATCH} events; this one has {len(events)}")
        result = events_ingest(source=request.auth, events=events)
        body = {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "live_version": result.live_version,
            "results": result.results,
        }
        if result.rejected == 0:
            code = status.HTTP_200_OK
        elif result.rejected == len(events):
            code = status.HTTP_400_BAD_REQUEST
            body["error"] = f"all {len(events)} events were rejected; see results for each event's field and reason"
        else:
            code = status.HTTP_207_MULTI_STATUS
        return Response(body, status=code)


class LiveView(APIView):
    @extend_schema(
        operation_id="live_snapshot",
        summary="The live snapshot per queue, team and channel",
        description=(
            "Current contacts waiting and longest wait, agents by state, and the counters and KPIs of today "
            "(since local midnight) and of the last 30 minutes, each computed by the metrics module. "
            "Supervisors see their teams' queues and teams only; managers, WFM and admins see everything, "
            "including the channel and centre totals (`channels`, `all`)."
        ),
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The snapshot."), 403: ErrorSerializer},
        tags=["live"],
    )
    def get(self, request):
        if not has_any_role(request.user):
            raise PermissionDenied(_("Your account has no role (supervisor, manager, wfm or admin)."))
        return Response(live_snapshot(team_ids=visible_team_ids(request.user)))


class AlertAckView(APIView):
    @extend_schema(
        operation_id="alert_acknowledge",
        summary="Acknowledge an alert",
        description="One supervisor acknowledges; every supervisor of the team sees who did, live.",
        request=None,
        responses={200: OpenApiTypes.OBJECT, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
        tags=["live"],
    )
    def post(self, request, pk: int):
        if not has_any_role(request.user):
            raise PermissionDenied(_("Your account has no role (supervisor, manager, wfm or admin)."))
        try:
            alert = alert_acknowledge(alert_id=pk, user=request.user)
        except AlertError as error:
            return Response({"error": str(error)}, status=error.status)
        return Response(
            {"id": alert.id, "acknowledged_by": request.user.get_username(), "acknowledged_at": alert.acknowledged_at}
        )
