"""The live API: the snapshot and the acknowledgement of alerts (thin adapters)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.core.api import ErrorSerializer
from dashboard.core.permissions import HasRole, visible_team_ids
from dashboard.live.alerts import AlertError, alert_acknowledge
from dashboard.live.selectors import live_snapshot


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
