"""The events API: an ACD, CTI link or importer posts its events here; and the ACD adapters that are called
over HTTP (Twilio TaskRouter's event callbacks, Kinesis Data Firehose's delivery of Amazon Connect's records).
Thin adapters around the ingest service."""

import logging
import time
import zlib

import orjson
from django.core.exceptions import TooManyFieldsSent
from django.http import QueryDict
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.core.api import ErrorSerializer, PayloadTooLarge
from dashboard.core.fastjson import ORJSONParser, ORJSONRenderer
from dashboard.ingest.authentication import (
    FIREHOSE_KEY_HEADER,
    FirehoseAccessKeyAuthentication,
    IsConnectSource,
    IsSource,
    SourceTokenAuthentication,
)
from dashboard.ingest.connect_records import FirehoseRequestError, firehose_ingest
from dashboard.ingest.importers.twilio import CallbackError
from dashboard.ingest.schema import MAX_BATCH
from dashboard.ingest.serializers import EVENT_EXAMPLES, EVENT_SERIALIZERS_BY_TYPE, IngestResponseSerializer
from dashboard.ingest.services import events_ingest
from dashboard.ingest.twilio_callbacks import (
    MAX_BODY_BYTES,
    CallbackRefusedError,
    callback_ingest,
    callback_source_verify,
    callback_url,
)


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


class TwilioFormParser(BaseParser):
    """TaskRouter's form-encoded callback, of a body no larger than ``MAX_BODY_BYTES``: a larger one is
    answered 413 before it is read (by its Content-Length) or once the read passes the limit."""

    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > MAX_BODY_BYTES:
            raise PayloadTooLarge(_callback_too_large(int(declared)))
        body = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(_callback_too_large(None))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ParseError(f"body: not UTF-8 form data (byte {error.start}); TaskRouter sends UTF-8") from None
        try:
            return QueryDict(text, encoding="utf-8")
        except TooManyFieldsSent as error:
            raise ParseError(f"body: {error}") from None


def _callback_too_large(size: int | None) -> str:
    what = f"the request body has {size:,} bytes" if size is not None else "the request body is larger"
    return f"body: {what}; a TaskRouter event callback is at most {MAX_BODY_BYTES:,} bytes"


class TwilioCallbackView(APIView):
    """TaskRouter's event callbacks for one Twilio source; signed by Twilio, not by a source token."""

    parser_classes = [TwilioFormParser]
    renderer_classes = [ORJSONRenderer]
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # a busy workspace sends many callbacks a second; the signature is the guard

    @extend_schema(
        operation_id="twilio_callback",
        summary="TaskRouter event callback (Twilio Flex)",
        description=(
            "Set as the Event Callback URL of a TaskRouter Workspace. Form-encoded, signed by Twilio "
            "(X-Twilio-Signature) with the auth token of the source named in the URL, which must be an active "
            "source of kind twilio. 200: mapped and ingested, or a counted skip (an event type that is not "
            "mapped); 207/400: some or all of its events were rejected; 400: a parameter its event type needs is "
            "missing or wrong; 403: not signed for this source; 413: body over 1 MB; 415: not form-encoded."
        ),
        request={"application/x-www-form-urlencoded": {"type": "object", "additionalProperties": {"type": "string"}}},
        parameters=[
            OpenApiParameter(
                "X-Twilio-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Twilio's signature of the URL and the form parameters with the source's auth token.",
            ),
        ],  # fmt: skip
        responses={
            200: OpenApiResponse(description="Ingested, or skipped with the reason."),
            403: ErrorSerializer,
            400: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
        },  # fmt: skip
        tags=["events"],
    )
    def post(self, request, source):
        params = request.data
        try:
            verified = callback_source_verify(
                name=source,
                url=callback_url(request),
                params=params,
                signature=request.headers.get("X-Twilio-Signature"),
                signature_settings=request.headers.get("X-Twilio-Webhooks-Signature-Settings"),
            )
        except CallbackRefusedError as refused:
            raise PermissionDenied(str(refused)) from None
        try:
            result = callback_ingest(source=verified, params=params)
        except CallbackError as error:
            return Response({"error": str(error), "field": error.field}, status=status.HTTP_400_BAD_REQUEST)
        body = result.as_dict()
        events = len(result.mapped.events)
        if body["rejected"] == 0:
            code = status.HTTP_200_OK
        elif body["rejected"] == events:
            code = status.HTTP_400_BAD_REQUEST
            reasons = "; ".join(
                f"{r.get('field')}: {r.get('reason')}" for r in body["results"] if r["status"] == "rejected"
            )
            body["error"] = f"{result.mapped.event_type}: its events were rejected: {reasons}"
        else:
            code = status.HTTP_207_MULTI_STATUS
        return Response(body, status=code)


log = logging.getLogger(__name__)

# Firehose sends what it buffered, at most its buffer size hint (1–64 MiB, 5 MiB by default) of records,
# base64-encoded (a third more) in a JSON envelope. A body beyond this is refused with 413 before it is read;
# a stream whose buffer size hint is at most 5 MiB stays below it. Gzip-compressed bodies (the stream's
# content encoding) may unpack to at most FIREHOSE_MAX_DECODED_BYTES.
FIREHOSE_MAX_BODY_BYTES = 8 * 1024 * 1024
FIREHOSE_MAX_DECODED_BYTES = 64 * 1024 * 1024


def _firehose_too_large(size: int | None) -> str:
    what = f"the request body has {size:,} bytes" if size is not None else "the request body is larger"
    return (
        f"body: {what}; this endpoint takes at most {FIREHOSE_MAX_BODY_BYTES:,} bytes: set the Firehose "
        "stream's buffer size hint to 5 MiB or less"
    )


class FirehoseParser(BaseParser):
    """Firehose's JSON delivery request (gzip when the stream's content encoding says so), of a body no
    larger than ``FIREHOSE_MAX_BODY_BYTES``: a larger one is answered 413 before it is read (by its
    Content-Length) or once the read passes the limit."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > FIREHOSE_MAX_BODY_BYTES:
            raise PayloadTooLarge(_firehose_too_large(int(declared)))
        body = stream.read(FIREHOSE_MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(body) > FIREHOSE_MAX_BODY_BYTES:
            raise PayloadTooLarge(_firehose_too_large(None))
        if request is not None and request.headers.get("Content-Encoding", "").strip().lower() == "gzip":
            unpack = zlib.decompressobj(wbits=31)
            try:
                body = unpack.decompress(body, FIREHOSE_MAX_DECODED_BYTES + 1)
            except zlib.error as error:
                raise ParseError(f"body: Content-Encoding is gzip but the body is not ({error})") from None
            if len(body) > FIREHOSE_MAX_DECODED_BYTES or unpack.unconsumed_tail:
                raise PayloadTooLarge(
                    f"body: unpacks to more than {FIREHOSE_MAX_DECODED_BYTES:,} bytes; set the Firehose stream's "
                    "buffer size hint to 5 MiB or less"
                )
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise ParseError(f"body: not JSON ({error}); Firehose sends a JSON object with records") from None


def _firehose_now_ms() -> int:
    return int(time.time() * 1000)


class FirehoseView(APIView):
    """Kinesis Data Firehose's HTTP endpoint delivery of Amazon Connect's contact records and agent events."""

    parser_classes = [FirehoseParser]
    renderer_classes = [ORJSONRenderer]
    authentication_classes = [FirehoseAccessKeyAuthentication]
    permission_classes = [IsConnectSource]
    throttle_classes = []  # Firehose retries what is refused: a throttle would only delay the same records

    def _request_id(self, request) -> str:
        body = getattr(request, "_full_data", None)
        if isinstance(body, dict) and isinstance(body.get("requestId"), str):
            return body["requestId"]
        return request.headers.get("X-Amz-Firehose-Request-Id", "")

    def handle_exception(self, exc):
        """Every refusal in Firehose's own form: it logs ``errorMessage`` and retries."""
        try:
            response = super().handle_exception(exc)
        except Exception:
            log.exception("Firehose request %s failed", self._request_id(self.request))
            response = Response({"error": "the request could not be handled; Firehose will retry it"}, status=500)
        data = response.data if isinstance(response.data, dict) else {}
        message = data.get("error") or data.get("detail") or str(exc)
        response.data = {
            "requestId": self._request_id(self.request),
            "timestamp": _firehose_now_ms(),
            "errorMessage": str(message),
        }
        return response

    @extend_schema(
        operation_id="firehose_delivery",
        summary="Kinesis Data Firehose HTTP endpoint delivery (Amazon Connect)",
        description=(
            "Set as the HTTP endpoint URL of a Kinesis Data Firehose stream that carries Amazon Connect's contact "
            "records (data streaming) or its agent event stream, with a source token of a source of kind connect "
            f"as the access key ({FIREHOSE_KEY_HEADER}). Each record's data (base64) is a contact record or an "
            "agent event, told apart by their shape. The answer is Firehose's: 200 {requestId, timestamp} when "
            "every record was taken (ingested, a duplicate, or a counted skip: no queue, outbound, TASK channel, "
            "heartbeat, an unknown version); otherwise {requestId, timestamp, errorMessage}: 400 when some records "
            "could not be read or were rejected (the others were kept: Firehose's retry of them is a duplicate), "
            "or the body is not Firehose's envelope; 401 no or an unknown access key; 403 not a source of kind "
            "connect; 413 body over 8 MiB; 415 not JSON."
        ),
        request={"application/json": {
            "type": "object",
            "properties": {
                "requestId": {"type": "string"},
                "timestamp": {"type": "integer", "description": "milliseconds since 1970"},
                "records": {"type": "array", "items": {"type": "object", "properties": {
                    "data": {"type": "string", "format": "byte"}}}},
            },
            "required": ["records"],
        }},
        responses={
            200: OpenApiResponse(description="Every record taken: {requestId, timestamp}."),
            400: OpenApiResponse(description="{requestId, timestamp, errorMessage}"),
            401: OpenApiResponse(description="{requestId, timestamp, errorMessage}"),
            403: OpenApiResponse(description="{requestId, timestamp, errorMessage}"),
            413: OpenApiResponse(description="{requestId, timestamp, errorMessage}"),
        },
        examples=[OpenApiExample("delivery", request_only=True, value={
            "requestId": "ed4acda5-034f-9f42-bba1-f29aea6d7d8f",
            "timestamp": 1764057600000,
            "records": [{"data": "eyJDb250YWN0SWQiOiAiLi4uIn0="}],
        })],
        tags=["events"],
    )  # fmt: skip
    def post(self, request):
        body = request.data
        try:
            result = firehose_ingest(source=request.auth, body=body)
        except FirehoseRequestError as error:
            raise ParseError(str(error)) from None
        reply = {"requestId": self._request_id(request), "timestamp": _firehose_now_ms()}
        problems = result.problems
        if problems:
            bad = result.reading.malformed_count + len({r["record"] for r in result.rejections})
            reply["errorMessage"] = (
                f"{bad} of {result.reading.records} records could not be taken; the others were kept (a retry of "
                f"them is a duplicate): " + "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "")
            )
            return Response(reply, status=status.HTTP_400_BAD_REQUEST)
        return Response(reply, status=status.HTTP_200_OK)
