"""The drill-downs of the live pages: the lists behind a tile's figures (thin adapters over
``dashboard.live.drilldown``). Scoped like the wallboard: a supervisor sees their teams' queues only, and
a queue or team they may not see is answered as if it did not exist (404)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.core.api import ErrorSerializer
from dashboard.core.models import Channel
from dashboard.core.periods import centre_tz
from dashboard.core.permissions import HasRole, visible_team_ids
from dashboard.live.drilldown import (
    MAX_ROWS,
    Filters,
    abandoned_not_called_back,
    callbacks_at_risk,
    drilldown_queues,
    interval_contacts,
    waiting_contacts,
)

ID = {"min_value": 1, "max_value": 2**31 - 1}
MAX_SPAN = timedelta(days=1)
MAX_CALLBACK_MINUTES = 24 * 60
RESPONSES = {
    200: OpenApiResponse(OpenApiTypes.OBJECT, description="The list, capped (`count`, `truncated`)."),
    400: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
}


class ScopeQuerySerializer(serializers.Serializer):
    queue = serializers.IntegerField(required=False, **ID, help_text="Only this queue (its id).")
    team = serializers.IntegerField(required=False, **ID, help_text="Only this team's queues (its id).")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, help_text="Only this channel's queues.")
    limit = serializers.IntegerField(
        required=False, default=100, min_value=1, max_value=MAX_ROWS, help_text="List at most this many (1–1000)."
    )

    def filters(self) -> Filters:
        data = self.validated_data
        return Filters(queue_id=data.get("queue"), team_id=data.get("team"), channel=data.get("channel"))


class CallbacksQuerySerializer(ScopeQuerySerializer):
    minutes = serializers.IntegerField(
        required=False,
        default=15,
        min_value=1,
        max_value=MAX_CALLBACK_MINUTES,
        help_text="Promised within this many minutes from now (1–1440, default 15).",
    )
    overdue = serializers.BooleanField(
        required=False, default=True, help_text="Also those whose promised time has passed (default true)."
    )


def _queues_or_404(request, query: ScopeQuerySerializer):
    filters = query.filters()
    queues = drilldown_queues(team_ids=visible_team_ids(request.user), filters=filters)
    if queues is not None:
        return queues, None
    name, value = ("queue", filters.queue_id) if filters.queue_id is not None else ("team", filters.team_id)
    return None, Response({"error": f"{name}: no {name} {value} that you may see"}, status=404)


def _scoped_list(request, serializer_class, read):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    queues, missing = _queues_or_404(request, query)
    if missing is not None:
        return missing
    return Response(read(queues, query.validated_data, timezone.now()))


SCOPE_NOTE = (
    " Of the queues the user may see (a supervisor: their teams'), narrowed by `queue`, `team` or `channel`; "
    "a queue or team one may not see answers 404. At most `limit` rows: `count` says how many there are, "
    "`truncated` whether some were left out. Times in the centre's time zone (`time_zone`), with offset."
)


class WaitingView(APIView):
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="live_waiting_contacts",
        summary="The contacts waiting now, longest wait first",
        description=(
            "Behind a tile's Waiting figure: each contact waiting now with its queue, `customer_ref` (empty when "
            "the source sent none), `offered_at` and `wait_s` (the wait so far). From the live state (the "
            "figures' own source); from the database while it is being rebuilt." + SCOPE_NOTE
        ),
        parameters=[ScopeQuerySerializer],
        responses=RESPONSES,
        tags=["live"],
    )
    def get(self, request):
        return _scoped_list(
            request,
            ScopeQuerySerializer,
            lambda queues, data, now: waiting_contacts(queues=queues, limit=data["limit"], now=now),
        )


class AbandonedView(APIView):
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="live_abandoned_not_called_back",
        summary="Today's abandoned callers not yet called back",
        description=(
            "Behind a tile's Abandoned figure: the contacts abandoned today (since midnight in the centre's "
            "time zone) whose customer has not been called back, earliest abandon first, with `customer_ref`, "
            "`wait_s` and `short_abandon`. Called back: a later contact of the same `customer_ref` was answered "
            "(the customer called again and was answered, or an outbound callback reached them; later as repeat "
            "contacts are ordered), or the abandoned contact's own callback was made. Callers without a "
            "`customer_ref` cannot be matched: they are counted in `anonymous`, not listed." + SCOPE_NOTE
        ),
        parameters=[ScopeQuerySerializer],
        responses=RESPONSES,
        tags=["live"],
    )
    def get(self, request):
        return _scoped_list(
            request,
            ScopeQuerySerializer,
            lambda queues, data, now: abandoned_not_called_back(queues=queues, limit=data["limit"], now=now),
        )


class CallbacksView(APIView):
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="live_callbacks_at_risk",
        summary="Callbacks at risk: promised within the next minutes and not made",
        description=(
            "Behind a tile's callbacks line: callbacks promised (`promised_by`) within the next `minutes` (15 by "
            "default) and not made yet, soonest first, with `customer_ref`, `requested_at`, `left_s` (seconds "
            "until the promised time, negative once passed) and `overdue`; with `overdue=false` only those "
            "still due. From the live state; from the database while it is being rebuilt." + SCOPE_NOTE
        ),
        parameters=[CallbacksQuerySerializer],
        responses=RESPONSES,
        tags=["live"],
    )
    def get(self, request):
        return _scoped_list(
            request,
            CallbacksQuerySerializer,
            lambda queues, data, now: callbacks_at_risk(
                queues=queues, within_min=data["minutes"], overdue=data["overdue"], limit=data["limit"], now=now
            ),
        )


class InstantField(serializers.DateTimeField):
    """An ISO 8601 instant; one so near the calendar's ends that the centre's offset takes it past them
    (0001-01-01 in Amsterdam) is out of range, not a server error."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:
            raise serializers.ValidationError("out of range") from None


class IntervalQuerySerializer(serializers.Serializer):
    queue = serializers.IntegerField(**ID, help_text="The queue's id.")
    start = InstantField(
        required=False, help_text="From this instant (ISO 8601; without an offset: the centre's time)."
    )
    end = InstantField(required=False, help_text="Up to this instant, not included (at most 1 day on).")
    interval = InstantField(
        required=False, help_text="Or: the start of an interval of `length` minutes (on its boundary)."
    )
    length = serializers.ChoiceField(
        choices=[15, 30], required=False, help_text="The interval's length in minutes with `interval` (default 15)."
    )
    limit = serializers.IntegerField(
        required=False, default=500, min_value=1, max_value=MAX_ROWS, help_text="List at most this many (1–1000)."
    )

    def validate(self, attrs):
        if "interval" in attrs:
            for other in ("start", "end"):
                if other in attrs:
                    raise serializers.ValidationError({other: "give either interval (and length) or start and end"})
            length = int(attrs.get("length") or 15)
            start = attrs["interval"]
            local = start.astimezone(centre_tz())
            if local.minute % length or local.second or local.microsecond:
                raise serializers.ValidationError(
                    {"interval": f"must start on a {length}-minute boundary (e.g. 10:00, 10:{length})"}
                )
            end = self._shift(start, timedelta(minutes=length), "interval")
        else:
            if "length" in attrs:
                raise serializers.ValidationError({"length": "goes with interval, not with start and end"})
            for needed in ("start", "end"):
                if needed not in attrs:
                    raise serializers.ValidationError({needed: "required (or give interval and length)"})
            start, end = attrs["start"], attrs["end"]
            if end <= start:
                raise serializers.ValidationError({"end": "must be after start"})
            if self._shift(start, MAX_SPAN, "start") < end:
                raise serializers.ValidationError({"end": "at most 1 day after start"})
        attrs["range"] = (start, end)
        return attrs

    @staticmethod
    def _shift(at, by, field):
        try:
            return at + by
        except OverflowError:
            raise serializers.ValidationError({field: "out of range"}) from None


class IntervalContactsView(APIView):
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="drilldown_interval_contacts",
        summary="A queue's contacts in an interval",
        description=(
            "The contacts offered to a queue in `[start, end)` — or in the interval of `length` (15 or 30) "
            "minutes starting at `interval` — in the order offered: `offered_at`, `answered_at`, `abandoned_at`, "
            "`wait_s`, `talk_s`, `agent`, `outcome` (`answered`, `abandoned`, `transferred`, `waiting`, `ended`) "
            "and `short_abandon`. The contacts the interval's figures count. At most `limit` rows (`count`, "
            "`truncated`); a queue one may not see answers 404. Times in the centre's time zone, with offset."
        ),
        parameters=[IntervalQuerySerializer],
        responses=RESPONSES,
        tags=["live"],
    )
    def get(self, request):
        query = IntervalQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        queues = drilldown_queues(team_ids=visible_team_ids(request.user), filters=Filters(queue_id=data["queue"]))
        if not queues:
            return Response({"error": f"queue: no queue {data['queue']} that you may see"}, status=404)
        start, end = data["range"]
        return Response(
            interval_contacts(queue=queues[0], start=start, end=end, limit=data["limit"], now=timezone.now())
        )
