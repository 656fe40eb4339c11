"""Reads for workforce management: the interval export, required against staffed agents, and the
forecast against what happened. Everything reads the interval store through
``dashboard.selectors.intervals`` (``interval_rows``, ``team_interval_rows``), so the KPIs are the
metrics module's and agree with the reports and the wallboard. See docs/wfm.md for the columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from dashboard.core import erlang, metrics
from dashboard.core.errors import FieldError
from dashboard.core.models import SYNCHRONOUS_CHANNELS, Agent, Channel, ClosedDay, Contact, OpeningHours, Queue, Team
from dashboard.core.periods import centre_tz, day_bounds, floor_interval, interval_starts, rollup_start
from dashboard.intervals.public import (
    QUEUE_INTERVAL_COUNTS,
    QUEUE_INTERVAL_MAXIMA,
    IntervalWatermark,
    interval_rows,
    kpis_of,
    queues_filtered,
    team_interval_rows,
)
from dashboard.wfm.adherence import scheduled_seconds, scheduled_seconds_by_agent
from dashboard.wfm.models import ForecastInterval

LENGTHS = (15, 30, 60)
BACKLOG_REACH = timedelta(days=31)  # an asynchronous item waiting longer than this is not counted as work
MAX_EXPORT_DAYS = 400

# The interval export's columns, in order (docs/wfm.md explains each).
EXPORT_COLUMNS = (
    "interval_start",
    "interval_start_utc",
    "length_min",
    "queue",
    "channel",
    "team",
    *QUEUE_INTERVAL_COUNTS,
    *QUEUE_INTERVAL_MAXIMA,
    "service_level",
    "asa_s",
    "aht_s",
    "abandon_rate",
    "scheduled_agents",
)
INTEGER_COLUMNS = frozenset({"length_min", *QUEUE_INTERVAL_COUNTS, *QUEUE_INTERVAL_MAXIMA})
FLOAT_COLUMNS = frozenset({"service_level", "asa_s", "aht_s", "abandon_rate", "scheduled_agents"})

FORECAST_EXPORT_COLUMNS = (
    "interval_start",
    "interval_start_utc",
    "length_min",
    "queue",
    "channel",
    "team",
    "offered_forecast",
    "aht_s_forecast",
    "source",
    "traffic_erlangs",
    "required_agents",
    "scheduled_agents",
    "service_level_target",
    "threshold_s",
)
FORECAST_FLOAT_COLUMNS = frozenset(
    {"offered_forecast", "aht_s_forecast", "traffic_erlangs", "service_level_target", "threshold_s"}
)
FORECAST_INTEGER_COLUMNS = frozenset({"length_min", "required_agents", "scheduled_agents"})


@dataclass(frozen=True)
class ExportQuery:
    """What an interval export selects: local days ``first_day``–``last_day`` (both whole days)."""

    first_day: date
    last_day: date
    length: int = 15
    queue: str | None = None
    team: str | None = None
    channel: str | None = None

    def __post_init__(self):
        if self.last_day < self.first_day:
            raise FieldError("end", "is before start")
        if (self.last_day - self.first_day).days >= MAX_EXPORT_DAYS:
            raise FieldError("end", f"at most {MAX_EXPORT_DAYS} days per export")
        if self.length not in LENGTHS:
            raise FieldError("length", f"must be one of {', '.join(map(str, LENGTHS))} minutes")

    def days(self) -> Iterator[date]:
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)

    def filters(self) -> dict:
        return {"queue": self.queue, "team": self.team, "channel": self.channel}

    def as_params(self) -> dict:
        return {
            "start": self.first_day.isoformat(),
            "end": self.last_day.isoformat(),
            "length": self.length,
            **{k: v for k, v in self.filters().items() if v},
        }


def _local_iso(at: datetime) -> str:
    return at.astimezone(centre_tz()).isoformat()


def _utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def closed_until(now: datetime | None = None) -> datetime:
    """The end of the intervals an export may show: the interval store's watermark (aggregated up to
    there), at most the last interval closed by ``now``. Later intervals have no figures yet — they are
    left out rather than shown as zeros."""
    closed = floor_interval(now or timezone.now())
    mark = IntervalWatermark.objects.filter(pk=1).values_list("aggregated_until", flat=True).first()
    return min(closed, mark) if mark is not None else closed


def _zero_row(at: datetime, length: int, queue: Queue) -> dict:
    """An interval in which nothing happened on ``queue``: every count 0, every KPI empty."""
    row = dict.fromkeys((*QUEUE_INTERVAL_COUNTS, *QUEUE_INTERVAL_MAXIMA), 0)
    row.update(start=at, end=at + timedelta(minutes=length), local_start=_local_iso(at), queue_id=queue.id,
               queue=queue.name, channel=queue.channel, team=queue.team.name if queue.team else None)  # fmt: skip
    row.update(kpis_of(row, queue.sl_formula))
    return row


def _export_starts(start: datetime, end: datetime, length: int) -> list[datetime]:
    return sorted({rollup_start(s, length) for s in interval_starts(start, end)}) if end > start else []


def interval_export_batches(query: ExportQuery, *, now: datetime | None = None) -> Iterator[list[dict]]:
    """The export's rows, one local day at a time (so memory holds one day, whatever the range): one
    row per selected queue per interval of ``query.length`` minutes, with the columns of
    ``EXPORT_COLUMNS`` — **every** interval of the range, zeros included, whether or not the interval
    store holds a row for it (it holds none before its first aggregation, for instance), up to the last
    aggregated interval (``closed_until``).

    Days are whole local days (a DST day has 92 or 100 quarter-hours), so a 30- or 60-minute roll-up
    never straddles two batches."""
    queues = queues_filtered(**query.filters())
    until = closed_until(now)
    skilled = _skilled_agents(queues)
    for day in query.days():
        start, end = day_bounds(day)
        end = min(end, until)
        scheduled = _scheduled_per_queue(skilled, start, end, query.length)
        stored = {
            (row["start"], row["queue_id"]): row
            for row in interval_rows(start=start, end=end, length=query.length, **query.filters())
        }
        batch = []
        for at in _export_starts(start, end, query.length):
            at_utc = _utc_iso(at)
            for q in queues:
                # The selector's row already holds every count and KPI under the export's names.
                row = stored.get((at, q.id)) or _zero_row(at, query.length, q)
                row["interval_start"] = row["local_start"]
                row["interval_start_utc"] = at_utc
                row["length_min"] = query.length
                row["team"] = row["team"] or ""
                row["scheduled_agents"] = scheduled.get((q.id, at), 0.0)
                batch.append(row)
        yield batch


def _skilled_agents(queues: list[Queue]) -> dict[int, set[int]]:
    """Per queue id, the agents skilled on it (not quarantined): a queue row's scheduled agents."""
    out: dict[int, set[int]] = {q.id: set() for q in queues}
    for queue_id, agent_id in Queue.agents.through.objects.filter(
        queue_id__in=list(out), agent__quarantined=False
    ).values_list("queue_id", "agent_id"):
        out[queue_id].add(agent_id)
    return out


def _scheduled_per_queue(
    skilled: dict[int, set[int]], start: datetime, end: datetime, length: int
) -> dict[tuple[int, datetime], float]:
    """Per (queue id, interval start of ``length`` minutes): the agents skilled on the queue scheduled to
    work, on average over the interval (working schedule time ÷ the interval's length)."""
    starts = interval_starts(start, end) if end > start else []
    agent_ids = set().union(*skilled.values()) if skilled else set()
    per_agent = scheduled_seconds_by_agent(agent_ids=agent_ids, starts=starts, length_s=900)
    out: dict[tuple[int, datetime], float] = defaultdict(float)
    if not per_agent:
        return out
    rolled = [rollup_start(s, length) for s in starts]
    for queue_id, members in skilled.items():
        for agent_id in members & set(per_agent):
            for at, seconds in zip(rolled, per_agent[agent_id], strict=True):
                if seconds:
                    out[(queue_id, at)] += seconds / (length * 60)
    return {k: round(v, 2) for k, v in out.items()}


def interval_export_estimate(query: ExportQuery, *, now: datetime | None = None) -> int:
    """How many rows the export will have (exactly): every selected queue times every interval up to the
    last aggregated one, as ``interval_export_batches`` writes them."""
    queues = len(queues_filtered(**query.filters()))
    until = closed_until(now)
    intervals = 0
    for day in query.days():
        start, end = day_bounds(day)
        if start >= until:
            break
        intervals += len(_export_starts(start, min(end, until), query.length))
    return queues * intervals


# --- required against staffed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingQuery:
    day: date
    queue: str | None = None
    team: str | None = None
    length: int = 15
    patience_s: float | None = None
    max_occupancy: float = 1.0
    tolerance: float = 0.1

    def __post_init__(self):
        if bool(self.queue) == bool(self.team):
            raise FieldError("queue/team", "choose one queue or one team")
        if self.length not in LENGTHS:
            raise FieldError("length", f"must be one of {', '.join(map(str, LENGTHS))} minutes")
        if not 0 <= self.tolerance < 1:
            raise FieldError("tolerance", "must be at least 0 and below 1")


def staffing_mark(*, required: int | None, staffed: float | None, tolerance: float) -> str:
    """'under', 'over' or '' for an interval: under-staffed when the productive agents staffed fall
    short of the required by more than max(0.5, tolerance × required); over-staffed when they exceed it
    by more than max(1, tolerance × required)."""
    if required is None or staffed is None:
        return ""
    gap = staffed - required
    if gap < -max(0.5, tolerance * required):
        return "under"
    if gap > max(1.0, tolerance * required):
        return "over"
    return ""


def _aht_of(row: dict) -> float | None:
    return metrics.aht_s(talk_ms=row["talk_ms"], hold_ms=row["hold_ms"], acw_ms=row["acw_ms"], handled=row["handled"])


def _required(
    *, offered: float, aht_s: float | None, interval_s: int, target: float, threshold: float, q: StaffingQuery
) -> int | None:
    """``erlang.interval_required_agents`` with a staffing query's model options."""
    return erlang.interval_required_agents(
        offered=offered,
        aht_s=aht_s,
        interval_s=interval_s,
        target_sl=target,
        threshold_s=threshold,
        max_occupancy=q.max_occupancy,
        patience_s=q.patience_s,
    )


def _target_of(queues: list[Queue]) -> tuple[float, float]:
    """Service-level target (fraction) and threshold of a set of queues pooled: the strictest."""
    target = max(float(q.sl_target_pct) for q in queues) / 100.0
    return min(max(target, 0.01), 0.99), float(min(q.sl_threshold_s for q in queues))


def default_staffing_team(teams: list[Team] | None = None) -> str | None:
    """The team the staffing page opens on: the first (by name) with a voice queue, else the first with
    any synchronous queue (where Erlang applies), else the first team. None without teams."""
    teams = list(teams if teams is not None else Team.objects.order_by("name").prefetch_related("queues"))
    for wanted in ({Channel.VOICE}, SYNCHRONOUS_CHANNELS):
        for team in teams:
            if any(q.channel in wanted and not q.quarantined for q in team.queues.all()):
                return team.name
    return teams[0].name if teams else None


def _open_intervals(queues: list[Queue], starts: list[datetime], length_s: int) -> set[tuple[int, datetime]]:
    """(queue id, interval start) of the intervals in which a queue is open for at least a moment, by its
    opening hours and closed days; a queue without opening hours is open day and night."""
    tz = centre_tz()
    if not starts:
        return set()
    days = {s.astimezone(tz).date() for s in starts} | {
        (starts[-1] + timedelta(seconds=length_s)).astimezone(tz).date()
    }
    hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for oh in OpeningHours.objects.filter(queue__in=queues):
        hours[oh.queue_id][oh.weekday].append((oh.opens, oh.closes))
    closed = defaultdict(set)
    for queue_id, day in ClosedDay.objects.filter(date__in=days).values_list("queue_id", "date"):
        closed[queue_id].add(day)
    out = set()
    for q in queues:
        spans = []
        for day in sorted(days):
            if day in closed[None] or day in closed[q.id]:
                continue
            if q.id not in hours:
                spans.append(
                    (datetime.combine(day, time(0), tz), datetime.combine(day + timedelta(days=1), time(0), tz))
                )
                continue
            spans += [
                (datetime.combine(day, o, tz), datetime.combine(day, c, tz)) for o, c in hours[q.id][day.weekday()]
            ]
        for at in starts:
            until = at + timedelta(seconds=length_s)
            if any(lo < until and hi > at for lo, hi in spans):
                out.add((q.id, at))
    return out


def _backlog(queues: list[Queue], starts: list[datetime]) -> dict[tuple[int, datetime], int]:
    """Per asynchronous queue and interval start: the items waiting then (offered before it and neither
    answered, abandoned nor transferred by then). Items older than ``BACKLOG_REACH`` are not looked at."""
    if not queues or not starts:
        return {}
    first, last = starts[0], starts[-1]
    rows = (
        Contact.objects.filter(queue__in=queues, offered_at__lt=last, offered_at__gte=first - BACKLOG_REACH)
        .exclude(answered_at__lte=first)
        .values_list("queue_id", "offered_at", "answered_at", "abandoned_at", "transferred_at")
    )
    out: dict[tuple[int, datetime], int] = defaultdict(int)
    for queue_id, offered, *ends in rows.iterator(chunk_size=5000):
        gone = min((e for e in ends if e is not None), default=None)
        for at in starts:
            if offered < at and (gone is None or gone > at):
                out[(queue_id, at)] += 1
    return out


def staffing_day(query: StaffingQuery) -> dict:
    """Per interval of a local day: the agents the work that actually came needed, against the agents
    actually staffed (from agent state time). How the need is computed depends on the channel:

    * Synchronous queues (voice, chat, video: ``Queue.is_synchronous``): an Erlang model (C, or A with
      ``patience_s``) for their offered contacts and handle time pooled, at the strictest service-level
      target and threshold among them.
    * Asynchronous queues (e-mail, WhatsApp, social, callbacks): workload (``metrics.workload_agents``):
      the items arriving plus the backlog at the interval's start, times the handle time, spread over the
      queue's response-time target — and nothing while the queue is closed (its opening hours are the
      hours it is worked), so e-mails arriving at night wait for the morning instead of asking for agents.

    A team needs the sum of both against its agents: ``staffed`` = logged-in time ÷ interval length,
    ``productive`` = (available + on contact + after-call work) ÷ interval length (paused time is
    shrinkage). A queue: its own need against its team's agents apportioned by its share of the team's
    handle time in that interval (of its offered contacts when nothing was handled); a queue without a
    team has no staffed figure. Where nothing was handled in an interval with work, the queue's (or the
    synchronous queues') AHT of the whole day is used. Marks: see ``staffing_mark``.
    """
    tz = centre_tz()
    start, end = day_bounds(query.day)
    interval_s = query.length * 60
    if query.team:
        team = Team.objects.filter(name=query.team).first()
        if team is None:
            raise FieldError("team", f"unknown team {query.team!r}")
        queues = list(team.queues.filter(quarantined=False))
        label = team.name
    else:
        q = Queue.objects.select_related("team").filter(name=query.queue).first()
        if q is None:
            raise FieldError("queue", f"unknown queue {query.queue!r}")
        team, queues, label = q.team, [q], q.name
    if not queues:
        raise FieldError("team", f"{label!r} has no queues")
    sync = [q for q in queues if q.is_synchronous]
    deferred = [q for q in queues if not q.is_synchronous]
    target, threshold = _target_of(sync or queues)
    own = {q.id for q in queues}
    if team:
        per_queue = interval_rows(start=start, end=end, length=query.length, team=team.name)
        team_queue_count = team.queues.count()
    else:
        per_queue = interval_rows(start=start, end=end, length=query.length, queue=queues[0].name)
        team_queue_count = 1
    keys = ("offered", "handled", "handle_ms")
    # Sums per interval: the selected synchronous queues pooled, each asynchronous queue on its own, all of
    # ours, and the team's (for apportioning).
    ours: dict[datetime, dict] = defaultdict(lambda: dict.fromkeys(keys, 0))
    ours_sync: dict[datetime, dict] = defaultdict(lambda: dict.fromkeys(keys, 0))
    per_async: dict[tuple[int, datetime], dict] = defaultdict(lambda: dict.fromkeys(keys, 0))
    teams: dict[datetime, dict] = defaultdict(lambda: dict.fromkeys(keys, 0))
    sync_ids = {q.id for q in sync}
    for row in per_queue:
        handle = metrics.handle_ms(talk_ms=row["talk_ms"], hold_ms=row["hold_ms"], acw_ms=row["acw_ms"])
        mine = row["queue_id"] in own
        accs = [teams[row["start"]]]
        if mine:
            accs.append(ours[row["start"]])
            accs.append(
                ours_sync[row["start"]] if row["queue_id"] in sync_ids else per_async[(row["queue_id"], row["start"])]
            )
        for acc in accs:
            acc["offered"] += row["offered"]
            acc["handled"] += row["handled"]
            acc["handle_ms"] += handle

    def day_aht(accs) -> float | None:
        accs = list(accs)
        return metrics.aht_of_handle_s(
            handle_ms=sum(a["handle_ms"] for a in accs), handled=sum(a["handled"] for a in accs)
        )

    sync_day_aht = day_aht(ours_sync.values())
    async_day_aht = {q.id: day_aht(v for (qid, _), v in per_async.items() if qid == q.id) for q in deferred}
    agents = (
        {r["start"]: r for r in team_interval_rows(start=start, end=end, length=query.length, team=team.name)}
        if team
        else {}
    )
    starts = sorted({rollup_start(s, query.length) for s in interval_starts(start, end)})
    backlog = _backlog(deferred, starts)
    open_at = _open_intervals(deferred, starts, interval_s)
    team_members = list(Agent.objects.filter(team=team, quarantined=False).values_list("id", flat=True)) if team else []
    scheduled_s = scheduled_seconds(agent_ids=team_members, starts=starts, length_s=interval_s) if team else []
    rows = []
    for at in starts:
        mine, whole, mine_sync = ours.get(at), teams.get(at), ours_sync.get(at)
        offered = mine["offered"] if mine else 0
        required_erlang = traffic = None
        if sync:
            sync_offered = mine_sync["offered"] if mine_sync else 0
            aht = (
                metrics.aht_of_handle_s(handle_ms=mine_sync["handle_ms"], handled=mine_sync["handled"])
                if mine_sync
                else None
            )
            aht = aht if aht is not None else sync_day_aht
            required_erlang = _required(
                offered=sync_offered, aht_s=aht, interval_s=interval_s, target=target, threshold=threshold, q=query
            )
            traffic = erlang.interval_traffic(offered=sync_offered, aht_s=aht, interval_s=interval_s)
        required_workload = waiting = None
        if deferred:
            required_workload, waiting = 0.0, 0
            for q in deferred:
                acc = per_async.get((q.id, at))
                n_waiting = backlog.get((q.id, at), 0)
                waiting += n_waiting
                if (q.id, at) not in open_at:
                    continue  # closed: the work waits for the queue to open
                aht = metrics.aht_of_handle_s(handle_ms=acc["handle_ms"], handled=acc["handled"]) if acc else None
                need = metrics.workload_agents(
                    arriving=acc["offered"] if acc else 0,
                    backlog=n_waiting,
                    handle_s=aht if aht is not None else async_day_aht[q.id],
                    interval_s=interval_s,
                    response_target_s=q.response_target_s,
                    max_occupancy=query.max_occupancy,
                )
                if need is None:
                    required_workload = None
                    break
                required_workload += need
        parts = [p for p, used in ((required_erlang, bool(sync)), (required_workload, bool(deferred))) if used]
        if any(p is None for p in parts):
            required = None  # work came but its handle time is unknown: no guess
        else:
            required = round(sum(parts), 2) if deferred else int(sum(parts))
        all_aht = metrics.aht_of_handle_s(handle_ms=mine["handle_ms"], handled=mine["handled"]) if mine else None
        agent_row = agents.get(at)
        staffed = productive = None
        share = 1.0
        if query.queue:
            if whole and whole["handle_ms"]:
                share = mine["handle_ms"] / whole["handle_ms"] if mine else 0.0
            elif whole and whole["offered"]:
                share = offered / whole["offered"]
            else:
                share = 1.0 / max(1, team_queue_count)
        scheduled = round(share * scheduled_s[len(rows)] / interval_s, 2) if team else None
        if agent_row is not None:
            staffed = share * agent_row["staffed_s"] / interval_s
            productive = (
                share * (agent_row["available_s"] + agent_row["on_contact_s"] + agent_row["acw_s"]) / interval_s
            )
        rows.append(
            {
                "interval_start": at.astimezone(tz).isoformat(),
                "interval_start_utc": _utc_iso(at),
                "offered": offered,
                "aht_s": (all_aht if all_aht is not None else (sync_day_aht if sync else None)) if offered else None,
                "traffic_erlangs": traffic,
                "backlog": waiting,
                "required_erlang": required_erlang,
                "required_workload": round(required_workload, 2) if required_workload is not None else None,
                "required_agents": required,
                "scheduled_agents": scheduled,
                "staffed_agents": staffed,
                "productive_agents": productive,
                "mark": staffing_mark(required=required, staffed=productive, tolerance=query.tolerance),
            }
        )
    erlang_model = "erlang_a" if query.patience_s else "erlang_c"
    model = "+".join(m for m, used in ((erlang_model, bool(sync)), ("workload", bool(deferred))) if used)
    return {
        "day": query.day.isoformat(),
        "scope": "team" if query.team else "queue",
        "name": label,
        "team": team.name if team else None,
        "length_min": query.length,
        "service_level_target": target if sync else None,
        "threshold_s": threshold if sync else None,
        "max_occupancy": query.max_occupancy,
        "model": model,
        "synchronous_queues": [q.name for q in sync],
        "asynchronous_queues": [
            {"queue": q.name, "channel": q.channel, "response_target_s": q.response_target_s} for q in deferred
        ],
        "rows": rows,
        "under": sum(r["mark"] == "under" for r in rows),
        "over": sum(r["mark"] == "over" for r in rows),
    }


# --- forecast ----------------------------------------------------------------------------------------------


def _forecast_map(queue_ids, start: datetime, end: datetime) -> dict[tuple[int, datetime], ForecastInterval]:
    rows = ForecastInterval.objects.filter(queue_id__in=queue_ids, start__gte=start, start__lt=end)
    return {(f.queue_id, f.start): f for f in rows}


def forecast_day(
    *, day: date, queue: str, patience_s: float | None = None, max_occupancy: float = 1.0, shrinkage: float = 0.0
) -> dict:
    """One queue's forecast against what happened on a local day, per 15-minute interval: forecast and
    actual offered and AHT, the agents required for the forecast (Erlang, the queue's target and
    threshold) and for the actual volume, and the day's accuracy (WAPE and bias over the intervals that
    have actual figures)."""
    _no_nul("queue", queue)
    q = Queue.objects.select_related("team").filter(name=queue).first()
    if q is None:
        raise FieldError("queue", f"unknown queue {queue!r}")
    if not 0 <= shrinkage < 1:
        raise FieldError("shrinkage", "must be at least 0 and below 1")
    start, end = day_bounds(day)
    forecast = _forecast_map([q.id], start, end)
    actual = {r["start"]: r for r in interval_rows(start=start, end=end, length=15, queue=q.name)}
    target, threshold = _target_of([q])
    sq = StaffingQuery(day=day, queue=q.name, patience_s=patience_s, max_occupancy=max_occupancy)
    rows = []
    abs_error = forecast_sum = actual_sum = 0.0
    for at in interval_starts(start, end):
        f = forecast.get((q.id, at))
        a = actual.get(at)
        f_offered = f.offered if f else None
        required_f = (
            _required(offered=f.offered, aht_s=f.aht_s, interval_s=900, target=target, threshold=threshold, q=sq)
            if f
            else None
        )
        a_aht = _aht_of(a) if a else None
        required_a = (
            _required(offered=a["offered"], aht_s=a_aht, interval_s=900, target=target, threshold=threshold, q=sq)
            if a
            else None
        )
        if a is not None and f is not None:
            abs_error += abs(a["offered"] - f.offered)
            forecast_sum += f.offered
            actual_sum += a["offered"]
        rows.append(
            {
                "interval_start": _local_iso(at),
                "interval_start_utc": _utc_iso(at),
                "offered_forecast": f_offered,
                "aht_s_forecast": f.aht_s if f else None,
                "offered_actual": a["offered"] if a else None,
                "aht_s_actual": a_aht,
                "required_agents_forecast": required_f,
                "scheduled_agents_forecast": erlang.scheduled_agents(required=required_f, shrinkage=shrinkage)
                if required_f is not None
                else None,
                "required_agents_actual": required_a,
            }
        )
    return {
        "day": day.isoformat(),
        "queue": q.name,
        "service_level_target": target,
        "threshold_s": threshold,
        "rows": rows,
        "forecast_total": sum(f.offered for f in forecast.values()),
        "actual_total": sum(r["offered"] for r in actual.values()),
        "wape": metrics.forecast_wape(absolute_error=abs_error, actual=actual_sum),
        "bias": metrics.forecast_bias(forecast=forecast_sum, actual=actual_sum),
        "has_forecast": bool(forecast),
    }


def forecast_accuracy(
    *, first_day: date, last_day: date, queue: str | None = None, team: str | None = None, channel: str | None = None
) -> list[dict]:
    """Accuracy per queue per local day where the queue has a forecast: WAPE and bias (percent, from
    ``dashboard.metrics``) of the forecast offered against the actual offered, over the 15-minute
    intervals that have actual figures (a missing forecast interval counts as 0 expected)."""
    if last_day < first_day:
        raise FieldError("end", "is before start")
    if (last_day - first_day).days >= MAX_EXPORT_DAYS:
        raise FieldError("end", f"at most {MAX_EXPORT_DAYS} days")
    queues = queues_filtered(queue=queue, team=team, channel=channel)
    ids = {q.id for q in queues}
    out = []
    day = first_day
    while day <= last_day:
        start, end = day_bounds(day)
        forecast = _forecast_map(ids, start, end)
        with_forecast = {qid for qid, _ in forecast}
        sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
        for row in interval_rows(start=start, end=end, length=15, queue=queue, team=team, channel=channel):
            if row["queue_id"] not in with_forecast:
                continue
            f = forecast.get((row["queue_id"], row["start"]))
            expected = f.offered if f else 0.0
            acc = sums[row["queue_id"]]
            acc[0] += abs(row["offered"] - expected)
            acc[1] += expected
            acc[2] += row["offered"]
            acc[3] += 1
        for q in queues:
            if q.id not in sums:
                continue
            abs_error, expected, actual, intervals = sums[q.id]
            out.append(
                {
                    "day": day.isoformat(),
                    "weekday": day.strftime("%a"),
                    "queue": q.name,
                    "intervals": intervals,
                    "forecast": expected,
                    "actual": actual,
                    "wape": metrics.forecast_wape(absolute_error=abs_error, actual=actual),
                    "bias": metrics.forecast_bias(forecast=expected, actual=actual),
                }
            )
        day += timedelta(days=1)
    return out


def forecast_export_batches(
    query: ExportQuery, *, patience_s: float | None = None, max_occupancy: float = 1.0, shrinkage: float = 0.0
) -> Iterator[list[dict]]:
    """The forecast and the agents it needs, in the interval export's shape (same time columns, same
    lengths, one local day per batch): per queue per interval, the forecast offered (summed over the
    15-minute rows of a longer interval), its AHT (weighted by offered), the traffic, and the required and
    scheduled agents (Erlang C, or A with ``patience_s``; the queue's target and threshold)."""
    queues = queues_filtered(**query.filters())
    by_id = {q.id: q for q in queues}
    interval_s = query.length * 60
    for day in query.days():
        start, end = day_bounds(day)
        groups: dict[tuple[datetime, int], list[ForecastInterval]] = defaultdict(list)
        for f in ForecastInterval.objects.filter(queue_id__in=by_id, start__gte=start, start__lt=end).order_by("start"):
            groups[(rollup_start(f.start, query.length), f.queue_id)].append(f)
        batch = []
        for (at, queue_id), parts in sorted(groups.items(), key=lambda kv: (kv[0][0], by_id[kv[0][1]].name)):
            q = by_id[queue_id]
            offered = sum(p.offered for p in parts)
            # The forecast AHT of a longer interval: its parts' AHTs weighted by their offered contacts.
            aht = metrics.average(sum(p.offered * p.aht_s for p in parts), offered)
            if aht is None:
                aht = parts[0].aht_s
            target, threshold = _target_of([q])
            required = erlang.interval_required_agents(
                offered=offered,
                aht_s=aht,
                interval_s=interval_s,
                target_sl=target,
                threshold_s=threshold,
                max_occupancy=max_occupancy,
                patience_s=patience_s,
            )
            batch.append(
                {
                    "interval_start": _local_iso(at),
                    "interval_start_utc": _utc_iso(at),
                    "length_min": query.length,
                    "queue": q.name,
                    "channel": q.channel,
                    "team": q.team.name if q.team else "",
                    "offered_forecast": offered,
                    "aht_s_forecast": aht,
                    "source": "+".join(sorted({p.source for p in parts})),
                    "traffic_erlangs": erlang.interval_traffic(offered=offered, aht_s=aht, interval_s=interval_s),
                    "required_agents": required,
                    "scheduled_agents": erlang.scheduled_agents(required=required, shrinkage=shrinkage),
                    "service_level_target": target,
                    "threshold_s": threshold,
                }
            )
        yield batch


def _no_nul(field: str, value: str | None) -> None:
    """PostgreSQL's text cannot hold a NUL character, so no name has one: say so instead of failing."""
    if value and "\x00" in value:
        raise FieldError(field, "must not contain a NUL character")


def check_filters(*, queue: str | None = None, team: str | None = None, channel: str | None = None) -> None:
    """A FieldError naming the filter when a queue, team or channel name is unknown."""
    for field, value in (("queue", queue), ("team", team), ("channel", channel)):
        _no_nul(field, value)
    if queue and not Queue.objects.filter(name=queue).exists():
        raise FieldError("queue", f"unknown queue {queue!r}")
    if team and not Team.objects.filter(name=team).exists():
        raise FieldError("team", f"unknown team {team!r}")
    if channel and channel not in Channel.values:
        raise FieldError("channel", f"unknown channel {channel!r}; one of {', '.join(Channel.values)}")
