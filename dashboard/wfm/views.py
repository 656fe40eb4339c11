"""WFM pages: the interval export, the Erlang calculator, required against staffed agents and the
forecast. Thin: each checks the role and renders what one selector or service returns; the figures of
the interactive pages come from the WFM API."""

from __future__ import annotations

from datetime import date, timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard.core.api import flatten
from dashboard.core.models import Channel, Queue, Team
from dashboard.core.periods import check_day
from dashboard.core.permissions import can_use_wfm
from dashboard.wfm.api import ExportSerializer, ForecastBuildSerializer, StaffingQuerySerializer
from dashboard.wfm.models import IntervalExport
from dashboard.wfm.selectors import (
    default_staffing_team,
    forecast_accuracy,
    forecast_day,
    interval_export_estimate,
    staffing_day,
)
from dashboard.wfm.services.export import interval_export_create
from dashboard.wfm.services.forecast import forecast_build, forecast_import


def wfm_page(view):
    """Login required; then only WFM staff, managers and admins (supervisors get 403)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_use_wfm(request.user):
            body = render_to_string(
                "wfm/forbidden.html",
                {"message": _("WFM pages are for the roles wfm, manager and admin.")},
                request=request,
            )
            return HttpResponseForbidden(body)
        return view(request, *args, **kwargs)

    return wrapped


def _erlang_labels() -> dict:
    return {
        "agents": _("Agents"),
        "service_level": _("Service level (%)"),
        "occupancy": _("Occupancy (%)"),
        "asa": _("ASA (s)"),
        "p_wait": _("Probability of waiting (%)"),
        "p_abandon": _("Probability of abandoning (%)"),
        "target": _("Target (%)"),
        "unbounded": _("unbounded"),
        "error": _("Could not compute"),
    }


@wfm_page
def index(request):
    return render(request, "wfm/index.html")


@wfm_page
def erlang_calculator(request):
    return render(request, "wfm/erlang.html", {"labels": _erlang_labels()})


# --- interval export -------------------------------------------------------------------------------------

# Above this many rows the page exports in the background (XLSX takes openpyxl about 0.15 ms a row).
DIRECT_EXPORT_ROWS = 50_000
DIRECT_XLSX_ROWS = 10_000


def _filter_choices() -> dict:
    return {
        "queues": list(Queue.objects.order_by("name").values_list("name", flat=True)),
        "teams": list(Team.objects.order_by("name").values_list("name", flat=True)),
        "channels": Channel.choices,
    }


def _last_week() -> tuple[date, date]:
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6)


@wfm_page
def intervals(request):
    """The export form. Submitting it downloads at once (streamed) when the export is small, else starts
    a background export and shows its progress."""
    first, last = _last_week()
    form = {"start": first.isoformat(), "end": last.isoformat(), "length": "15", "format": "csv"}
    error = None
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("start", "end", "length", "format", "queue", "team", "channel")}
        serializer = ExportSerializer(data={k: v for k, v in form.items() if v})
        if serializer.is_valid():
            try:
                query = serializer.export_query()
                fmt = serializer.validated_data["format"]
                limit = DIRECT_XLSX_ROWS if fmt == "xlsx" else DIRECT_EXPORT_ROWS
                if interval_export_estimate(query) <= limit and request.POST.get("mode") != "background":
                    return redirect(f"{reverse('api-intervals')}?{urlencode({**query.as_params(), 'format': fmt})}")
                export = interval_export_create(user=request.user, query=query, fmt=fmt)
                return redirect("wfm-export", export_id=export.id)
            except ValueError as exc:
                error = str(exc)
        else:
            error = _flatten(serializer.errors)
    context = {
        "form": form,
        "error": error,
        **_filter_choices(),
        "direct_limit": DIRECT_EXPORT_ROWS,
        "direct_xlsx": DIRECT_XLSX_ROWS,
    }
    return render(request, "wfm/intervals.html", context, status=400 if error else 200)


@wfm_page
def export_progress(request, export_id):
    export = IntervalExport.objects.filter(pk=export_id, user=request.user).first()
    if export is None:
        raise Http404(_("This export does not exist or has expired."))
    labels = dict(IntervalExport.Status.choices)
    labels["rows"] = _("%(done)s of about %(total)s rows")
    return render(request, "wfm/export.html", {"export": export, "labels": labels})


def _flatten(errors) -> str:
    return flatten(errors)


# --- required against staffed ------------------------------------------------------------------------------


def _staffing_labels() -> dict:
    return {
        "required": _("Required agents"),
        "staffed": _("Staffed (logged in)"),
        "productive": _("Productive (available, on contact, ACW)"),
        "offered": _("Offered"),
        "agents": _("Agents"),
        "forecast": _("Forecast offered"),
        "actual": _("Actual offered"),
        "required_forecast": _("Required (forecast)"),
        "required_actual": _("Required (actual)"),
    }


def _percent_to_fraction(data: dict, pct_name: str, name: str) -> None:
    """The pages ask for shares as percentages (``max_occupancy_pct=90``); the API takes fractions."""
    text = data.pop(pct_name, None)
    if text in (None, "") or name in data:
        return
    try:
        data[name] = str(float(text.replace(",", ".")) / 100)
    except ValueError:
        data[name] = text  # the serializer names the field and the problem


@wfm_page
def staffing(request):
    """Required against staffed agents of one queue or team for a day (yesterday by default; a team with
    voice queues by default)."""
    choices = _filter_choices()
    params = request.GET.copy()
    params.setdefault("day", (timezone.localdate() - timedelta(days=1)).isoformat())
    if not params.get("queue") and not params.get("team"):
        params["team"] = default_staffing_team() or ""
    data = {k: v for k, v in params.items() if v}
    _percent_to_fraction(data, "max_occupancy_pct", "max_occupancy")
    serializer = StaffingQuerySerializer(data=data)
    result, error = None, None
    if serializer.is_valid():
        try:
            result = staffing_day(serializer.staffing_query())
        except ValueError as exc:
            error = str(exc)
        for queue in result["asynchronous_queues"] if result else []:
            target = queue["response_target_s"]
            queue["response_target_h"] = target / 3600 if target else None
    else:
        error = _flatten(serializer.errors)
    form = dict(params.items())
    form.setdefault("max_occupancy_pct", "100")
    context = {"form": form, "result": result, "error": error, "labels": _staffing_labels(), **choices}
    return render(request, "wfm/staffing.html", context, status=400 if error else 200)


def _weights(text: str) -> list[float]:
    try:
        return [float(w) for w in text.replace(";", ",").split(",") if w.strip()]
    except ValueError:
        raise ValueError(_("weights: write numbers separated by commas, most recent week first, e.g. 3,2,1"))


# --- forecast ------------------------------------------------------------------------------------------------


@wfm_page
def forecast(request):
    """Import or build a forecast (POST), and compare a queue's forecast with what happened (GET): one day
    per interval, and the accuracy per day over a range."""
    choices = _filter_choices()
    import_result = build_result = error = None
    if request.method == "POST" and request.POST.get("action") == "import":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("file: choose a CSV file to import")
        else:
            try:
                import_result = forecast_import(data=upload.read()).as_dict()
            except UnicodeDecodeError:
                error = _("file: not UTF-8; save the CSV as UTF-8")
    elif request.method == "POST" and request.POST.get("action") == "build":
        serializer = ForecastBuildSerializer(data={k: v for k, v in request.POST.items() if v and k != "weights"})
        if serializer.is_valid():
            p = serializer.validated_data
            try:
                weights = _weights(request.POST.get("weights", ""))
                build_result = forecast_build(
                    first_day=p["start"],
                    last_day=p["end"],
                    queue=p.get("queue"),
                    team=p.get("team"),
                    channel=p.get("channel"),
                    weeks=p["weeks"],
                    weights=weights or None,
                ).as_dict()
            except ValueError as exc:
                error = str(exc)
        else:
            error = _flatten(serializer.errors)
    today = timezone.localdate()
    form = {
        "day": request.GET.get("day") or today.isoformat(),
        "queue": request.GET.get("queue") or (choices["queues"][0] if choices["queues"] else ""),
        "start": request.GET.get("start") or (today - timedelta(days=13)).isoformat(),
        "end": request.GET.get("end") or today.isoformat(),
        "shrinkage_pct": request.GET.get("shrinkage_pct") or "30",
        "build_start": (today + timedelta(days=1)).isoformat(),
        "build_end": (today + timedelta(days=7)).isoformat(),
    }
    day = accuracy = None
    try:  # the page asks for percent; the API (and the export link) takes a fraction
        form["shrinkage"] = request.GET.get("shrinkage") or str(float(form["shrinkage_pct"].replace(",", ".")) / 100)
    except ValueError:
        error = error or _("shrinkage: write a percentage, e.g. 30")
        form["shrinkage"] = "0.3"
    if form["queue"]:
        try:
            day = forecast_day(
                day=check_day(date.fromisoformat(form["day"])), queue=form["queue"], shrinkage=float(form["shrinkage"])
            )
            accuracy = forecast_accuracy(
                first_day=check_day(date.fromisoformat(form["start"])),
                last_day=check_day(date.fromisoformat(form["end"])),
                queue=form["queue"],
            )
        except ValueError as exc:
            error = error or str(exc)
    context = {
        "form": form,
        "day": day,
        "accuracy": accuracy,
        "import_result": import_result,
        "build_result": build_result,
        "error": error,
        "labels": _staffing_labels(),
        **choices,
    }
    return render(request, "wfm/forecast.html", context, status=400 if error and request.method == "POST" else 200)


def _intraday_labels() -> dict:
    return {
        "forecast": _("Forecast"),
        "actual": _("Actual"),
        "reforecast": _("Reforecast"),
        "offered": _("Contacts offered"),
        "agents": _("Agents"),
        "required": _("Required agents"),
        "staffed": _("Staffed (logged in)"),
        # {n}, {start}, {end}, {queue}, {pct}, {intervals}, {threshold} are filled in by the page's script
        "gap_short": _("+{n} agents needed {start}–{end}"),
        "gap_ok": _("Enough agents logged in for {start}–{end} ({n} to spare)"),
        "gap_unknown": _("No staffing gap: not today, or no required agents known."),
        "alert": _(
            "Unannounced campaign? {queue}: volume {pct}% above forecast for {intervals} intervals since {start} "
            "(alert above {threshold}% for {required} intervals)."
        ),
        "no_forecast": _("No forecast for this day: import or build one on the Forecast page."),
        "updated": _("Updated"),
        "error": _("Could not load the figures"),
    }


@wfm_page
def intraday(request):
    """Today's forecast against actual, live: the page draws what ``GET /api/v1/wfm/intraday/`` answers and
    asks again every minute."""
    queues = list(Queue.objects.filter(quarantined=False).order_by("name").values("id", "name"))
    teams = list(Team.objects.order_by("name").values("id", "name"))
    form = {k: request.GET.get(k, "") for k in ("queue", "team", "channel", "date")}
    if not (form["queue"] or form["team"] or form["channel"]) and queues:
        form["queue"] = str(queues[0]["id"])
    params = {k: v for k, v in form.items() if v}
    context = {
        "form": form,
        "queues": queues,
        "teams": teams,
        "channels": Channel.choices,
        "api_url": f"{reverse('api-wfm-intraday')}?{urlencode(params)}" if params else "",
        "labels": _intraday_labels(),
    }
    return render(request, "wfm/intraday.html", context)
