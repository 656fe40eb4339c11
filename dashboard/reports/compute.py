"""The report documents, computed (read-only) from the interval store and the contacts: what a stored
report holds, and what a page shows for a period not built yet. Building, storing and e-mailing them are
``dashboard.reports.services``.

A report's counts are sums of interval rows, so a report, the interval rows and the wallboard's "today"
agree to the contact. A weekly report is the sum of its seven days. First-contact resolution looks 7 days
ahead, so a report is rebuilt once that window has passed and then marked final.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from dashboard.core.errors import FieldError
from dashboard.core.metrics import REPEAT_WINDOW_DAYS
from dashboard.core.models import Queue, Team
from dashboard.core.periods import (
    centre_tz,
    day_bounds,
    floor_interval,
    interval_starts,
    iso_week_label,
    local_date,
    week_monday,
)
from dashboard.core.sql import REPEAT_WINDOW_US, Dialect, pg_tune
from dashboard.intervals.public import (
    QUEUE_INTERVAL_COUNTS,
    QUEUE_INTERVAL_MAXIMA,
    TEAM_INTERVAL_SECONDS,
    QueueInterval,
    TeamInterval,
)
from dashboard.reports.models import ReportKind
from dashboard.wfm.public import TEAM_ADHERENCE_SECONDS, team_adherence

log = logging.getLogger(__name__)

# Per slot (a quarter-hour in a daily report, a day in a weekly one) and queue: what the charts need.
SLOT_FIELDS = ("offered", "answered", "answered_within_threshold", "abandoned", "short_abandoned", "wait_answered_ms")
QUEUE_FACTS = ("identified", "fcr_answered", "fcr_resolved", "agent_transfers")
RECENT_DAYS = 8  # daily reports kept up to date by the beat (yesterday and the week before it)
RECENT_WEEKS = 2


def period_of(kind: str, first_day: date) -> tuple[date, date, str]:
    """(first day, day after the last, label) of the daily or weekly period starting ``first_day``."""
    if kind == ReportKind.DAILY:
        return first_day, first_day + timedelta(days=1), first_day.isoformat()
    if kind == ReportKind.WEEKLY:
        monday = week_monday(first_day)
        return monday, monday + timedelta(days=7), iso_week_label(monday)
    raise FieldError("kind", f"{kind!r} is not 'daily' or 'weekly'")


def _empty_queue() -> dict:
    return {
        "counts": {k: 0 for k in (*QUEUE_INTERVAL_COUNTS, *QUEUE_INTERVAL_MAXIMA)},
        "slots": [],
        "reasons": {},
        "repeats": {},
        "transfers_to": {},
        **dict.fromkeys(QUEUE_FACTS, 0),
    }


def _empty_team() -> dict:
    return {**dict.fromkeys(TEAM_INTERVAL_SECONDS, 0.0), "paused_by_reason": {}}


def _add(into: dict, key: str, n: int | float) -> None:
    into[key] = into.get(key, 0) + n


def _day_keyed(d: Dialect, column: str) -> str:
    """A SQL expression giving the local day of ``column`` (PostgreSQL) or its interval (SQLite, turned
    into a day in Python)."""
    return f"({column} AT TIME ZONE %(tz)s)::date" if d.pg else d.bucket(column)


def _to_day(d: Dialect, key) -> date:
    if d.pg:
        return key
    return local_date(datetime.fromtimestamp(int(key), tz=UTC))


def _contact_facts(days: list[date], queues: dict[str, dict], until: datetime | None = None) -> None:
    """Add reasons, repeat contacts, first-contact resolution and transfer destinations per day and queue
    (``queues`` maps a day's ISO date to its queue dicts), of the contacts offered before ``until``."""
    d = Dialect()
    start, end = day_bounds(days[0])[0], day_bounds(days[-1])[1]
    if until is not None:
        end = max(start, min(end, until))
    params = {"start": d.param_time(start), "end": d.param_time(end), "tz": centre_tz().key}
    day_key = _day_keyed(d, "c.offered_at")
    window = timedelta(days=REPEAT_WINDOW_DAYS)
    params.update(wfrom=d.param_time(start - window), wto=d.param_time(end + window),
                  aend=d.param_time(end + timedelta(days=1)))  # fmt: skip
    # One sort of the customers' first visits from a week before to a week after the period gives each
    # contact its previous and next contact (repeat contact; first-contact resolution): the same rule as
    # the interval store's repeat_contacts (dashboard.services.intervals), which a test holds equal.
    if d.pg:
        repeat = f"f.prev_at >= c.offered_at - interval '{REPEAT_WINDOW_DAYS * 24} hours'"
        alone = f"(f.next_at IS NULL OR f.next_at > c.offered_at + interval '{REPEAT_WINDOW_DAYS * 24} hours')"
    else:
        repeat = f"{d.us('f.prev_at')} >= {d.us('c.offered_at')} - {REPEAT_WINDOW_US}"
        alone = f"(f.next_at IS NULL OR {d.us('f.next_at')} > {d.us('c.offered_at')} + {REPEAT_WINDOW_US})"
    sql = f"""
WITH f AS (
  SELECT p.id, LAG(p.offered_at) OVER w AS prev_at, LEAD(p.offered_at) OVER w AS next_at
  FROM dashboard_contact p
  WHERE p.seq = 0 AND p.customer_ref <> '' AND p.offered_at >= %(wfrom)s AND p.offered_at < %(wto)s
  WINDOW w AS (PARTITION BY p.customer_ref ORDER BY p.offered_at, p.contact_id)
),
a AS (
  SELECT DISTINCT contact_id FROM dashboard_contact
  WHERE answered_at IS NOT NULL AND offered_at >= %(start)s AND offered_at < %(aend)s
),
g AS (
  SELECT {day_key} AS dk, c.queue_id AS q, c.reason,
    CASE WHEN f.id IS NOT NULL THEN 1 ELSE 0 END AS identified,
    CASE WHEN f.id IS NOT NULL AND {repeat} THEN 1 ELSE 0 END AS rep,
    CASE WHEN f.id IS NOT NULL AND a.contact_id IS NOT NULL THEN 1 ELSE 0 END AS ans,
    CASE WHEN f.id IS NOT NULL AND {alone} THEN 1 ELSE 0 END AS alone_after
  FROM dashboard_contact c
  LEFT JOIN f ON f.id = c.id
  LEFT JOIN a ON a.contact_id = c.contact_id
  WHERE c.offered_at >= %(start)s AND c.offered_at < %(end)s
)
SELECT dk, q, reason, COUNT(*), SUM(identified), SUM(rep), SUM(ans), SUM(ans * alone_after)
FROM g GROUP BY dk, q, reason
"""
    with transaction.atomic(), connection.cursor() as cursor:
        pg_tune()
        cursor.execute(sql, params)
        for dk, q, reason, offered, identified, repeats, answered, resolved in cursor.fetchall():
            day = _to_day(d, dk).isoformat()
            if day not in queues:
                continue
            qd = queues[day].setdefault(str(q), _empty_queue())
            reason = reason or "-"
            _add(qd["reasons"], reason, offered)
            if repeats:
                _add(qd["repeats"], reason, int(repeats))
            qd["identified"] += identified
            qd["fcr_answered"] += int(answered or 0)
            qd["fcr_resolved"] += int(resolved or 0)
        cursor.execute(
            f"""SELECT {day_key}, c.queue_id, c.transferred_to_queue, COUNT(c.transferred_at),
                SUM(c.transfers) - COUNT(c.transferred_at)
                FROM dashboard_contact c
                WHERE c.offered_at >= %(start)s AND c.offered_at < %(end)s AND c.transfers > 0
                GROUP BY 1, 2, 3""",
            params,
        )
        for dk, q, to_queue, to_queue_n, to_agent_n in cursor.fetchall():
            day = _to_day(d, dk).isoformat()
            if day not in queues:
                continue
            qd = queues[day].setdefault(str(q), _empty_queue())
            if to_queue_n:
                _add(qd["transfers_to"], to_queue or "-", int(to_queue_n))
            qd["agent_transfers"] += int(to_agent_n or 0)


def so_far(*, kind: str, first_day: date, now: datetime, aggregated_until: datetime | None) -> datetime | None:
    """Where a period that is still running stands: the end of its last interval the interval store holds
    (the aggregation's watermark, at most the last closed interval). None when the period is over (or
    has not begun): it is then compared whole."""
    first, after, _ = period_of(kind, first_day)
    start, end = day_bounds(first)[0], day_bounds(after - timedelta(days=1))[1]
    if now >= end or now < start:
        return None
    closed = floor_interval(now)
    cut = min(closed, aggregated_until) if aggregated_until is not None else closed
    return max(start, cut)


def same_time_earlier(at: datetime, *, days: int) -> datetime:
    """The instant ``days`` days before ``at`` at the same local wall-clock time (a week before 14:30 is
    14:30, also across a DST change, which makes that week 167 or 169 hours long)."""
    tz = centre_tz()
    local = at.astimezone(tz)
    earlier = datetime.combine(local.date() - timedelta(days=days), local.time(), tz)
    return earlier.astimezone(UTC)


def queue_info() -> dict[str, dict]:
    """What a report keeps of each queue's configuration (as it was when the report was built)."""
    return {
        str(q.id): {
            "name": q.name,
            "channel": q.channel,
            "team_id": q.team_id,
            "team": q.team.name if q.team else None,
            "sl_formula": q.sl_formula,
            "sl_threshold_s": q.sl_threshold_s,
            "sl_target_pct": float(q.sl_target_pct),
        }
        for q in Queue.objects.filter(quarantined=False).select_related("team").order_by("name")
    }


def days_compute(days: list[date], *, until: datetime | None = None) -> dict[str, dict]:
    """The figures of each local day in ``days`` (consecutive), keyed by ISO date: per queue the summed
    interval counts, the quarter-hour slots, reasons, repeats, first-contact resolution and transfers;
    per team the agent time. With ``until`` (an interval boundary), only what happened before it: the
    days "so far", to compare a running period with an earlier one cut at the same time of day."""
    days = sorted(days)
    start, end = day_bounds(days[0])[0], day_bounds(days[-1])[1]
    if until is not None:
        end = max(start, min(end, until))
    bounds = {day.isoformat(): day_bounds(day) for day in days}
    slot_index = {
        iso: {int(s.timestamp()): i for i, s in enumerate(interval_starts(lo, hi))} for iso, (lo, hi) in bounds.items()
    }
    out: dict[str, dict] = {
        iso: {
            "date": iso,
            "start": lo.isoformat(),
            "end": hi.isoformat(),
            "slots": len(slot_index[iso]),
            "queues": {},
            "teams": {},
        }  # fmt: skip
        for iso, (lo, hi) in bounds.items()
    }
    queues = {iso: out[iso]["queues"] for iso in out}
    fields = (*QUEUE_INTERVAL_COUNTS, *QUEUE_INTERVAL_MAXIMA)
    rows = QueueInterval.objects.filter(start__gte=start, start__lt=end, queue__quarantined=False).values_list(
        "queue_id", "start", *fields
    )
    tz = centre_tz()
    slot_pos = {f: i for i, f in enumerate(fields)}
    for queue_id, at, *values in rows.iterator(chunk_size=10000):
        iso = at.astimezone(tz).date().isoformat()
        qd = queues[iso].setdefault(str(queue_id), _empty_queue())
        counts = qd["counts"]
        for f, v in zip(fields, values, strict=True):
            counts[f] = max(counts[f], v) if f in QUEUE_INTERVAL_MAXIMA else counts[f] + v
        if values[slot_pos["offered"]]:
            if not qd["slots"]:
                qd["slots"] = [[0] * len(SLOT_FIELDS) for _ in range(out[iso]["slots"])]
            qd["slots"][slot_index[iso][int(at.timestamp())]] = [values[slot_pos[f]] for f in SLOT_FIELDS]
    teams = TeamInterval.objects.filter(start__gte=start, start__lt=end).values_list(
        "team_id", "start", "paused_by_reason", *TEAM_INTERVAL_SECONDS
    )
    for team_id, at, paused_by_reason, *secs in teams.iterator(chunk_size=10000):
        iso = at.astimezone(tz).date().isoformat()
        td = out[iso]["teams"].setdefault(str(team_id or 0), _empty_team())
        for f, v in zip(TEAM_INTERVAL_SECONDS, secs, strict=True):
            td[f] += v
        for reason, v in paused_by_reason.items():
            _add(td["paused_by_reason"], reason, v)
    # Schedule adherence and conformance per team (the seconds behind them, which add up over days).
    for iso, (lo, hi) in bounds.items():
        for team_id, secs in team_adherence(start=lo, end=min(hi, end)).items():
            td = out[iso]["teams"].setdefault(str(team_id), _empty_team())
            td["adherence"] = secs
    _contact_facts(days, queues, until)
    return out


def _merge_adherence(into: dict, part: dict) -> None:
    if "adherence" in part:
        acc = into.setdefault("adherence", dict.fromkeys(TEAM_ADHERENCE_SECONDS, 0.0))
        for key in TEAM_ADHERENCE_SECONDS:
            acc[key] += part["adherence"].get(key, 0.0)


def _merge_queue(into: dict, part: dict) -> None:
    for f, v in part["counts"].items():
        into["counts"][f] = max(into["counts"][f], v) if f in QUEUE_INTERVAL_MAXIMA else into["counts"][f] + v
    for key in ("reasons", "repeats", "transfers_to"):
        for k, v in part[key].items():
            _add(into[key], k, v)
    for f in QUEUE_FACTS:
        into[f] += part[f]


def report_compute(
    *,
    kind: str,
    first_day: date,
    now: datetime | None = None,
    per_day: dict[str, dict] | None = None,
    until: datetime | None = None,
) -> dict:
    """A report's document: the period, the queues' and teams' configuration and figures, and the slots
    (quarter-hours of the day, or the seven days of the week). ``per_day`` may hold the days already
    computed by ``days_compute``. With ``until`` inside the period, the period so far: only what happened
    before ``until`` (the document's ``until`` says so; None for a whole period)."""
    now = now or timezone.now()
    first, after, label = period_of(kind, first_day)
    days = [first + timedelta(days=i) for i in range((after - first).days)]
    start, end = day_bounds(first)[0], day_bounds(after - timedelta(days=1))[1]
    if until is not None and until >= end:
        until = None
    if until is not None:
        per_day = days_compute(days, until=until)
    elif per_day is None or any(d.isoformat() not in per_day for d in days):
        per_day = days_compute(days)
    tz = centre_tz()
    data = {
        "kind": kind,
        "label": label,
        "first_day": first.isoformat(),
        "last_day": (after - timedelta(days=1)).isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "time_zone": tz.key,
        "built_at": now.isoformat(),
        "until": until.isoformat() if until is not None else None,
        "final": now >= end + timedelta(days=REPEAT_WINDOW_DAYS),
        "fcr_window_ends": (end + timedelta(days=REPEAT_WINDOW_DAYS)).isoformat(),
        "queue_info": queue_info(),
        "team_info": {str(t.id): t.name for t in Team.objects.all()},
    }
    if kind == ReportKind.DAILY:
        day = per_day[first.isoformat()]
        data["slot_labels"] = [s.astimezone(tz).strftime("%H:%M") for s in interval_starts(start, end)]
        data["queues"] = day["queues"]
        data["teams"] = day["teams"]
        return data
    data["slot_labels"] = [d.isoformat() for d in days]
    queues: dict[str, dict] = {}
    teams: dict[str, dict] = {}
    for i, d in enumerate(days):
        day = per_day[d.isoformat()]
        for qid, part in day["queues"].items():
            qd = queues.setdefault(qid, _empty_queue())
            if not qd["slots"]:
                qd["slots"] = [[0] * len(SLOT_FIELDS) for _ in days]
            _merge_queue(qd, part)
            qd["slots"][i] = [part["counts"][f] for f in SLOT_FIELDS]
        for tid, part in day["teams"].items():
            td = teams.setdefault(tid, _empty_team())
            for f in TEAM_INTERVAL_SECONDS:
                td[f] += part[f]
            for reason, v in part["paused_by_reason"].items():
                _add(td["paused_by_reason"], reason, v)
            _merge_adherence(td, part)
    data["queues"] = queues
    data["teams"] = teams
    return data
