"""WFM API: interval export, Erlang staffing, required against staffed, forecasts. Thin views: each
validates its input and calls one selector or service. WFM staff, managers and admins only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.core import erlang
from dashboard.core.api import ErrorSerializer
from dashboard.core.errors import FieldError
from dashboard.core.periods import check_day
from dashboard.core.permissions import CanUseWFM, HasRole, visible_team_ids
from dashboard.core.replica import iter_on_replica
from dashboard.wfm import adherence as wfm_adherence
from dashboard.wfm import intraday
from dashboard.wfm import selectors as wfm_selectors
from dashboard.wfm.models import IntervalExport
from dashboard.wfm.selectors import ExportQuery, StaffingQuery
from dashboard.wfm.services import export as wfm_export
from dashboard.wfm.services import forecast as forecast_service
from dashboard.wfm.services import schedule as schedule_service


class IgnoreFormatParameter(DefaultContentNegotiation):
    """``?format=`` names the export's file format here, not a DRF renderer: always answer JSON (errors)
    and let the view choose the file format itself."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class WfmAPIView(APIView):
    """Only WFM staff, managers and admins (supervisors get 403)."""

    content_negotiation_class = IgnoreFormatParameter
    permission_classes = [IsAuthenticated, CanUseWFM]


def _query(serializer_class, request, data=None) -> dict:
    serializer = serializer_class(data=request.query_params if data is None else data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _call(function, *args, **kwargs):
    """Run a selector or service; its FieldError becomes a 400 keyed by the field, like a serializer's
    errors, and any other ValueError (Erlang's limits) a 400 with its message."""
    try:
        return function(*args, **kwargs)
    except FieldError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


async def _async_chunks(chunks: Iterator[bytes]):
    """Serve a synchronous stream under ASGI chunk by chunk (Django would otherwise read it all into a
    list first): each chunk is produced in the request's sync thread, where its queries belong."""
    sentinel = object()
    next_chunk = sync_to_async(next, thread_sensitive=True)
    while True:
        chunk = await next_chunk(chunks, sentinel)
        if chunk is sentinel:
            return
        yield chunk


def _file_chunks(path: Path, *, remove: bool, block: int = 256 * 1024) -> Iterator[bytes]:
    try:
        with path.open("rb") as fh:
            while data := fh.read(block):
                yield data
    finally:
        if remove:
            path.unlink(missing_ok=True)


def streaming_response(request, chunks: Iterator[bytes], *, content_type: str, filename: str):
    raw = getattr(request, "_request", request)
    content = _async_chunks(chunks) if isinstance(raw, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class DayField(serializers.DateField):
    """A local day within the years reports, exports and forecasts work with (core.periods.check_day)."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        try:
            return check_day(day)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class FilterSerializer(serializers.Serializer):
    queue = serializers.CharField(required=False, allow_blank=True, help_text="A queue's name.")
    team = serializers.CharField(required=False, allow_blank=True, help_text="A team's name (its queues).")
    channel = serializers.CharField(required=False, allow_blank=True, help_text="A channel, e.g. voice, chat.")

    def validate(self, attrs):
        attrs = {k: (v or None) if k in ("queue", "team", "channel") else v for k, v in attrs.items()}
        try:
            wfm_selectors.check_filters(queue=attrs.get("queue"), team=attrs.get("team"), channel=attrs.get("channel"))
        except FieldError as exc:
            raise serializers.ValidationError({exc.field: exc.message}) from None
        return attrs


class RangeSerializer(FilterSerializer):
    start = DayField(help_text="First local day, YYYY-MM-DD.")
    end = DayField(help_text="Last local day, YYYY-MM-DD (inclusive: the whole day).")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "is before start"})
        if (attrs["end"] - attrs["start"]).days >= wfm_selectors.MAX_EXPORT_DAYS:
            raise serializers.ValidationError({"end": f"at most {wfm_selectors.MAX_EXPORT_DAYS} days"})
        return attrs


class ExportSerializer(RangeSerializer):
    length = serializers.ChoiceField(choices=[15, 30, 60], default=15, help_text="Interval length in minutes.")
    format = serializers.ChoiceField(choices=list(wfm_export.FORMATS), default="csv")

    def export_query(self) -> ExportQuery:
        d = self.validated_data
        return ExportQuery(
            first_day=d["start"],
            last_day=d["end"],
            length=int(d["length"]),
            queue=d.get("queue"),
            team=d.get("team"),
            channel=d.get("channel"),
        )


class StaffingParamsSerializer(serializers.Serializer):
    patience_s = serializers.FloatField(
        min_value=0.001, required=False, help_text="Mean patience (s): Erlang A instead of Erlang C."
    )
    max_occupancy = serializers.FloatField(min_value=0.01, max_value=1, default=1.0)
    shrinkage = serializers.FloatField(min_value=0, max_value=0.99, default=0.0)


def _export_response(request, kind: str, query: ExportQuery, fmt: str, batches):
    batches = iter_on_replica(batches)  # streamed after the view returned: each step reads the replica
    wfm_export.export_audit(kind=kind, query=query, fmt=fmt, user=request.user)
    name = wfm_export.export_file_name(kind, query, fmt)
    if fmt == "xlsx":
        path = wfm_export.export_xlsx_file(kind, batches)
        chunks = _file_chunks(path, remove=True)
    else:
        chunks = wfm_export.export_stream(kind, fmt, batches)
    return streaming_response(request, chunks, content_type=wfm_export.CONTENT_TYPES[fmt], filename=name)


_FILE = OpenApiResponse(OpenApiTypes.BINARY, description="The file (CSV, XLSX or JSON), as an attachment.")


class IntervalExportView(WfmAPIView):
    @extend_schema(
        operation_id="intervals_export",
        summary="Interval export: one row per queue per interval",
        description=(
            "Every field of the interval store per queue per interval of `length` minutes for the local "
            "days `start`–`end` (inclusive), with `service_level`, `asa_s`, `aht_s` and `abandon_rate` "
            "from the metrics module (percent and seconds). `interval_start` is local time with its UTC "
            "offset, `interval_start_utc` the same instant in UTC. Every interval of the range is there, "
            "zeros included, up to the last aggregated one. CSV (UTF-8, header row, comma, decimal point), "
            "`csv-nl` (CSV for Dutch Excel: UTF-8 with a byte-order mark, semicolon, decimal comma) and JSON "
            "are streamed a day at a time; XLSX has typed cells. Columns: docs/wfm.md."
        ),
        parameters=[ExportSerializer],
        responses={200: _FILE, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request):
        serializer = ExportSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = _call(serializer.export_query)
        fmt = serializer.validated_data["format"]
        return _export_response(request, "intervals", query, fmt, wfm_selectors.interval_export_batches(query))


class BackgroundExportSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IntervalExport
        fields = ["id", "status", "params", "rows_done", "rows_total", "progress", "error", "created_at",
                  "finished_at", "download_url"]  # fmt: skip

    def get_download_url(self, obj) -> str | None:
        if obj.status != IntervalExport.Status.DONE:
            return None
        return reverse("api-intervals-export-file", args=[obj.id])


class BackgroundExportCreateView(WfmAPIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="intervals_export_start",
        summary="Start a large interval export in the background",
        description="Same parameters as the interval export, in the body. Poll the returned export for progress.",
        request=ExportSerializer,
        responses={202: BackgroundExportSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["wfm"],
    )
    def post(self, request):
        serializer = ExportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        query = _call(serializer.export_query)
        export = _call(
            wfm_export.interval_export_create,
            user=request.user,
            query=query,
            fmt=serializer.validated_data["format"],
        )
        return Response(BackgroundExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


def _own_export(request, export_id) -> IntervalExport:
    export = IntervalExport.objects.filter(pk=export_id, user=request.user).first()
    if export is None:
        raise NotFound(f"export {export_id}: not found (exports are kept for a day, for the user who started them)")
    return export


class BackgroundExportView(WfmAPIView):
    @extend_schema(
        operation_id="intervals_export_status",
        summary="Progress of a background export",
        responses={200: BackgroundExportSerializer, 404: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request, export_id):
        return Response(BackgroundExportSerializer(_own_export(request, export_id)).data)


class BackgroundExportFileView(WfmAPIView):
    @extend_schema(
        operation_id="intervals_export_file",
        summary="Download a finished background export",
        responses={200: _FILE, 404: ErrorSerializer, 409: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request, export_id):
        export = _own_export(request, export_id)
        if export.status != IntervalExport.Status.DONE:
            return Response({"error": f"export {export.id}: not finished ({export.status})"}, status=409)
        path = wfm_export.export_dir() / export.file_name
        if not path.exists():
            raise NotFound(f"export {export.id}: its file was removed")
        fmt = export.params["format"]
        return streaming_response(
            request,
            _file_chunks(path, remove=False),
            content_type=wfm_export.CONTENT_TYPES[fmt],
            filename=wfm_export.interval_export_file_name(export),
        )


# --- Erlang ------------------------------------------------------------------------------------------


class ErlangQuerySerializer(serializers.Serializer):
    calls = serializers.FloatField(min_value=0, max_value=10_000_000, help_text="Contacts offered in the interval.")
    interval_s = serializers.IntegerField(
        min_value=1, max_value=86_400, default=900, help_text="Interval length in seconds (900 = 15 minutes)."
    )
    aht_s = serializers.FloatField(min_value=0.001, max_value=86_400, help_text="Average handle time in seconds.")
    target_sl = serializers.FloatField(
        min_value=0, max_value=1, default=0.8, help_text="Service-level target as a fraction, above 0 and below 1."
    )
    threshold_s = serializers.FloatField(
        min_value=0, max_value=86_400, default=20, help_text="Service-level threshold: answered within … seconds."
    )
    patience_s = serializers.FloatField(
        min_value=0.001,
        max_value=86_400,
        required=False,
        help_text="Mean patience in seconds: switches from Erlang C to Erlang A (callers abandon).",
    )
    shrinkage = serializers.FloatField(
        min_value=0, max_value=0.99, default=0.0, help_text="Fraction of scheduled time not available (0–0.99)."
    )
    max_occupancy = serializers.FloatField(
        min_value=0.01, max_value=1, default=1.0, help_text="Occupancy cap as a fraction (0.01–1)."
    )
    agents = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, help_text="Show the figures for this many agents."
    )

    def validate_target_sl(self, value):
        if not 0 < value < 1:
            raise serializers.ValidationError("must be above 0 and below 1 (a fraction: 0.8 = 80 %)")
        return value


_PERFORMANCE_FIELDS = {
    "agents": serializers.IntegerField(),
    "p_wait": serializers.FloatField(),
    "service_level": serializers.FloatField(),
    "asa_s": serializers.FloatField(allow_null=True),
    "occupancy": serializers.FloatField(allow_null=True),
    "p_abandon": serializers.FloatField(required=False, help_text="Erlang A only."),
}


class ErlangView(WfmAPIView):
    @extend_schema(
        operation_id="wfm_erlang",
        summary="Agents required for a service-level target (Erlang C or Erlang A)",
        description=(
            "Erlang C (callers wait as long as it takes), or Erlang A when `patience_s` is given (callers "
            "hang up after an exponentially distributed patience with that mean). `required_agents` is the "
            "least number of productive agents that reaches `target_sl` within `threshold_s` and keeps "
            "occupancy at or below `max_occupancy`; `scheduled_agents` = ⌈required ÷ (1 − shrinkage)⌉. The "
            "figures (`p_wait`, `service_level`, `asa_s`, `occupancy`, `p_abandon`) are for `agents` when "
            "given, else for the required number; `by_agents` lists them for a few agent counts around it. "
            "Service level, probabilities and occupancy are fractions 0–1. Service level = answered within "
            "the threshold ÷ offered (in Erlang A abandons count against it). See docs/wfm.md."
        ),
        parameters=[ErlangQuerySerializer],
        responses={
            200: inline_serializer(
                "ErlangResult",
                {
                    "model": serializers.ChoiceField(choices=["erlang_c", "erlang_a"]),
                    "traffic_erlangs": serializers.FloatField(),
                    "required_agents": serializers.IntegerField(),
                    "scheduled_agents": serializers.IntegerField(),
                    **_PERFORMANCE_FIELDS,
                    "by_agents": inline_serializer("ErlangPerformance", _PERFORMANCE_FIELDS, many=True),
                },
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
        tags=["wfm"],
    )
    def get(self, request):
        params = _query(ErlangQuerySerializer, request)
        try:
            return Response(erlang.staffing(**params))
        except ValueError as exc:
            raise ValidationError(str(exc))


# --- required against staffed --------------------------------------------------------------------------


class StaffingQuerySerializer(FilterSerializer, StaffingParamsSerializer):
    day = DayField(help_text="The local day, YYYY-MM-DD.")
    length = serializers.ChoiceField(choices=[15, 30, 60], default=15)
    tolerance = serializers.FloatField(
        min_value=0,
        max_value=0.99,
        default=0.1,
        help_text="Share of the required agents within which an interval is neither under- nor over-staffed.",
    )

    def staffing_query(self) -> StaffingQuery:
        d = self.validated_data
        return StaffingQuery(
            day=d["day"],
            queue=d.get("queue"),
            team=d.get("team"),
            length=int(d["length"]),
            patience_s=d.get("patience_s"),
            max_occupancy=d["max_occupancy"],
            tolerance=d["tolerance"],
        )


class StaffingView(WfmAPIView):
    @extend_schema(
        operation_id="wfm_staffing",
        summary="Required against staffed agents per interval of a day",
        description=(
            "For one queue or one team (give exactly one): per interval, the agents the work that actually "
            "came needed, next to the agents actually staffed from agent state time (`staffed_agents`: logged "
            "in; `productive_agents`: available, on contact or in after-call work; for a queue, its share of "
            "its team's). Synchronous queues (voice, chat, video, counter) need what an Erlang model (C, or A "
            "with `patience_s`) gives for their offered contacts and AHT pooled, at the strictest "
            "service-level target and threshold among them (`required_erlang`, `traffic_erlangs`). "
            "Asynchronous queues (e-mail, WhatsApp, social, letter, callback) need workload "
            "(`required_workload`, a fraction of an agent): the items arriving plus the `backlog` at the "
            "interval's start, times the AHT, spread over the queue's `response_target_s` (at least the "
            "interval), divided by `max_occupancy`, and 0 while the queue is closed. `required_agents` is "
            "the sum; `model` names what was used (`erlang_c`, `erlang_a`, `workload`, or e.g. "
            "`erlang_c+workload`); `service_level_target` (fraction) and `threshold_s` are null without "
            "synchronous queues. `mark` is `under`, `over` or empty. See docs/wfm.md."
        ),
        parameters=[StaffingQuerySerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request):
        serializer = StaffingQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = _call(serializer.staffing_query)
        return Response(_call(wfm_selectors.staffing_day, query))


# --- forecast -------------------------------------------------------------------------------------------


class CSVBodyParser(BaseParser):
    """A CSV sent as the body (``Content-Type: text/csv``): handed to the view as bytes. Without it DRF
    answers 415 as soon as anything reads the request's data, which the CSRF check of a logged-in
    browser session does."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read() if stream is not None else b""


class PlainTextBodyParser(CSVBodyParser):
    """The same CSV sent as ``text/plain`` (what a browser's fetch of a string sends by default)."""

    media_type = "text/plain"


class ForecastImportView(WfmAPIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser, CSVBodyParser, PlainTextBodyParser]

    @extend_schema(
        operation_id="wfm_forecast_import",
        summary="Import a forecast (CSV: queue, interval_start, offered, aht_s)",
        description=(
            "Upload the CSV as the multipart field `file`, or send it as the body with Content-Type "
            "`text/csv`. Good rows are imported (upsert per queue and interval: importing twice changes "
            "nothing); each bad row is reported with its line number and field. Status 200 when nothing "
            "was rejected, 207 when some rows were, 400 when none could be imported. Format: docs/wfm.md."
        ),
        request={
            "multipart/form-data": inline_serializer("ForecastUpload", {"file": serializers.FileField()}),
            "text/csv": OpenApiTypes.STR,
        },  # fmt: skip
        responses={
            200: inline_serializer(
                "ForecastImportResult",
                {
                    "lines": serializers.IntegerField(),
                    "imported": serializers.IntegerField(),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "rejected": serializers.IntegerField(),
                    "errors": inline_serializer(
                        "ForecastImportError",
                        {"line": serializers.IntegerField(), "error": serializers.CharField()},
                        many=True,
                    ),
                },
            ),
            207: OpenApiResponse(description="Some rows rejected (same body)."),
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
        tags=["wfm"],
    )
    def post(self, request):
        if request.content_type.startswith(("text/csv", "text/plain")):
            data = request.data or b""  # the body, as bytes (CSVBodyParser)
        else:
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationError("file: upload the CSV as the multipart field 'file' or send it as text/csv")
            data = upload.read()
        if len(data) > 50 * 1024 * 1024:
            raise ValidationError("file: larger than 50 MB; split it")
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"file: not UTF-8 (byte {exc.start}); save the CSV as UTF-8")
        result = forecast_service.forecast_import(data=data).as_dict()
        if result["rejected"] == 0 and result["imported"] > 0:
            code = status.HTTP_200_OK
        elif result["imported"] == 0:
            code = status.HTTP_400_BAD_REQUEST
            result["error"] = (
                f"no row imported; {result['rejected']} rejected (see errors for each line)"
                if result["rejected"]
                else "file: no rows"
            )
        else:
            code = status.HTTP_207_MULTI_STATUS
        return Response(result, status=code)


class ForecastBuildSerializer(RangeSerializer):
    weeks = serializers.IntegerField(
        min_value=1, max_value=forecast_service.MAX_WEEKS, default=forecast_service.DEFAULT_WEEKS
    )
    weights = serializers.ListField(
        child=serializers.FloatField(min_value=0), required=False, help_text="One per week, most recent first."
    )


class ForecastBuildView(WfmAPIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="wfm_forecast_build",
        summary="Build the forecast from history",
        description=(
            "For every selected queue and local day `start`–`end`: per quarter-hour, the same weekday's "
            "quarter-hour over the last `weeks` weeks, weighted (`weights`, most recent first; default "
            "weeks, weeks − 1, …, 1), with the calendar's event factors divided out of history and multiplied "
            "into the forecast day. Replaces the forecast of those queue-days. A queue-day with fewer history "
            "weeks in the interval store than asked is built from those it has and listed in `short_history` "
            "with the weeks found; one with none is listed in `without_history` and left alone. See docs/wfm.md."
        ),
        request=ForecastBuildSerializer,
        responses={
            200: inline_serializer(
                "ForecastBuildResult",
                {
                    "days": serializers.IntegerField(),
                    "rows": serializers.IntegerField(),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "weeks": serializers.IntegerField(help_text="Weeks of history asked for (weighted above 0)."),
                    "without_history": serializers.ListField(
                        child=serializers.DictField(), help_text="{queue, day}: no history at all; not built."
                    ),
                    "short_history": serializers.ListField(
                        child=serializers.DictField(),
                        help_text="{queue, day, weeks_found, history_days}: built from fewer weeks than asked.",
                    ),
                },
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
        tags=["wfm"],
    )
    def post(self, request):
        p = _query(ForecastBuildSerializer, request, data=request.data)
        result = _call(
            forecast_service.forecast_build,
            first_day=p["start"],
            last_day=p["end"],
            queue=p.get("queue"),
            team=p.get("team"),
            channel=p.get("channel"),
            weeks=p["weeks"],
            weights=p.get("weights"),
        )
        return Response(result.as_dict())


class ForecastDaySerializer(StaffingParamsSerializer):
    day = DayField()
    queue = serializers.CharField()


class ForecastDayView(WfmAPIView):
    @extend_schema(
        operation_id="wfm_forecast_day",
        summary="A queue's forecast against actual for a day",
        description=(
            "Per 15-minute interval: forecast and actual offered and AHT, agents required for the forecast "
            "(and scheduled after `shrinkage`) and for the actual volume; the day's WAPE and bias (percent)."
        ),
        parameters=[ForecastDaySerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request):
        p = _query(ForecastDaySerializer, request)
        return Response(
            _call(
                wfm_selectors.forecast_day,
                day=p["day"],
                queue=p["queue"],
                patience_s=p.get("patience_s"),
                max_occupancy=p["max_occupancy"],
                shrinkage=p["shrinkage"],
            )
        )


class ForecastAccuracyView(WfmAPIView):
    @extend_schema(
        operation_id="wfm_forecast_accuracy",
        summary="Forecast accuracy per queue per day (WAPE and bias)",
        parameters=[RangeSerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request):
        p = _query(RangeSerializer, request)
        rows = _call(
            wfm_selectors.forecast_accuracy,
            first_day=p["start"],
            last_day=p["end"],
            queue=p.get("queue"),
            team=p.get("team"),
            channel=p.get("channel"),
        )
        return Response({"days": rows})


class ForecastExportSerializer(ExportSerializer, StaffingParamsSerializer):
    pass


class ForecastExportView(WfmAPIView):
    @extend_schema(
        operation_id="wfm_forecast_export",
        summary="Export the forecast and the agents it requires",
        description=(
            "In the interval export's format (same time columns, lengths and file formats): per queue per "
            "interval the forecast offered and AHT, traffic, required agents (Erlang C, or A with "
            "`patience_s`, at the queue's target and threshold, capped by `max_occupancy`) and scheduled "
            "agents after `shrinkage`."
        ),
        parameters=[ForecastExportSerializer],
        responses={200: _FILE, 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request):
        serializer = ForecastExportSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        p = serializer.validated_data
        query = _call(serializer.export_query)
        batches = wfm_selectors.forecast_export_batches(
            query, patience_s=p.get("patience_s"), max_occupancy=p["max_occupancy"], shrinkage=p["shrinkage"]
        )
        return _export_response(request, "forecast", query, p["format"], batches)


class IntradaySerializer(serializers.Serializer):
    queue = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1, help_text="A queue's id.")
    team = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="A team's id (its queues)."
    )
    channel = serializers.CharField(required=False, help_text="A channel, e.g. voice, chat (its queues).")
    date = DayField(required=False, help_text="A local day (YYYY-MM-DD); default today in the centre's time zone.")


class IntradayView(APIView):
    """WFM staff, managers and admins: any scope; supervisors: their own teams and their queues (the
    supervisor view's intraday panel)."""

    content_negotiation_class = IgnoreFormatParameter
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="wfm_intraday",
        summary="Today's forecast against actual, live, with the rest of the day reforecast",
        description=(
            "One of `queue` (id), `team` (id) or `channel`; `date` defaults to today (Europe/Amsterdam). One row "
            "per quarter-hour of the day `[start, end)` (92 or 100 on a DST day): `forecast_offered`, "
            "`actual_offered` (today: from the live state, up to the minute), `forecast_aht_s`, `actual_aht_s`, "
            "`deviation_pct` (closed intervals only), `reforecast_offered` (open and future intervals: the "
            "forecast × a damped ratio of actual to forecast over the last closed intervals; `reforecast` says "
            "the method and its factors), `required_agents` (Erlang C/A for synchronous queues, workload for "
            "asynchronous ones; on the actual for closed intervals, on the reforecast ahead), `staffed_agents` "
            "(logged in: the interval store for closed intervals, the live state for the open one). Also "
            "`alerts` (volume above forecast for several intervals: an unannounced campaign?) and "
            "`staffing_gap` (the next four intervals against the agents logged in now). `scheduled_agents`: the "
            "agents of the scope's teams scheduled to work in the interval (shift time, not breaks; average over "
            "the interval), from the imported schedule. Supervisors may ask for their own teams and their "
            "queues only (403 otherwise, and for a channel)."
        ),
        parameters=[IntradaySerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request):
        p = _query(IntradaySerializer, request)
        try:
            return Response(
                _call(
                    intraday.intraday_day,
                    day=p.get("date"),
                    queue=p.get("queue"),
                    team=p.get("team"),
                    channel=p.get("channel"),
                    team_ids=visible_team_ids(request.user),
                )
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from None


# --- schedules and adherence ------------------------------------------------------------------------------


def _upload(request) -> bytes:
    """The CSV of an upload: the multipart field ``file``, or the body as text/csv (text/plain)."""
    if request.content_type.startswith(("text/csv", "text/plain")):
        data = request.data or b""
    else:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["upload the CSV as the multipart field 'file' or send it as text/csv"]})
        data = upload.read()
    if len(data) > 50 * 1024 * 1024:
        raise ValidationError({"file": ["larger than 50 MB; split it"]})
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": [f"not UTF-8 (byte {exc.start}); save the CSV as UTF-8"]}) from None
    return data


class ScheduleImportView(WfmAPIView):
    parser_classes = [MultiPartParser, FormParser, CSVBodyParser, PlainTextBodyParser]

    @extend_schema(
        operation_id="wfm_schedule_import",
        summary="Import schedules (CSV: agent, start, end, activity)",
        description=(
            "Upload the CSV as the multipart field `file`, or send it as the body with Content-Type `text/csv`. "
            "`agent`: the agent's login id; `start`, `end`: ISO 8601 with offset, or local time in the centre's "
            "time zone; `activity`: shift, break, lunch, meeting, training, off, or one added in the admin. "
            "Re-importing replaces, for each agent in the file, the entries starting within the file's period "
            "(earliest start to latest end). Good lines are imported; each bad line is reported with its line "
            "number and field. Status 200 when nothing was rejected, 207 when some lines were, 400 when none "
            "could be imported. Format: docs/wfm.md."
        ),
        request={
            "multipart/form-data": inline_serializer("ScheduleUpload", {"file": serializers.FileField()}),
            "text/csv": OpenApiTypes.STR,
        },  # fmt: skip
        responses={
            200: inline_serializer(
                "ScheduleImportResult",
                {
                    "lines": serializers.IntegerField(),
                    "imported": serializers.IntegerField(),
                    "replaced": serializers.IntegerField(),
                    "rejected": serializers.IntegerField(),
                    "agents": serializers.IntegerField(),
                    "period": serializers.DictField(allow_null=True),
                    "errors": inline_serializer(
                        "ScheduleImportError",
                        {
                            "line": serializers.IntegerField(),
                            "field": serializers.CharField(),
                            "error": serializers.CharField(),
                        },
                        many=True,
                    ),
                },
            ),
            207: OpenApiResponse(description="Some lines rejected (same body)."),
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
        tags=["wfm"],
    )
    def post(self, request):
        result = schedule_service.schedule_import(data=_upload(request), user=request.user).as_dict()
        if result["rejected"] == 0 and result["imported"] > 0:
            code = status.HTTP_200_OK
        elif result["imported"] == 0:
            code = status.HTTP_400_BAD_REQUEST
            first = result["errors"][0] if result["errors"] else None
            result["error"] = (
                f"no line imported; {result['rejected']} rejected, the first: line {first['line']}: {first['error']}"
                if first
                else "file: no lines"
            )
        else:
            code = status.HTTP_207_MULTI_STATUS
        return Response(result, status=code)


class AdherenceSerializer(serializers.Serializer):
    date = DayField(required=False, help_text="A local day (YYYY-MM-DD); default today in the centre's time zone.")
    team = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="A team's id; default every team you may see."
    )


class AdherenceView(APIView):
    """Supervisors (their own teams), managers, WFM staff and admins: as the supervisor view."""

    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="wfm_adherence",
        summary="Schedule adherence per scheduled agent, today live",
        description=(
            "Per agent with working or away time scheduled on the local `date` (default today) in `team` (an "
            "id; default every team you may see): `planned_activity` and `actual_state` now (today: the "
            "schedule at this moment and the live state), `in_adherence` now (null when nothing is scheduled "
            "now), `adherence_pct` — scheduled minutes in which the actual state matched the plan over the "
            "scheduled minutes so far (a shift is kept by available, on contact or after-call work; break, "
            "lunch, meeting and training by paused or logged out) — `minutes_out`, `conformance_pct` (worked ÷ "
            "scheduled working time), `out_for_min` (the current stretch out of adherence) and `marked` "
            "(out for more than `mark_after_min`). See docs/wfm.md."
        ),
        parameters=[AdherenceSerializer],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 400: ErrorSerializer, 403: ErrorSerializer},
        tags=["wfm"],
    )
    def get(self, request):
        p = _query(AdherenceSerializer, request)
        try:
            return Response(
                _call(
                    wfm_adherence.adherence_day,
                    day=p.get("date"),
                    team=p.get("team"),
                    team_ids=visible_team_ids(request.user),
                )
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from None
