"""Daily and weekly reports: built (by ``dashboard.reports.compute``) and stored as documents, kept up to
date by the beat, and e-mailed to the managers who subscribed.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dashboard.core.errors import FieldError
from dashboard.core.metrics import REPEAT_WINDOW_DAYS
from dashboard.core.periods import day_bounds, local_date, week_monday
from dashboard.core.permissions import SEE_ALL, user_roles
from dashboard.intervals.public import (
    IntervalWatermark,
    QueueInterval,
    TeamInterval,
)
from dashboard.reports.compute import RECENT_DAYS, RECENT_WEEKS, days_compute, period_of, report_compute
from dashboard.reports.models import Report, ReportKind, ReportSubscription
from dashboard.reports.pdf import report_pdf
from dashboard.reports.selectors import report_view

log = logging.getLogger(__name__)


def _period_aggregated(end: datetime) -> bool:
    mark = IntervalWatermark.objects.filter(pk=1).first()
    return bool(mark and mark.aggregated_until and mark.aggregated_until >= end)


def report_build(
    *,
    kind: str,
    first_day: date,
    now: datetime | None = None,
    email: bool = True,
    per_day: dict[str, dict] | None = None,
) -> Report:
    """Compute and store the report of a period (replacing an earlier build), and e-mail it to the
    subscribers the first time it is built. Idempotent: building again stores the same figures."""
    now = now or timezone.now()
    first, after, label = period_of(kind, first_day)
    data = report_compute(kind=kind, first_day=first, now=now, per_day=per_day)
    with transaction.atomic():
        report, created = Report.objects.update_or_create(
            kind=kind,
            period_start=first,
            defaults={"period_end": after, "label": label, "data": data, "built_at": now, "final": data["final"]},
        )
    if email and report.emailed_at is None:
        report_email(report=report)
    return report


def _stale(report: Report | None, start: datetime, end: datetime, now: datetime) -> bool:
    if report is None:
        return True
    if not report.final and now >= end + timedelta(days=REPEAT_WINDOW_DAYS):
        return True
    latest = QueueInterval.objects.filter(start__gte=start, start__lt=end).aggregate(m=Max("computed_at"))["m"]
    latest_team = TeamInterval.objects.filter(start__gte=start, start__lt=end).aggregate(m=Max("computed_at"))["m"]
    return any(t is not None and t > report.built_at for t in (latest, latest_team))


def reports_build_due(*, kind: str, now: datetime | None = None, email: bool = True) -> list[str]:
    """Build every recent report that is missing, older than its interval rows (late or imported events
    changed them) or due to become final: daily reports of the last 8 days, weekly reports of the last
    2 weeks. Only periods that are over and wholly aggregated are built. Returns the labels built."""
    now = now or timezone.now()
    today = local_date(now)
    if kind == ReportKind.DAILY:
        firsts = [today - timedelta(days=n) for n in range(RECENT_DAYS, 0, -1)]
    elif kind == ReportKind.WEEKLY:
        monday = week_monday(today)
        firsts = [monday - timedelta(weeks=n) for n in range(RECENT_WEEKS, 0, -1)]
    else:
        raise FieldError("kind", f"{kind!r} is not 'daily' or 'weekly'")
    existing = {r.period_start: r for r in Report.objects.filter(kind=kind, period_start__in=firsts)}
    built = []
    for first in firsts:
        _, after, label = period_of(kind, first)
        start, end = day_bounds(first)[0], day_bounds(after - timedelta(days=1))[1]
        if not _period_aggregated(end) or not _has_data(start, end, existing.get(first)):
            continue
        if _stale(existing.get(first), start, end, now):
            report_build(kind=kind, first_day=first, now=now, email=email)
            built.append(label)
    return built


def _has_data(start: datetime, end: datetime, report: Report | None) -> bool:
    """A period before any data was recorded gets no report (a fresh installation has no past)."""
    return report is not None or QueueInterval.objects.filter(start__gte=start, start__lt=end, offered__gt=0).exists()


def reports_build_range(*, first_day: date, last_day: date, now: datetime | None = None) -> dict[str, int]:
    """Build the daily reports of ``[first_day, last_day]`` and the weekly reports of the whole weeks in it
    (a backfill after an import, and the benchmark), without e-mail. Days are computed in one pass."""
    now = now or timezone.now()
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    per_day = days_compute(days)
    built = {"daily": 0, "weekly": 0}
    for first in days:
        report_build(kind=ReportKind.DAILY, first_day=first, now=now, email=False, per_day=per_day)
        built["daily"] += 1
    monday = week_monday(first_day)
    if monday < first_day:
        monday += timedelta(days=7)
    while monday + timedelta(days=6) <= last_day:
        report_build(kind=ReportKind.WEEKLY, first_day=monday, now=now, email=False, per_day=per_day)
        built["weekly"] += 1
        monday += timedelta(days=7)
    return built


# --- e-mail ---------------------------------------------------------------------------------------


def report_email(*, report: Report) -> int:
    """E-mail a built report to its subscribers (managers, WFM and admins with an address): a summary in
    the body and the report as a PDF, for the team, queue or channel they chose. Uses Django's e-mail
    backend (the console by default). Marks the report e-mailed; returns the number of messages sent."""
    subscriptions = ReportSubscription.objects.filter(kind=report.kind).select_related("user", "team", "queue")
    sent = 0
    for sub in subscriptions:
        user = sub.user
        if not user.is_active or not user.email or not (user_roles(user) & SEE_ALL):
            continue
        scope = {"queue": sub.queue.name if sub.queue else None, "team": sub.team.name if sub.team else None,
                 "channel": sub.channel or None}  # fmt: skip
        with translation.override(settings.LANGUAGE_CODE):
            view = report_view(data=report.data, **scope)
            context = {"view": view, "report": report, "user": user}
            subject = render_to_string("reports/email_subject.txt", context).strip()
            body = render_to_string("reports/email.txt", context)
            html = render_to_string("reports/email.html", context)
            message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            message.attach_alternative(html, "text/html")
            message.attach(f"kcc-{report.kind}-{report.label}.pdf", report_pdf(view), "application/pdf")
        try:
            message.send()
            sent += 1
        except Exception:  # one bad address or a mail server hiccup must not stop the others
            log.exception("could not e-mail report %s to %s", report, user.email)
    Report.objects.filter(pk=report.pk).update(emailed_at=timezone.now())
    return sent
