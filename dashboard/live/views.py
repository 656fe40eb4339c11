"""The live pages: the wallboard (also for wall screens with a display token) and the supervisor view.
The figures arrive over the websocket; these views only decide who may see which scope."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dashboard.core.models import Channel, Queue, Team
from dashboard.core.permissions import SUPERVISOR, WFM_ROLES, has_any_role, user_roles, visible_team_ids
from dashboard.live.middleware import DISPLAY_COOKIE, display_for_token, set_display_cookie
from dashboard.live.models import MAX_TILES_PER_PAGE
from dashboard.live.publisher import HEARTBEAT_S
from dashboard.live.scopes import ScopeError, display_allows, parse_scope, scope_allowed
from dashboard.live.selectors import live_snapshot

STALE_AFTER_S = 3 * HEARTBEAT_S  # every scope hears from the publisher at least every HEARTBEAT_S
# A kiosk opened by a person (no wall-screen token): every KPI and queue, pages of what fits.
KIOSK_LAYOUT = {"kpis": [], "queues": [], "tiles_per_page": MAX_TILES_PER_PAGE, "page_seconds": 15}


def _labels() -> dict:
    """Every word the live pages' scripts show, translated on the server."""
    return {
        "waiting": _("Waiting"),
        "backlog": _("Backlog"),
        "longest_wait": _("Longest wait"),
        "ewt": _("expected wait"),
        # How the expected wait was found, under the figure (dashboard.core.erlang.expected_wait).
        "ewt_methods": {
            "agent_free": _("agent free"),
            "erlang_c": _("Erlang C"),
            "position": _("by position"),
            "no_agents": _("nobody staffed"),
            "no_aht": _("no AHT yet"),
        },
        "oldest_item": _("Oldest item"),
        "of_target": _("of target"),
        "service_level": _("Service level"),
        "today": _("today"),
        "last_30m": _("last 30 min"),
        "target": _("target"),
        "asa": _("ASA"),
        "aht": _("AHT"),
        "abandon_rate": _("Abandoned"),
        "offered": _("Offered"),
        "answered": _("Answered"),
        "handled": _("Handled"),
        "available": _("Available"),
        "on_contact": _("On contact"),
        "acw": _("After-call work"),
        "paused": _("Paused"),
        "logged_out": _("Logged out"),
        # A queue's (and a channel's) agents are those skilled on it: said on its tile, so that the
        # queues of a team adding up to more agents than the team has is no surprise.
        "agents_by_skill": _("agents with this skill"),
        "agents_by_channel_skill": _("agents with a skill in this channel"),
        # A wall screen says it once in its heading instead of on every tile (no room, no mouse to hover).
        "agents_by_skill_board": _("Queue tiles count the agents with the queue's skill"),
        "agents_by_skill_help": _(
            "Agents skilled on this queue, whichever queue their current contact is from: an agent with "
            "several skills counts on each of those queues, so the queues of a team add up to more agents "
            "than the team has."
        ),
        "callbacks_due": _("Callbacks due"),
        "callbacks_overdue": _("overdue"),
        "connection_lost": _("Connection lost — figures are %(s)s s old. Reconnecting…"),
        "stale": _("No update for %(s)s s — resynchronising…"),
        # Not a label: after how long without a message or heartbeat the page calls itself stale.
        "stale_after_s": STALE_AFTER_S,
        "connecting": _("Connecting…"),
        "forbidden": _("You may not see this scope."),
        "unauthenticated": _("Not logged in, or the display token is not valid."),
        "agent": _("Agent"),
        "state": _("State"),
        "time_in_state": _("Time in state"),
        "contact": _("Current contact"),
        "handled_today": _("Handled today"),
        "aht_today": _("AHT today"),
        "queue": _("Queue"),
        "acknowledge": _("Acknowledge"),
        "acknowledged_by": _("acknowledged by %(user)s"),
        "cleared": _("recovered"),
        "no_alerts": _("No alerts."),
        "kpi": {
            "service_level": _("Service level"),
            "asa": _("ASA"),
            "aht": _("AHT"),
            "abandon_rate": _("Abandon rate"),
            "waiting": _("Contacts waiting"),
            "longest_wait": _("Longest wait"),
            "occupancy": _("Occupancy"),
            "agents_available": _("Agents available"),
            "callbacks_overdue": _("Callbacks overdue"),
            "response_target": _("Response target"),
        },
        "chart_offered": _("Offered"),
        "chart_answered": _("Answered"),
        "chart_sl": _("Service level (%)"),
        "chart_target": _("Target (%)"),
        "empty": _("—"),
        "whole_centre": _("Whole centre"),
        "warning": _("warning"),
        "critical": _("critical"),
        "total": _("Total"),
        "async_block": _("Asynchronous (e-mail, WhatsApp, social, letter)"),
        "response_attainment": _("Answered within response target"),
        "closed": _("Closed"),
        "opens_at": _("opens %(when)s"),
        "not_planned": _("no opening planned"),
        "page_of": _("page %(n)s of %(of)s"),
        # The lists behind the figures (dashboard/live/api_drilldown.py).
        "drill": {
            "open": _("click for the list"),
            "close": _("Close"),
            "loading": _("Loading…"),
            "failed": _("The list could not be loaded."),
            "none": _("None."),
            "count": _("%(n)s in all"),
            "truncated": _("the first %(n)s of %(of)s"),
            "anonymous": _("unknown"),
            "anonymous_count": _("%(n)s more without a customer reference"),
            "within": _("promised within the next %(n)s minutes, and overdue"),
            "overdue_by": _("overdue %(d)s"),
            "short_abandon": _("short abandon"),
            "earlier": _("← earlier"),
            "later": _("later →"),
            "titles": {
                "waiting": _("Waiting now"),
                "abandoned": _("Abandoned today, not called back"),
                "callbacks": _("Callbacks at risk"),
                "interval": _("Contacts"),
            },
            "columns": {
                "contact": _("Contact"),
                "customer": _("Customer"),
                "queue": _("Queue"),
                "offered_at": _("Offered"),
                "answered_at": _("Answered"),
                "abandoned_at": _("Abandoned"),
                "requested_at": _("Requested"),
                "promised_by": _("Callback promised by"),
                "left": _("Time left"),
                "wait": _("Wait"),
                "talk": _("Talk"),
                "agent": _("Agent"),
                "outcome": _("Outcome"),
            },
            "outcomes": {
                "answered": _("answered"),
                "abandoned": _("abandoned"),
                "transferred": _("transferred"),
                "waiting": _("waiting"),
                "ended": _("ended unanswered"),
            },
        },
    }


def _adherence_labels() -> dict:
    """The words of the supervisor view's adherence panel (static/js/adherence.js)."""
    return {
        "activities": {
            "shift": _("Shift"),
            "break": _("Break"),
            "lunch": _("Lunch"),
            "meeting": _("Meeting"),
            "training": _("Training"),
            "off": _("Off"),
        },
        "states": {
            "available": _("Available"),
            "on_contact": _("On contact"),
            "acw": _("After-call work"),
            "paused": _("Paused"),
            "logged_out": _("Logged out"),
        },
        "yes": _("yes"),
        "no": _("no"),
        "none": _("—"),
        "minutes": _("%(n)s min"),
        "mark": _("out > %(n)s min"),
        "mark_help": _("Out of adherence for more than %(n)s minutes"),
        "summary": _("Adherence so far today: %(pct)s; %(out)s minutes out of adherence; %(marked)s agent(s) marked."),
        "failed": _("Adherence could not be loaded."),
        "mark_after_min": settings.KCC_ADHERENCE_MARK_MIN,
    }


def _intraday_labels() -> dict:
    """The words of the supervisor view's intraday panel (static/js/intraday-panel.js); the figures are
    ``GET /api/v1/wfm/intraday/``'s, the same answer the page /wfm/intraday/ draws."""
    return {
        "forecast": _("Forecast"),
        "actual": _("Actual"),
        "reforecast": _("Reforecast"),
        "offered": _("Contacts offered"),
        # {n}, {start}, {end}, {queue}, {pct}, {intervals}, {threshold}, {required}, {logged_in} are filled
        # in by the panel's script
        "gap_short": _("+{n} agents needed {start}–{end}"),
        "gap_ok": _("Enough agents logged in for {start}–{end} ({n} to spare)"),
        "gap_basis": _("{required} agents required at most, {logged_in} logged in now"),
        "gap_unknown": _("No staffing gap: not today, or no required agents known."),
        "no_forecast": _("No forecast for today: the curve shows what came; no staffing gap can be given."),
        "alert": _(
            "Unannounced campaign? {queue}: volume {pct}% above forecast for {intervals} intervals since {start} "
            "(alert above {threshold}% for {required} intervals)."
        ),
        "updated": _("Updated"),
        "error": _("Could not load the figures"),
    }


def _scope_choices(team_ids) -> list[tuple[str, str]]:
    choices = [("all", _("Whole centre"))] if team_ids is None else []
    teams = Team.objects.all() if team_ids is None else Team.objects.filter(id__in=team_ids)
    choices += [(f"team:{t.id}", f"{_('Team')} {t.name}") for t in teams]
    shown = Queue.objects.filter(quarantined=False)
    queues = shown if team_ids is None else shown.filter(team_id__in=team_ids)
    choices += [(f"queue:{q.id}", f"{_('Queue')} {q.name}") for q in queues]
    if team_ids is None:
        used = set(Queue.objects.values_list("channel", flat=True))
        choices += [(f"channel:{v}", f"{_('Channel')} {label}") for v, label in Channel.choices if v in used]
    return choices


def _without_display_token(request) -> str:
    query = request.GET.copy()
    query.pop("display", None)
    return f"{request.path}?{query.urlencode()}" if query else request.path


def wallboard(request):
    if "display" in request.GET:
        # A wall screen's link (from the admin or create_display_token, or an old one): the token goes
        # into an HttpOnly cookie once, and the screen goes on at the same address without it. So the
        # token is in the access log of this one request only, and in no history, bookmark or Referer;
        # the page and its websocket authenticate by the cookie from here on.
        token = request.GET["display"]
        if display_for_token(token) is None:
            return HttpResponseForbidden(_("This display token is not valid (any more)."))
        response = redirect(_without_display_token(request))
        set_display_cookie(response, token)
        return response
    token = request.COOKIES.get(DISPLAY_COOKIE)
    display = display_for_token(token) if token else None
    if token and display is None:
        response = HttpResponseForbidden(_("This display token is not valid (any more)."))
        response.delete_cookie(DISPLAY_COOKIE)  # so that the browser can be used with a login again
        return response
    if display is None:
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.get_full_path()}")
        if not has_any_role(request.user):
            return HttpResponseForbidden(_("Your account has no role (supervisor, manager, wfm or admin)."))
    team_ids = None if display else visible_team_ids(request.user)
    default = "all" if team_ids is None else (f"team:{min(team_ids)}" if team_ids else "all")
    if display is not None:
        default = display.scope_list()[0] if display.scope_list() else "all"
    text = request.GET.get("scope", default)
    try:
        scope = parse_scope(text)
    except ScopeError as error:
        return render(request, "live/error.html", {"message": str(error)}, status=400)
    allowed = display_allows(display.scope_list(), scope) if display else scope_allowed(scope, team_ids)
    if not allowed:
        return HttpResponseForbidden(_("You may not see the scope %(scope)s.") % {"scope": scope.name})
    kiosk = display is not None or request.GET.get("kiosk") == "1"
    return render(
        request,
        "live/wallboard.html",
        {
            "scope": scope.name,
            "kiosk": kiosk,
            "display": display is not None,
            "labels": _labels(),
            "choices": [] if kiosk else _scope_choices(team_ids),
            "layout": display.layout() if display is not None else KIOSK_LAYOUT,
        },
    )


@login_required
def supervisor(request):
    roles = user_roles(request.user)
    if not roles or roles == {"wfm"}:
        return HttpResponseForbidden(_("The supervisor view is for supervisors, managers and admins."))
    team_ids = visible_team_ids(request.user)
    teams = list(Team.objects.all() if team_ids is None else Team.objects.filter(id__in=team_ids))
    if not teams:
        return render(request, "live/error.html", {"message": _("No team is bound to your account yet.")}, status=404)
    chosen = request.GET.get("team")
    team = next((t for t in teams if str(t.id) == chosen), teams[0])
    return render(
        request,
        "live/supervisor.html",
        {
            "team": team,
            "teams": teams,
            "scope": f"team:{team.id}",
            "labels": _labels(),
            "adherence_labels": _adherence_labels(),
            "intraday_labels": _intraday_labels(),
            "can_use_wfm": bool(roles & WFM_ROLES),
            "is_supervisor": SUPERVISOR in roles,
        },
    )


@login_required
def home(request):
    roles = user_roles(request.user)
    snapshot = live_snapshot(team_ids=visible_team_ids(request.user)) if roles else None
    return render(request, "dashboard/home.html", {"roles": sorted(roles), "snapshot": snapshot})
