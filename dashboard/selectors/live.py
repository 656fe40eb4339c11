"""Reads of the live situation: one snapshot per queue, team and channel (and for the whole centre).

``live_snapshot`` reads the live state from Redis; ``live_snapshot_from_db`` computes the same from the
database. Both feed ``snapshot_build``, which takes every KPI from ``dashboard.metrics``: they can only
differ if the live state missed an update, and the tests hold them equal.

Periods: *today* is the centre's local day so far (contacts offered since local midnight); the *window*
is the last 30 whole minutes up to and including the current minute. A contact's figures belong to
the period in which it was offered to the queue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from dashboard import livekeys as keys
from dashboard import metrics
from dashboard.metrics import Counts
from dashboard.models import KPI, Agent, AgentState, AgentStateSpan, Channel, Contact, Queue, Team
from dashboard.services.live import QueueRule, live_ensure_loaded, visit_counts


@dataclass(frozen=True)
class Periods:
    now: datetime
    today_start: datetime
    today_end: datetime
    window_start: datetime
    window_end: datetime
    window_minutes: tuple[int, ...]

    @classmethod
    def at(cls, now: datetime) -> Periods:
        tz = keys.centre_tz()
        day = now.astimezone(tz).date()
        start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
        last = keys.epoch_minute(now)
        minutes = tuple(range(last - keys.WINDOW_MINUTES + 1, last + 1))
        window_start = datetime.fromtimestamp(minutes[0] * 60, tz=UTC)
        window_end = datetime.fromtimestamp((last + 1) * 60, tz=UTC)
        return cls(now, start, end, window_start, window_end, minutes)


@dataclass
class LiveInputs:
    """What a snapshot is made of, per queue id and agent id."""

    today: dict[int, Counts]
    window: dict[int, Counts]
    waiting: dict[int, tuple[int, datetime | None]]
    agents: dict[int, tuple[str, str, datetime]]


def _config():
    queues = list(Queue.objects.select_related("team").order_by("name"))
    agents = list(Agent.objects.prefetch_related("skills").order_by("name"))
    teams = list(Team.objects.order_by("name"))
    kpis = list(KPI.objects.all())
    return queues, agents, teams, kpis


def live_inputs_from_redis(queues: list[Queue], agents: list[Agent], periods: Periods) -> LiveInputs:
    live_ensure_loaded()
    r = keys.client()
    pipe = r.pipeline(transaction=False)
    today = periods.now.astimezone(keys.centre_tz()).date()
    for q in queues:
        pipe.hgetall(keys.day_key(q.id, today))
        for minute in periods.window_minutes:
            pipe.hgetall(keys.minute_key(q.id, minute))
        pipe.zcard(keys.waiting_key(q.id))
        pipe.zrange(keys.waiting_key(q.id), 0, 0, withscores=True)
    for a in agents:
        pipe.hgetall(keys.agent_key(a.id))
    replies = iter(pipe.execute())
    inputs = LiveInputs({}, {}, {}, {})
    for q in queues:
        inputs.today[q.id] = Counts.from_mapping(next(replies))
        window = Counts()
        for _ in periods.window_minutes:
            window += Counts.from_mapping(next(replies))
        inputs.window[q.id] = window
        count, oldest = next(replies), next(replies)
        oldest_at = datetime.fromtimestamp(oldest[0][1], tz=UTC) if oldest else None
        inputs.waiting[q.id] = (count, oldest_at)
    for a in agents:
        h = next(replies)
        if h.get("state"):
            inputs.agents[a.id] = (h["state"], h.get("reason", ""), datetime.fromtimestamp(float(h["since"]), tz=UTC))
    return inputs


def live_inputs_from_db(queues: list[Queue], agents: list[Agent], periods: Periods) -> LiveInputs:
    rules = {q.id: QueueRule.of(q) for q in queues}
    inputs = LiveInputs(defaultdict(Counts), defaultdict(Counts), {}, {})
    recent = Contact.objects.filter(
        Q(offered_at__gte=periods.today_start, offered_at__lt=periods.today_end)
        | Q(offered_at__gte=periods.window_start, offered_at__lt=periods.window_end)
    )
    for visit in recent.iterator(chunk_size=5000):
        counts = visit_counts(visit, rules[visit.queue_id])
        if periods.today_start <= visit.offered_at < periods.today_end:
            inputs.today[visit.queue_id] += counts
        if periods.window_start <= visit.offered_at < periods.window_end:
            inputs.window[visit.queue_id] += counts
    waiting: dict[int, list[datetime]] = defaultdict(list)
    for visit in Contact.objects.filter(answered_at=None, abandoned_at=None, transferred_at=None, ended_at=None):
        waiting[visit.queue_id].append(visit.offered_at)
    for q in queues:
        times = waiting.get(q.id, [])
        inputs.waiting[q.id] = (len(times), min(times) if times else None)
    for span in AgentStateSpan.objects.filter(end=None):
        inputs.agents[span.agent_id] = (span.state, span.reason, span.start)
    return inputs


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _period(counts: Counts, formula: str) -> dict:
    kpi = metrics.kpis(counts, formula=formula)
    return {**counts.as_dict(), **{k: _round(v) for k, v in kpi.items()}}


def _agent_counts(states: list[tuple[str, str, datetime] | None]) -> dict:
    counts = {s: 0 for s in AgentState.values}
    paused_by_reason: dict[str, int] = defaultdict(int)
    for entry in states:
        state = entry[0] if entry else AgentState.LOGGED_OUT
        counts[state] = counts.get(state, 0) + 1
        if state == AgentState.PAUSED:
            paused_by_reason[entry[1] or "-"] += 1
    counts["logged_in"] = len(states) - counts[AgentState.LOGGED_OUT]
    counts["paused_by_reason"] = dict(sorted(paused_by_reason.items()))
    counts["occupancy"] = _round(
        metrics.occupancy(
            on_contact_s=counts[AgentState.ON_CONTACT],
            acw_s=counts[AgentState.ACW],
            available_s=counts[AgentState.AVAILABLE],
        )
    )
    return counts


def _kpi_status(kpis: list[KPI], scope: str, obj_id: int | None, values: dict) -> dict[str, str]:
    """Each configured KPI's status: a KPI row for this queue/team wins over one for every queue/team."""
    chosen: dict[str, KPI] = {}
    for k in kpis:
        if k.scope != scope:
            continue
        target_id = k.queue_id if scope == KPI.Scope.QUEUE else k.team_id
        if target_id is None and k.code not in chosen:
            chosen[k.code] = k
        elif target_id is not None and target_id == obj_id:
            chosen[k.code] = k
    return {code: k.status(values.get(code)) for code, k in sorted(chosen.items())}


def _scope(name, counts_today, counts_window, waiting, agent_states, formula, now) -> dict:
    count, oldest = waiting
    scope = {
        "name": name,
        "waiting": count,
        "oldest_offered_at": oldest.isoformat() if oldest else None,
        "longest_wait_s": _round(metrics.longest_wait_s(oldest, now)),
        "agents": _agent_counts(agent_states),
        "today": _period(counts_today, formula),
        "last_30m": _period(counts_window, formula),
    }
    return scope


def _kpi_values(scope: dict) -> dict:
    return {
        "service_level": scope["today"]["service_level"],
        "asa": scope["today"]["asa_s"],
        "aht": scope["today"]["aht_s"],
        "abandon_rate": scope["today"]["abandon_rate"],
        "waiting": scope["waiting"],
        "longest_wait": scope["longest_wait_s"],
        "occupancy": scope["agents"]["occupancy"],
        "agents_available": scope["agents"][AgentState.AVAILABLE],
    }


def _merge_waiting(items: list[tuple[int, datetime | None]]) -> tuple[int, datetime | None]:
    oldest = [o for _, o in items if o is not None]
    return sum(c for c, _ in items), (min(oldest) if oldest else None)


def _common_formula(queues: list[Queue]) -> str:
    formulas = {q.sl_formula for q in queues}
    return formulas.pop() if len(formulas) == 1 else metrics.SL_DEFAULT


def snapshot_build(config, inputs: LiveInputs, periods: Periods, team_ids: set[int] | None = None) -> dict:
    """The snapshot for every scope ``team_ids`` allows (None: all, including channel and centre totals)."""
    queues, agents, teams, kpis = config
    now = periods.now
    visible_queues = [q for q in queues if team_ids is None or q.team_id in team_ids]
    skilled: dict[int, list[Agent]] = defaultdict(list)
    for a in agents:
        for q in a.skills.all():
            skilled[q.id].append(a)

    def agent_states(members):
        return [inputs.agents.get(a.id) for a in members]

    def aggregate(name, qs, members):
        return _scope(
            name,
            sum((inputs.today[q.id] for q in qs), Counts()),
            sum((inputs.window[q.id] for q in qs), Counts()),
            _merge_waiting([inputs.waiting[q.id] for q in qs]),
            agent_states(members),
            _common_formula(qs),
            now,
        )

    out_queues = []
    for q in visible_queues:
        scope = _scope(
            q.name,
            inputs.today[q.id],
            inputs.window[q.id],
            inputs.waiting[q.id],
            agent_states(skilled[q.id]),
            q.sl_formula,
            now,
        )
        scope.update(
            id=q.id,
            channel=q.channel,
            synchronous=q.is_synchronous,
            team_id=q.team_id,
            team=q.team.name if q.team else None,
            sl_formula=q.sl_formula,
            sl_threshold_s=q.sl_threshold_s,
            sl_target_pct=float(q.sl_target_pct),
            short_abandon_threshold_s=q.short_abandon_threshold_s,
            response_target_s=q.response_target_s,
        )
        scope["status"] = _kpi_status(kpis, KPI.Scope.QUEUE, q.id, _kpi_values(scope))
        out_queues.append(scope)

    out_teams = []
    for t in teams:
        if team_ids is not None and t.id not in team_ids:
            continue
        members = [a for a in agents if a.team_id == t.id]
        scope = aggregate(t.name, [q for q in queues if q.team_id == t.id], members)
        scope.update(id=t.id, line=t.line)
        scope["status"] = _kpi_status(kpis, KPI.Scope.TEAM, t.id, _kpi_values(scope))
        scope["agent_list"] = [
            {
                "id": a.id,
                "login_id": a.login_id,
                "name": a.name,
                "state": (inputs.agents.get(a.id) or (AgentState.LOGGED_OUT,))[0],
                "reason": inputs.agents[a.id][1] if a.id in inputs.agents else "",
                "since": inputs.agents[a.id][2].isoformat() if a.id in inputs.agents else None,
            }
            for a in members
        ]
        out_teams.append(scope)

    snapshot = {
        "generated_at": now.isoformat(),
        "time_zone": keys.centre_tz().key,
        "today": periods.today_start.astimezone(keys.centre_tz()).date().isoformat(),
        "window": {"start": periods.window_start.isoformat(), "end": periods.window_end.isoformat()},
        "queues": out_queues,
        "teams": out_teams,
    }
    if team_ids is None:
        channels = []
        for value, label in Channel.choices:
            qs = [q for q in queues if q.channel == value]
            if not qs:
                continue
            members = {a.id: a for q in qs for a in skilled[q.id]}.values()
            scope = aggregate(str(label), qs, list(members))
            scope["channel"] = value
            channels.append(scope)
        snapshot["channels"] = channels
        snapshot["all"] = aggregate("all", queues, agents)
    return snapshot


def live_snapshot(*, team_ids: set[int] | None = None, now: datetime | None = None) -> dict:
    """The live snapshot from Redis (what the wallboards show)."""
    periods = Periods.at(now or timezone.now())
    config = _config()
    return snapshot_build(config, live_inputs_from_redis(config[0], config[1], periods), periods, team_ids)


def live_snapshot_from_db(*, team_ids: set[int] | None = None, now: datetime | None = None) -> dict:
    """The same snapshot computed afresh from the database (the check on the live state)."""
    periods = Periods.at(now or timezone.now())
    config = _config()
    return snapshot_build(config, live_inputs_from_db(config[0], config[1], periods), periods, team_ids)
