"""Reads for workforce management: the interval export, required against staffed agents, and the
forecast against what happened. Everything reads the interval store through
``dashboard.selectors.intervals`` (``interval_rows``, ``team_interval_rows``), so the KPIs are the
metrics module's and agree with the reports and the wallboard. See docs/wfm.md for the columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dashboard.core import erlang, metrics
from dashboard.core.errors import FieldError
from dashboard.core.models import Channel, Queue, Team
from dashboard.core.periods import centre_tz, day_bounds, interval_starts, rollup_start
from dashboard.intervals.public import (
    QUEUE_INTERVAL_COUNTS,
    QUEUE_INTERVAL_MAXIMA,
    QueueInterval,
    interval_rows,
    queues_filtered,
    team_interval_rows,
)
from dashboard.wfm.models import ForecastInterval

LENGTHS = (15, 30, 60)
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
)
INTEGER_COLUMNS = frozenset({"length_min", *QUEUE_INTERVAL_COUNTS, *QUEUE_INTERVAL_MAXIMA})
FLOAT_COLUMNS = frozenset({"service_level", "asa_s", "aht_s", "abandon_rate"})

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


def interval_export_batches(query: ExportQuery) -> Iterator[list[dict]]:
    """The export's rows, one local day at a time (so memory holds one day, whatever the range): one
    row per queue per interval of ``query.length`` minutes, with the columns of ``EXPORT_COLUMNS``.

    Days are whole local days (a DST day has 92 or 100 quarter-hours), so a 30- or 60-minute roll-up
    never straddles two batches. Only intervals the interval store has aggregated appear."""
    for day in query.days():
        start, end = day_bounds(day)
        batch = []
        for row in interval_rows(start=start, end=end, length=query.length, **query.filters()):
            # The selector's row already holds every count and KPI under the export's names.
            row["interval_start"] = row["local_start"]
            row["interval_start_utc"] = _utc_iso(row["start"])
            row["length_min"] = query.length
            row["team"] = row["team"] or ""
            batch.append(row)
        yield batch


def interval_export_estimate(query: ExportQuery) -> int:
    """About how many rows the export will have (exact for 15 minutes), to size a progress bar."""
    queue_ids = [q.id for q in queues_filtered(**query.filters())]
    start, _ = day_bounds(query.first_day)
    _, end = day_bounds(query.last_day)
    stored = QueueInterval.objects.filter(start__gte=start, start__lt=end, queue_id__in=queue_ids).count()
    return stored * 15 // query.length


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


def staffing_day(query: StaffingQuery) -> dict:
    """Per interval of a local day: the agents an Erlang model needed for the volume and handle time
    that actually happened, against the agents actually staffed (from agent state time).

    * Team: its queues' contacts pooled (offered summed, AHT = handle time ÷ handled of all of them,
      the strictest service-level target and threshold among them) against the team's agents:
      ``staffed`` = logged-in time ÷ interval length, ``productive`` = (available + on contact + after-call
      work) ÷ interval length (paused time is shrinkage).
    * Queue: the queue's own volume against its team's agents apportioned by the queue's share of the
      team's handle time in that interval (of its offered contacts when nothing was handled); a queue
      without a team has no staffed figure.

    Where nothing was handled in an interval with offered contacts, the AHT of the whole day is used.
    Marks: see ``staffing_mark``.
    """
    tz = centre_tz()
    start, end = day_bounds(query.day)
    interval_s = query.length * 60
    if query.team:
        team = Team.objects.filter(name=query.team).first()
        if team is None:
            raise FieldError("team", f"unknown team {query.team!r}")
        queues = list(team.queues.all())
        label = team.name
    else:
        q = Queue.objects.select_related("team").filter(name=query.queue).first()
        if q is None:
            raise FieldError("queue", f"unknown queue {query.queue!r}")
        team, queues, label = q.team, [q], q.name
    if not queues:
        raise FieldError("team", f"{label!r} has no queues")
    target, threshold = _target_of(queues)
    own = {q.id for q in queues}
    if team:
        per_queue = interval_rows(start=start, end=end, length=query.length, team=team.name)
        team_queue_count = team.queues.count()
    else:
        per_queue = interval_rows(start=start, end=end, length=query.length, queue=queues[0].name)
        team_queue_count = 1
    # Sums per interval: ours (the selected queue or team) and the team's (for apportioning).
    ours: dict[datetime, dict] = defaultdict(lambda: dict.fromkeys(("offered", "handled", "handle_ms"), 0))
    teams: dict[datetime, dict] = defaultdict(lambda: dict.fromkeys(("offered", "handled", "handle_ms"), 0))
    for row in per_queue:
        handle = metrics.handle_ms(talk_ms=row["talk_ms"], hold_ms=row["hold_ms"], acw_ms=row["acw_ms"])
        for acc, wanted in ((ours[row["start"]], row["queue_id"] in own), (teams[row["start"]], True)):
            if wanted:
                acc["offered"] += row["offered"]
                acc["handled"] += row["handled"]
                acc["handle_ms"] += handle
    day_handled = sum(r["handled"] for r in ours.values())
    day_aht = metrics.aht_of_handle_s(handle_ms=sum(r["handle_ms"] for r in ours.values()), handled=day_handled)
    agents = (
        {r["start"]: r for r in team_interval_rows(start=start, end=end, length=query.length, team=team.name)}
        if team
        else {}
    )
    starts = sorted({rollup_start(s, query.length) for s in interval_starts(start, end)})
    rows = []
    for at in starts:
        mine, whole = ours.get(at), teams.get(at)
        offered = mine["offered"] if mine else 0
        aht = metrics.aht_of_handle_s(handle_ms=mine["handle_ms"], handled=mine["handled"]) if mine else None
        if aht is None:
            aht = day_aht
        required = _required(
            offered=offered, aht_s=aht, interval_s=interval_s, target=target, threshold=threshold, q=query
        )
        agent_row = agents.get(at)
        staffed = productive = None
        if agent_row is not None:
            share = 1.0
            if query.queue:
                if whole and whole["handle_ms"]:
                    share = mine["handle_ms"] / whole["handle_ms"] if mine else 0.0
                elif whole and whole["offered"]:
                    share = offered / whole["offered"]
                else:
                    share = 1.0 / max(1, team_queue_count)
            staffed = share * agent_row["staffed_s"] / interval_s
            productive = (
                share * (agent_row["available_s"] + agent_row["on_contact_s"] + agent_row["acw_s"]) / interval_s
            )
        rows.append(
            {
                "interval_start": at.astimezone(tz).isoformat(),
                "interval_start_utc": _utc_iso(at),
                "offered": offered,
                "aht_s": aht if offered else None,
                "traffic_erlangs": erlang.interval_traffic(offered=offered, aht_s=aht, interval_s=interval_s),
                "required_agents": required,
                "staffed_agents": staffed,
                "productive_agents": productive,
                "mark": staffing_mark(required=required, staffed=productive, tolerance=query.tolerance),
            }
        )
    return {
        "day": query.day.isoformat(),
        "scope": "team" if query.team else "queue",
        "name": label,
        "team": team.name if team else None,
        "length_min": query.length,
        "service_level_target": target,
        "threshold_s": threshold,
        "model": "erlang_a" if query.patience_s else "erlang_c",
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


def check_filters(*, queue: str | None = None, team: str | None = None, channel: str | None = None) -> None:
    """A FieldError naming the filter when a queue, team or channel name is unknown."""
    if queue and not Queue.objects.filter(name=queue).exists():
        raise FieldError("queue", f"unknown queue {queue!r}")
    if team and not Team.objects.filter(name=team).exists():
        raise FieldError("team", f"unknown team {team!r}")
    if channel and channel not in Channel.values:
        raise FieldError("channel", f"unknown channel {channel!r}; one of {', '.join(Channel.values)}")
