"""The events API: an ACD, CTI link or importer posts its events here (thin adapter around the ingest service)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.core.api import ErrorSerializer
from dashboard.core.fastjson import ORJSONParser, ORJSONRenderer
from dashboard.ingest.authentication import IsSource, SourceTokenAuthentication
from dashboard.ingest.schema import MAX_BATCH
from dashboard.ingest.serializers import EVENT_EXAMPLES, EVENT_SERIALIZERS_BY_TYPE, IngestResponseSerializer
from dashboard.ingest.services import events_ingest


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
