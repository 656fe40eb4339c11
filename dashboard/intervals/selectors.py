"""Reads of the interval store, for reports, exports and workforce management.

``interval_rows`` is the one way to read queue intervals: one row per queue per interval of 15, 30 or
60 minutes (30 and 60 are summed from the 15-minute rows on the local clock), with every stored column
and the KPIs of ``dashboard.metrics``. ``team_interval_rows`` does the same for agent time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from dashboard.core import metrics
from dashboard.core.metrics import Counts
from dashboard.core.models import Queue, Team
from dashboard.core.periods import centre_tz, rollup_start
from dashboard.intervals.models import (
    QUEUE_INTERVAL_COUNTS,
    QUEUE_INTERVAL_MAXIMA,
    TEAM_INTERVAL_SECONDS,
    QueueInterval,
    TeamInterval,
)

COUNT_FIELDS = frozenset(Counts.__dataclass_fields__)


def queues_filtered(*, queue: str | None = None, team: str | None = None, channel: str | None = None) -> list[Queue]:
    """The queues a filter selects (names as configured; each filter narrows the selection), by name;
    never a quarantined queue (from a source's events, not approved yet)."""
    qs = Queue.objects.filter(quarantined=False).select_related("team").order_by("name")
    if queue:
        qs = qs.filter(name=queue)
    if team:
        qs = qs.filter(team__name=team)
    if channel:
        qs = qs.filter(channel=channel)
    return list(qs)


def kpis_of(row: dict, formula: str) -> dict[str, float | None]:
    """``service_level``, ``asa_s``, ``aht_s`` and ``abandon_rate`` of a row of summed counts, each by
    its formula in ``dashboard.metrics`` (service level by ``formula``, the queue's)."""
    return metrics.kpis(_counts(row), formula=formula)


def _counts(row: dict) -> Counts:
    return Counts(*[int(row[k]) for k in metrics.COUNT_FIELDS])  # the dataclass's fields, in order


def total_of(parts: list[dict], queues: dict[int, Queue], formula: str) -> dict:
    """The KPIs of a total of queue rows (each with its ``queue_id``), kinds kept apart
    (``metrics.total_kpis``): ``service_level``, ``asa_s`` and ``max_wait_answered_ms`` of the
    synchronous queues only, ``aht_s`` and ``abandon_rate`` of all, the asynchronous queues' block in
    ``async`` (``metrics.async_block``) and the counts per kind in ``by_kind``."""
    kinds = metrics.KindCounts.of((queues[p["queue_id"]].is_synchronous, _counts(p)) for p in parts)
    block = metrics.async_block(kinds.asynchronous, queues=kinds.asynchronous_queues)
    sync_waits = [p["max_wait_answered_ms"] for p in parts if queues[p["queue_id"]].is_synchronous]
    return {
        **metrics.total_kpis(kinds, formula=formula),
        "max_wait_answered_ms": max(sync_waits, default=0),
        "async": {k: v for k, v in block.items() if k not in ("backlog", "oldest_s")},
        "by_kind": metrics.kind_split(kinds),
    }


def sum_rows(rows: list[dict]) -> dict:
    """Counts summed and maxima taken over rows of queue intervals."""
    total = dict.fromkeys(QUEUE_INTERVAL_COUNTS, 0)
    total.update(dict.fromkeys(QUEUE_INTERVAL_MAXIMA, 0))
    for row in rows:
        for k in QUEUE_INTERVAL_COUNTS:
            total[k] += row[k]
        for k in QUEUE_INTERVAL_MAXIMA:
            total[k] = max(total[k], row[k])
    return total


def interval_rows(
    *,
    start: datetime,
    end: datetime,
    length: int = 15,
    queue: str | None = None,
    team: str | None = None,
    channel: str | None = None,
    by_queue: bool = True,
) -> list[dict]:
    """Queue intervals whose 15-minute start lies in ``[start, end)``, rolled up to ``length`` minutes.

    One row per queue per interval (or, with ``by_queue=False``, one row per interval summing the
    selected queues), ordered by start and queue name. Each row: ``start``, ``end`` (aware, UTC),
    ``local_start`` (ISO, centre time), ``queue_id``, ``queue``, ``channel``, ``team`` (None in total rows),
    every column of ``QueueInterval`` (counts and milliseconds summed, ``max_wait_answered_ms`` the
    maximum), and ``service_level`` (percent, by the queue's formula), ``asa_s``, ``aht_s``,
    ``abandon_rate`` (percent of offered) from ``dashboard.metrics`` — unrounded. A total row keeps the
    kinds apart (``total_of``): its service level, ASA and longest wait are its synchronous queues' (their
    common formula, the default when they differ; None without one), its asynchronous queues are in
    ``async``. Only aggregated (closed) intervals have rows.
    Filters: ``queue``, ``team`` (the queue's team) and ``channel`` by name; each narrows the selection.
    """
    queues = queues_filtered(queue=queue, team=team, channel=channel)
    by_id = {q.id: q for q in queues}
    fields = (*QUEUE_INTERVAL_COUNTS, *QUEUE_INTERVAL_MAXIMA)
    stored = QueueInterval.objects.filter(start__gte=start, start__lt=end, queue_id__in=by_id).values_list(
        "queue_id", "start", *fields
    )
    groups: dict[tuple, list[dict]] = defaultdict(list)
    starts: dict[datetime, datetime] = {}  # every queue's row of a quarter-hour rolls up alike: once each
    for queue_id, at, *values in stored.order_by("start"):
        key_start = starts.get(at)
        if key_start is None:
            key_start = starts[at] = rollup_start(at, length)
        part = dict(zip(fields, values, strict=True), queue_id=queue_id)
        groups[(key_start, queue_id if by_queue else None)].append(part)
    tz = centre_tz()
    formula_sync = metrics.pooled_sl_formula(q.sl_formula for q in queues if q.is_synchronous)
    local: dict[datetime, str] = {}
    step = timedelta(minutes=length)
    out = []
    for (at, queue_id), parts in groups.items():
        if len(parts) == 1 and queue_id is not None:  # nothing to add up (every row of a 15-minute export)
            row = parts[0]
        else:
            row = sum_rows(parts)
        q = by_id.get(queue_id)
        local_start = local.get(at)
        if local_start is None:
            local_start = local[at] = at.astimezone(tz).isoformat()
        row.update(
            start=at,
            end=at + step,
            local_start=local_start,
            queue_id=queue_id,
            queue=q.name if q else None,
            channel=q.channel if q else None,
            team=q.team.name if q and q.team else None,
        )
        if q is not None:
            row.update(kpis_of(row, q.sl_formula))
        else:
            row.update(total_of(parts, by_id, formula_sync))
        out.append(row)
    out.sort(key=lambda r: (r["start"], r["queue"] or ""))
    return out


def team_interval_rows(*, start: datetime, end: datetime, length: int = 15, team: str | None = None) -> list[dict]:
    """Agent time per team per interval of ``length`` minutes (from the 15-minute rows in
    ``[start, end)``): ``start``, ``end``, ``local_start``, ``team_id``, ``team`` (None: agents without a
    team), ``staffed_s``, ``available_s``, ``on_contact_s``, ``acw_s``, ``paused_s``, ``paused_by_reason``
    (reason → seconds) and ``occupancy`` (percent, ``dashboard.metrics.occupancy``)."""
    names = dict(Team.objects.values_list("id", "name"))
    qs = TeamInterval.objects.filter(start__gte=start, start__lt=end)
    if team:
        qs = qs.filter(team__name=team)
    groups: dict[tuple, dict] = {}
    for row in qs.order_by("start").values("team_id", "start", "paused_by_reason", *TEAM_INTERVAL_SECONDS):
        key = (rollup_start(row["start"], length), row["team_id"])
        acc = groups.setdefault(key, {**dict.fromkeys(TEAM_INTERVAL_SECONDS, 0.0), "paused_by_reason": {}})
        for f in TEAM_INTERVAL_SECONDS:
            acc[f] += row[f]
        for reason, secs in row["paused_by_reason"].items():
            acc["paused_by_reason"][reason] = acc["paused_by_reason"].get(reason, 0.0) + secs
    tz = centre_tz()
    out = []
    for (at, team_id), acc in groups.items():
        acc.update(
            start=at,
            end=at + timedelta(minutes=length),
            local_start=at.astimezone(tz).isoformat(),
            team_id=team_id,
            team=names.get(team_id),
            occupancy=metrics.occupancy(
                on_contact_s=acc["on_contact_s"], acw_s=acc["acw_s"], available_s=acc["available_s"]
            ),
        )
        out.append(acc)
    out.sort(key=lambda r: (r["start"], r["team"] or ""))
    return out
