"""The report API: daily and weekly reports per queue with a total row, and the upload of contact
records. Thin views: one selector or service call each; errors in the one shape {"error": …}."""

from __future__ import annotations

import io

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.core.api import ErrorSerializer
from dashboard.core.models import Channel
from dashboard.core.permissions import CanImportContacts, SeesAll
from dashboard.ingest.public import IMPORT_COLUMNS, ImportFileError, contacts_import_csv
from dashboard.reports.selectors import API_FIELDS, ReportFilter, ReportQueryError, parse_day, parse_week, report_api

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ReportRowSerializer(serializers.Serializer):
    queue = serializers.CharField(allow_null=True, help_text="The queue; null in the total row.")
    channel = serializers.CharField(allow_null=True)
    team = serializers.CharField(allow_null=True)
    offered = serializers.IntegerField(help_text="Contacts offered to the queue in the period.")
    answered = serializers.IntegerField()
    abandoned = serializers.IntegerField(help_text="Short abandons included.")
    short_abandoned = serializers.IntegerField(help_text="Abandoned after a wait shorter than the queue's threshold.")
    answered_within_threshold = serializers.IntegerField()
    service_level = serializers.FloatField(allow_null=True, help_text="Percent, by the queue's formula.")
    asa_s = serializers.FloatField(allow_null=True, help_text="Average speed of answer, seconds.")
    aht_s = serializers.FloatField(allow_null=True, help_text="Average handle time, seconds.")
    abandon_rate = serializers.FloatField(allow_null=True, help_text="Percent of offered.")
    max_wait_s = serializers.FloatField(
        allow_null=True,
        help_text="Longest wait of an answered contact, seconds (total row: of its synchronous queues, null "
        "without one).",
    )
    transferred_out = serializers.IntegerField(help_text="Left the queue by a transfer to another queue.")
    repeat_contacts = serializers.IntegerField(help_text="Same customer again within 7 days.")


class AsyncBlockSerializer(serializers.Serializer):
    queues = serializers.IntegerField(help_text="Asynchronous queues (e-mail, WhatsApp, social, letter, callback).")
    offered = serializers.IntegerField()
    answered = serializers.IntegerField()
    handled = serializers.IntegerField()
    answered_within_target = serializers.IntegerField(help_text="Answered within their queue's response target.")
    response_attainment = serializers.FloatField(
        allow_null=True, help_text="Percent: answered within the response target ÷ answered; null: none answered."
    )


class KindCountsSerializer(serializers.Serializer):
    queues = serializers.IntegerField()
    offered = serializers.IntegerField()
    answered = serializers.IntegerField()
    abandoned = serializers.IntegerField()
    handled = serializers.IntegerField()


class ByKindSerializer(serializers.Serializer):
    synchronous = KindCountsSerializer()
    asynchronous = KindCountsSerializer()


class ReportTotalSerializer(ReportRowSerializer):
    service_level = serializers.FloatField(
        allow_null=True,
        help_text="Percent, over the synchronous queues only (voice, chat, video, counter), by their common "
        "formula (the default when they differ); null when the scope has none.",
    )
    asa_s = serializers.FloatField(
        allow_null=True, help_text="Average speed of answer of the synchronous queues only, seconds; null without one."
    )
    aht_s = serializers.FloatField(allow_null=True, help_text="Average handle time of all queues, seconds.")
    abandon_rate = serializers.FloatField(allow_null=True, help_text="Percent of offered, all queues.")
    async_ = AsyncBlockSerializer(help_text="The asynchronous queues' own figures (never mixed into the waits above).")
    by_kind = ByKindSerializer(help_text="The counts split by kind of queue.")

    def get_fields(self):
        # ``async`` is a Python keyword: the field is declared as ``async_`` and named ``async``.
        fields = super().get_fields()
        fields["async"] = fields.pop("async_")
        return fields


class ReportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["daily", "weekly"])
    period = serializers.CharField(help_text="YYYY-MM-DD or YYYY-Www.")
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    start = serializers.DateTimeField(help_text="Local midnight starting the period, as an instant.")
    end = serializers.DateTimeField()
    time_zone = serializers.CharField()
    built_at = serializers.DateTimeField()
    stored = serializers.BooleanField(help_text="False: computed now (the period has no built report yet).")
    final = serializers.BooleanField(help_text="True once the 7 days after the period have passed.")
    until = serializers.DateTimeField(
        allow_null=True,
        help_text="A period still running (today, this week): its figures run up to this instant (the end of "
        "the last aggregated interval); null for a whole period.",
    )
    filters = serializers.DictField()
    rows = ReportRowSerializer(many=True)
    total = ReportTotalSerializer(
        help_text="Computed from the summed counts, never averaged percentages; waits (service level, ASA, "
        "longest wait) of the synchronous queues only, the asynchronous queues in `async`."
    )


class ImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="Contacts whose contact_id was imported before (unchanged).")
    rejected = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField(), help_text="{line, field, error} per bad row.")
    first_offered = serializers.DateTimeField(allow_null=True)
    last_offered = serializers.DateTimeField(allow_null=True)
    reaggregated = serializers.DictField()


FILTERS = [
    OpenApiParameter("queue", str, description="Only this queue (by name)."),
    OpenApiParameter("team", str, description="Only the queues of this team (by name)."),
    OpenApiParameter("channel", str, enum=Channel.values, description="Only the queues of this channel."),
]
ROW_DOC = (
    "One row per queue (every queue configured when the report was built, zeros included) and a total row, "
    f"with {', '.join(API_FIELDS)}. A contact counts in the period it was offered to the queue. Totals are "
    "computed from summed counts; the total's service level, ASA and longest wait are its synchronous queues' "
    "only (their common service-level formula, the default when they differ), its asynchronous queues' "
    "response-time attainment is in `total.async`."
)


def _scope(request) -> ReportFilter:
    p = request.query_params
    return ReportFilter(queue=p.get("queue") or None, team=p.get("team") or None, channel=p.get("channel") or None)


class _ReportView(APIView):
    permission_classes = [IsAuthenticated, SeesAll]
    kind = ""

    def first_day(self, request):
        raise NotImplementedError

    def get(self, request):
        try:
            return Response(report_api(kind=self.kind, first_day=self.first_day(request), scope=_scope(request)))
        except ReportQueryError as error:
            raise ParseError(str(error)) from None


class DailyReportView(_ReportView):
    kind = "daily"

    def first_day(self, request):
        return parse_day(request.query_params.get("date"))

    @extend_schema(
        operation_id="reports_daily",
        summary="Daily report per queue",
        description="The report of one local day. " + ROW_DOC,
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD"), *FILTERS],
        responses={200: ReportSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["reports"],
    )
    def get(self, request):
        return super().get(request)


class WeeklyReportView(_ReportView):
    kind = "weekly"

    def first_day(self, request):
        return parse_week(request.query_params.get("week"))

    @extend_schema(
        operation_id="reports_weekly",
        summary="Weekly report per queue",
        description="The report of one ISO week (Monday to Sunday, local time). " + ROW_DOC,
        parameters=[OpenApiParameter("week", str, required=True, description="YYYY-Www, e.g. 2026-W48"), *FILTERS],
        responses={200: ReportSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["reports"],
    )
    def get(self, request):
        return super().get(request)


class ContactImportView(APIView):
    permission_classes = [IsAuthenticated, CanImportContacts]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="contacts_import",
        summary="Upload contact records (CSV)",
        description=(
            "A CSV file (field `file`, UTF-8, comma or semicolon separated) with a header row and the columns "
            f"{', '.join(IMPORT_COLUMNS)}; times ISO-8601 with offset, empty when it did not happen. Idempotent "
            "on contact_id. Bad rows are listed with their line number and field; good rows are kept. The "
            "intervals the contacts touch are aggregated again. Managers and admins only.\n\n"
            "Status: 200 when every row was good, 207 when some were rejected, 400 when none could be imported."
        ),
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses={
            200: ImportResultSerializer,
            207: ImportResultSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
        tags=["reports"],
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ParseError("file: upload the CSV as the multipart field 'file'")
        if upload.size > MAX_UPLOAD_BYTES:
            raise ParseError(
                f"file: {upload.size} bytes is more than {MAX_UPLOAD_BYTES}; use manage.py import_contacts"
            )
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ParseError(f"file: not UTF-8 text ({error.reason} at byte {error.start})") from None
        try:
            result = contacts_import_csv(stream=io.StringIO(text, newline=None))
        except ImportFileError as error:
            raise ParseError(str(error)) from None
        body = result.as_dict()
        if result.error_count == 0:
            return Response(body)
        if result.imported or result.duplicates:
            return Response(body, status=status.HTTP_207_MULTI_STATUS)
        body["error"] = f"no row could be imported; {result.error_count} rejected (see errors for line and field)"
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
