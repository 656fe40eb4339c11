"""Report pages for managers: pick a day or an ISO week and a team, queue or channel; read the KPI table,
charts and breakdowns; print it or download it as PDF; upload contact records. Thin: each view calls one
selector or service."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.core.errors import FieldError
from dashboard.core.models import Channel, Queue, Team
from dashboard.core.periods import iso_week_label
from dashboard.core.permissions import can_import_contacts, sees_all
from dashboard.ingest.public import IMPORT_COLUMNS, ImportFileError, contacts_import_csv
from dashboard.reports.pdf import report_pdf, report_title
from dashboard.reports.selectors import (
    ReportFilter,
    ReportQueryError,
    default_periods,
    parse_day,
    parse_week,
    report_page,
    reports_recent,
)


def reports_role(view):
    """Login required; then managers, WFM and admins (everyone else gets 403)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not sees_all(request.user):
            body = render_to_string("reports/message.html", {"message": _("Reports are for the roles manager, wfm and admin.")},
                                    request=request)  # fmt: skip
            return HttpResponseForbidden(body)
        return view(request, *args, **kwargs)

    return wrapped


def _choices() -> dict:
    return {
        "queues": list(Queue.objects.order_by("name").values_list("name", flat=True)),
        "teams": list(Team.objects.order_by("name").values_list("name", flat=True)),
        "channels": [(v, str(label)) for v, label in Channel.choices if Queue.objects.filter(channel=v).exists()],
    }


def _scope(request) -> ReportFilter:
    g = request.GET
    return ReportFilter(queue=g.get("queue") or None, team=g.get("team") or None, channel=g.get("channel") or None)


def _bad_request(request, error: Exception) -> HttpResponse:
    return HttpResponseBadRequest(render_to_string("reports/message.html", {"message": str(error)}, request=request))


@reports_role
def reports_index(request):
    return render(request, "reports/index.html", {**_choices(), "periods": default_periods(),
                                                  "recent": reports_recent(), "columns": IMPORT_COLUMNS,
                                                  "can_import": can_import_contacts(request.user)})  # fmt: skip


def _report(request, kind: str, first_day: date, pdf: bool):
    try:
        view = report_page(kind=kind, first_day=first_day, scope=_scope(request))
    except ReportQueryError as error:
        return _bad_request(request, error)
    if pdf:
        scope = view["filters"]["queue"] or view["filters"]["team"] or view["filters"]["channel"] or "all"
        response = HttpResponse(report_pdf(view), content_type="application/pdf")
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in scope)
        response["Content-Disposition"] = f'attachment; filename="kcc-{kind}-{view["label"]}-{safe}.pdf"'
        return response
    if kind == "daily":
        prev, nxt = (first_day - timedelta(days=1)).isoformat(), (first_day + timedelta(days=1)).isoformat()
    else:
        prev, nxt = iso_week_label(first_day - timedelta(days=7)), iso_week_label(first_day + timedelta(days=7))
    title, subtitle = report_title(view)
    context = {**_choices(), "view": view, "kind": kind, "title": title, "subtitle": subtitle, "prev": prev,
               "next": nxt, "chart_json": json.dumps(view["chart"]), "query": request.GET.urlencode(),
               "scope": _scope(request)}  # fmt: skip
    return render(request, "reports/report.html", context)


@reports_role
def report_daily(request, pdf: bool = False):
    try:
        day = parse_day(request.GET.get("date") or default_periods()["yesterday"])
    except ReportQueryError as error:
        return _bad_request(request, error)
    return _report(request, "daily", day, pdf)


@reports_role
def report_weekly(request, pdf: bool = False):
    try:
        monday = parse_week(request.GET.get("week") or default_periods()["this_week"])
    except ReportQueryError as error:
        return _bad_request(request, error)
    return _report(request, "weekly", monday, pdf)


@require_POST
@reports_role
def reports_import(request):
    if not can_import_contacts(request.user):
        return HttpResponseForbidden(render_to_string("reports/message.html", {"message": _("Importing contact records is for managers and admins.")}, request=request))  # fmt: skip
    upload = request.FILES.get("file")
    if upload is None:
        return _bad_request(request, FieldError("file", _("choose a CSV file to upload")))
    try:
        result = contacts_import_csv(stream=io.StringIO(upload.read().decode("utf-8-sig"), newline=None))
    except (ImportFileError, UnicodeDecodeError) as error:
        return _bad_request(request, error)
    return render(request, "reports/import_result.html", {"result": result.as_dict(), "name": upload.name})


report_daily_pdf = require_http_methods(["GET"])(lambda request: report_daily(request, pdf=True))
report_weekly_pdf = require_http_methods(["GET"])(lambda request: report_weekly(request, pdf=True))
