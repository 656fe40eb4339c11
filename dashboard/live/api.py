"""The live API: the snapshot and the acknowledgement of alerts (thin adapters)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.core.api import ErrorSerializer
from dashboard.core.permissions import HasRole, visible_team_ids
from dashboard.live.alerts import AlertError, alert_acknowledge
from dashboard.live.selectors import live_snapshot, queue_scope_live


class LiveView(APIView):
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="live_snapshot",
        summary="The live snapshot per queue, team and channel",
        description=(
            "Current contacts waiting and longest wait, agents by state, and the counters and KPIs of today "
            "(since local midnight) and of the last 30 minutes, each computed by the metrics module. "
            "Supervisors see their teams' queues and teams only; managers, WFM and admins see everything, "
            "including the channel and centre totals (`channels`, `all`). A total (a team, a channel, `all`) never "
            "mixes waiting times of different kinds: its `waiting`, `longest_wait_s` and the `service_level` "
            "and `asa_s` of `today` and `last_30m` are those of its synchronous queues only (voice, chat, video, "
            "counter; null when it has none, `synchronous: false`). Its asynchronous queues (e-mail, WhatsApp, "
            "social, letter, callback) are its `async` block: `queues`, `backlog` (items waiting), `oldest_at` "
            "and `oldest_s` (the oldest item), `offered`, `answered`, `handled` today, `answered_within_target` "
            "and `response_attainment` (percent answered within their queue's response target today) and "
            "`status` (the worst of its queues' oldest item against their response target). Counts (`offered`, "
            "`answered`, `abandoned`, `handled`) are summed over both kinds, with `today.by_kind` splitting "
            "them; `aht_s` and `abandon_rate` are over all queues. A queue's own figures are its own."
        ),
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The snapshot."), 403: ErrorSerializer},
        tags=["live"],
    )
    def get(self, request):
        return Response(live_snapshot(team_ids=visible_team_ids(request.user)))


class AlertAckView(APIView):
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="alert_acknowledge",
        summary="Acknowledge an alert",
        description="One supervisor acknowledges; every supervisor of the team sees who did, live.",
        request=None,
        responses={200: OpenApiTypes.OBJECT, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
        tags=["live"],
    )
    def post(self, request, pk: int):
        try:
            alert = alert_acknowledge(alert_id=pk, user=request.user)
        except AlertError as error:
            return Response({"error": str(error)}, status=error.status)
        return Response(
            {"id": alert.id, "acknowledged_by": request.user.get_username(), "acknowledged_at": alert.acknowledged_at}
        )


class EwtQuerySerializer(serializers.Serializer):
    queue = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The queue's id.")


class EwtView(APIView):
    permission_classes = [IsAuthenticated, HasRole]

    @extend_schema(
        operation_id="live_expected_wait",
        summary="Expected wait of a contact that would join a queue now",
        description=(
            "For an IVR announcement or a callback offer. `ewt_s`: the expected wait in seconds of a contact "
            "joining the queue now (null when it cannot be said), and `method`: `agent_free` (more agents idle "
            "than contacts waiting: 0), `position` (the contacts ahead and itself, answered as the staffed agents "
            "finish: `(waiting − available + 1) × AHT ÷ staffed`), `erlang_c` (the queue is in equilibrium and "
            "Erlang C's wait for an arrival is the larger), `no_agents` (nobody staffed), `no_aht` (nothing "
            "handled today yet). With the inputs used: contacts waiting, agents available and staffed "
            "(available, on a contact or in after-call work, by skill), today's AHT and the arrival rate of "
            "the last 30 minutes. The same figure is on the wallboard tile. Only for queues where the customer "
            "waits on the line (voice, chat, video, counter)."
        ),
        parameters=[EwtQuerySerializer],
        responses={200: OpenApiTypes.OBJECT, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        tags=["live"],
    )
    def get(self, request):
        query = EwtQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        queue_id = query.validated_data["queue"]
        scope = queue_scope_live(queue_id=queue_id, team_ids=visible_team_ids(request.user))
        if scope is None:
            return Response({"error": f"queue: no queue {queue_id} that you may see"}, status=404)
        if not scope["synchronous"]:
            return Response(
                {"error": f"queue: {scope['name']} is asynchronous ({scope['channel']}): nobody waits on the line, "
                 "its expected response is its backlog against the response target"},
                status=400,
            )  # fmt: skip
        agents = scope["agents"]
        return Response(
            {
                "queue": {"id": scope["id"], "name": scope["name"]},
                "ewt_s": scope["ewt_s"],
                "method": scope["ewt_method"],
                "waiting": scope["waiting"],
                "agents_available": agents["available"],
                "agents_staffed": agents["available"] + agents["on_contact"] + agents["acw"],
                "aht_s": scope["today"]["aht_s"],
                "offered_last_30m": scope["last_30m"]["offered"],
                "generated_at": scope["generated_at"],
            }
        )
