"""Reads of the live situation: one snapshot per queue, team and channel (and for the whole centre).

``live_snapshot`` reads the live state from Redis; ``live_snapshot_from_db`` computes the same from the
database. Both feed ``snapshot_build``, which takes every KPI from ``dashboard.metrics``: they can only
differ if the live state missed an update, and the tests hold them equal.

Periods: *today* is the centre's local day so far (contacts offered since local midnight); the *window*
is the last 30 whole minutes up to and including the current minute; the *intervals* are today's
quarter-hours. A contact's figures belong to the period in which it was offered to the queue; an agent's
"handled today" counts the contacts offered today that the agent answered and finished.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from dashboard.core import erlang, metrics
from dashboard.core.metrics import Counts
from dashboard.core.models import (
    KPI,
    Agent,
    AgentState,
    AgentStateSpan,
    Channel,
    ClosedDay,
    Contact,
    OpeningHours,
    Queue,
    Team,
)
from dashboard.core.opening import LOOKAHEAD_DAYS, OpenState, combined_state, open_state
from dashboard.core.periods import centre_tz
from dashboard.live import keys
from dashboard.live.rules import QueueRule, callback_pending, talking, visit_counts

# KPIs measured in seconds of waiting on the line: they say nothing of an e-mail backlog, so a KPI row
# meant for every queue does not apply to asynchronous queues (a row naming the queue still does).
SYNCHRONOUS_ONLY_KPIS = frozenset({"service_level", "asa", "longest_wait", "waiting"})


@dataclass(frozen=True)
class Periods:
    now: datetime
    today_start: datetime
    today_end: datetime
    window_start: datetime
    window_end: datetime
    window_minutes: tuple[int, ...]
    quarters: tuple[int, ...]  # today's quarter-hours (92, 96 or 100 of them), epoch seconds // 900

    @classmethod
    def at(cls, now: datetime) -> Periods:
        tz = centre_tz()
        day = now.astimezone(tz).date()
        start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
        last = keys.epoch_minute(now)
        minutes = tuple(range(last - keys.WINDOW_MINUTES + 1, last + 1))
        window_start = datetime.fromtimestamp(minutes[0] * 60, tz=UTC)
        window_end = datetime.fromtimestamp((last + 1) * 60, tz=UTC)
        quarters = tuple(range(keys.epoch_quarter(start), keys.epoch_quarter(end)))
        return cls(now, start, end, window_start, window_end, minutes, quarters)


@dataclass
class LiveInputs:
    """What a snapshot is made of, per queue id and agent id."""

    today: dict[int, Counts] = field(default_factory=lambda: defaultdict(Counts))
    window: dict[int, Counts] = field(default_factory=lambda: defaultdict(Counts))
    waiting: dict[int, tuple[int, datetime | None]] = field(default_factory=dict)
    callbacks: dict[int, tuple[int, int]] = field(default_factory=dict)  # (due, overdue)
    agents: dict[int, tuple[str, str, datetime]] = field(default_factory=dict)
    agent_today: dict[int, Counts] = field(default_factory=lambda: defaultdict(Counts))
    agent_contacts: dict[int, list[tuple[int, datetime]]] = field(default_factory=dict)
    quarters: dict[int, dict[int, Counts]] | None = None


def live_config(now: datetime | None = None):
    """The configuration a snapshot needs (queues, agents, teams, KPI rows). Each queue carries its
    calendar as ``calendar``: (weekly opening hours, closed local dates from yesterday on)."""
    # Quarantined queues and agents (from a source's events, not approved yet) are not shown.
    queues = list(Queue.objects.filter(quarantined=False).select_related("team").order_by("name"))
    _attach_calendars(queues, now or timezone.now())
    agents = list(Agent.objects.filter(quarantined=False).prefetch_related("skills").order_by("name"))
    teams = list(Team.objects.order_by("name"))
    kpis = list(KPI.objects.all())
    return queues, agents, teams, kpis


def _attach_calendars(queues: list[Queue], now: datetime) -> None:
    hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for oh in OpeningHours.objects.filter(queue__in=queues):
        hours[oh.queue_id][oh.weekday].append((oh.opens, oh.closes))
    first = now.astimezone(centre_tz()).date() - timedelta(days=1)
    closed: dict[int | None, set] = defaultdict(set)
    for queue_id, day in ClosedDay.objects.filter(
        date__gte=first, date__lte=first + timedelta(days=LOOKAHEAD_DAYS + 2)
    ).values_list("queue_id", "date"):
        closed[queue_id].add(day)
    for q in queues:
        q.calendar = (dict(hours.get(q.id, {})), closed[None] | closed[q.id])


def _open_state(queue: Queue, now: datetime) -> OpenState:
    hours, closed_days = getattr(queue, "calendar", None) or ({}, set())
    return open_state(hours=hours, closed_days=closed_days, now=now, tz=centre_tz())


def _ts(value: float | str) -> datetime:
    return datetime.fromtimestamp(float(value), tz=UTC)


def live_inputs_from_redis(queues, agents, periods: Periods, *, intervals: bool = False) -> LiveInputs:
    r = keys.client()
    pipe = r.pipeline(transaction=False)
    today = periods.now.astimezone(centre_tz()).date()
    now_ts = periods.now.timestamp()
    for q in queues:
        pipe.hgetall(keys.day_key(q.id, today))
        keys.sum_hashes(pipe, [keys.minute_key(q.id, minute) for minute in periods.window_minutes])
        pipe.zcard(keys.waiting_key(q.id))
        pipe.zrange(keys.waiting_key(q.id), 0, 0, withscores=True)
        pipe.zcount(keys.callbacks_key(q.id), f"({now_ts}", "+inf")
        pipe.zcount(keys.callbacks_key(q.id), "-inf", now_ts)
        if intervals:
            for quarter in periods.quarters:
                pipe.hgetall(keys.quarter_key(q.id, quarter))
    for a in agents:
        pipe.hgetall(keys.agent_key(a.id))
        pipe.hgetall(keys.agent_day_key(a.id, today))
        pipe.hgetall(keys.agent_contact_key(a.id))
    replies = iter(pipe.execute())
    inputs = LiveInputs(quarters={} if intervals else None)
    for q in queues:
        inputs.today[q.id] = Counts.from_mapping(next(replies))
        inputs.window[q.id] = Counts.from_mapping(keys.pairs(next(replies)))
        count, oldest = next(replies), next(replies)
        inputs.waiting[q.id] = (count, _ts(oldest[0][1]) if oldest else None)
        inputs.callbacks[q.id] = (next(replies), next(replies))
        if intervals:
            inputs.quarters[q.id] = {quarter: Counts.from_mapping(next(replies)) for quarter in periods.quarters}
    for a in agents:
        state, day, contacts = next(replies), next(replies), next(replies)
        if state.get("state"):
            inputs.agents[a.id] = (state["state"], state.get("reason", ""), _ts(state["since"]))
        inputs.agent_today[a.id] = Counts.from_mapping(day)
        if contacts:
            pairs = (value.split("|") for value in contacts.values())
            inputs.agent_contacts[a.id] = sorted((int(q), _ts(at)) for q, at in pairs)
    return inputs


def live_inputs_from_db(queues, agents, periods: Periods, *, intervals: bool = False) -> LiveInputs:
    rules = {q.id: QueueRule.of(q) for q in queues}
    inputs = LiveInputs(quarters=defaultdict(lambda: defaultdict(Counts)) if intervals else None)
    recent = Contact.objects.filter(
        Q(offered_at__gte=periods.today_start, offered_at__lt=periods.today_end)
        | Q(offered_at__gte=periods.window_start, offered_at__lt=periods.window_end),
        queue_id__in=list(rules),  # the queues shown: not those quarantined
    )
    for visit in recent.iterator(chunk_size=5000):
        counts = visit_counts(visit, rules[visit.queue_id])
        if periods.today_start <= visit.offered_at < periods.today_end:
            inputs.today[visit.queue_id] += counts
            if visit.agent_id:
                inputs.agent_today[visit.agent_id] += counts
            if intervals:
                inputs.quarters[visit.queue_id][keys.epoch_quarter(visit.offered_at)] += counts
        if periods.window_start <= visit.offered_at < periods.window_end:
            inputs.window[visit.queue_id] += counts
    waiting: dict[int, list[datetime]] = defaultdict(list)
    due: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    talking_now: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    current = (
        Q(answered_at=None, abandoned_at=None, transferred_at=None, ended_at=None)
        | Q(answered_at__isnull=False, ended_at=None, transferred_at=None)
        | Q(callback_promised_by__isnull=False, callback_completed_at=None)
    )
    for visit in Contact.objects.filter(current):
        if visit.waiting:
            waiting[visit.queue_id].append(visit.offered_at)
        elif talking(visit) and visit.agent_id:
            talking_now[visit.agent_id].append((visit.queue_id, visit.answered_at))
        if callback_pending(visit):
            due[visit.queue_id][0 if visit.callback_promised_by.timestamp() > periods.now.timestamp() else 1] += 1
    for q in queues:
        times = waiting.get(q.id, [])
        inputs.waiting[q.id] = (len(times), min(times) if times else None)
        inputs.callbacks[q.id] = tuple(due[q.id])
    for span in AgentStateSpan.objects.filter(end=None):
        inputs.agents[span.agent_id] = (span.state, span.reason, span.start)
    inputs.agent_contacts = {a: sorted(pairs) for a, pairs in talking_now.items()}
    if intervals:
        inputs.quarters = {q.id: {t: inputs.quarters[q.id][t] for t in periods.quarters} for q in queues}
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


def _kpi_rows(kpis: list[KPI], scope: str, obj_id: int | None, synchronous: bool = True) -> dict[str, KPI]:
    """The KPI rows that apply: one for this queue/team wins over one for every queue/team."""
    chosen: dict[str, KPI] = {}
    for k in kpis:
        if k.scope != scope:
            continue
        target_id = k.queue_id if scope == KPI.Scope.QUEUE else k.team_id
        if target_id is None and k.code not in chosen:
            if synchronous or k.code not in SYNCHRONOUS_ONLY_KPIS:
                chosen[k.code] = k
        elif target_id is not None and target_id == obj_id:
            chosen[k.code] = k
    return chosen


def _thresholds(rows: dict[str, KPI]) -> dict[str, dict]:
    return {
        code: {"target": k.target, "warning": k.warning, "critical": k.critical, "higher_is_better": k.higher_is_better}
        for code, k in sorted(rows.items())
    }


def _total_period(kinds: metrics.KindCounts, formula: str) -> dict:
    """A total's period: counts of all its queues, service level and ASA of its synchronous ones."""
    kpi = metrics.total_kpis(kinds, formula=formula)
    return {**kinds.all.as_dict(), **{k: _round(v) for k, v in kpi.items()}, "by_kind": metrics.kind_split(kinds)}


def _scope(name, today, window, waiting, callbacks, agent_states, now, *, waits: bool = True) -> dict:
    count, oldest = waiting
    return {
        "name": name,
        "waiting": count,
        "oldest_offered_at": oldest.isoformat() if oldest else None,
        # None: a total without a synchronous queue has no one waiting on the line to time.
        "longest_wait_s": _round(metrics.longest_wait_s(oldest, now)) if waits else None,
        "callbacks_due": callbacks[0],
        "callbacks_overdue": callbacks[1],
        "agents": _agent_counts(agent_states),
        "today": today,
        "last_30m": window,
    }


EWT_MIN_WINDOW_S = 300  # an arrival rate from less than 5 minutes (just after midnight) is noise


def expected_wait(scope: dict, periods: Periods) -> dict:
    """``ewt_s`` and ``ewt_method`` of a synchronous queue's scope (``erlang.expected_wait``): its
    contacts waiting, its agents by state, today's AHT and the arrival rate of the last 30 minutes."""
    agents = scope["agents"]
    window_s = (periods.now - max(periods.window_start, periods.today_start)).total_seconds()
    rate = scope["last_30m"]["offered"] / window_s if window_s >= EWT_MIN_WINDOW_S else None
    staffed = agents[AgentState.AVAILABLE] + agents[AgentState.ON_CONTACT] + agents[AgentState.ACW]
    ewt = erlang.expected_wait(
        waiting=scope["waiting"],
        available=agents[AgentState.AVAILABLE],
        staffed=staffed,
        aht_s=scope["today"]["aht_s"],
        offered_per_s=rate,
    )
    return {"ewt_s": _round(ewt.ewt_s), "ewt_method": ewt.method}


def kpi_values(scope: dict) -> dict:
    """The value each KPI code is judged on, from a scope of the snapshot."""
    return {
        "service_level": scope["today"]["service_level"],
        "asa": scope["today"]["asa_s"],
        "aht": scope["today"]["aht_s"],
        "abandon_rate": scope["today"]["abandon_rate"],
        "waiting": scope["waiting"],
        "longest_wait": scope["longest_wait_s"],
        "occupancy": scope["agents"]["occupancy"],
        "agents_available": scope["agents"][AgentState.AVAILABLE],
        "callbacks_overdue": scope["callbacks_overdue"],
    }


def _merge_waiting(items: list[tuple[int, datetime | None]]) -> tuple[int, datetime | None]:
    oldest = [o for _, o in items if o is not None]
    return sum(c for c, _ in items), (min(oldest) if oldest else None)


def _interval_rows(inputs: LiveInputs, periods: Periods, qs: list[Queue], formula: str) -> list[dict]:
    """Today's quarter-hours of a scope: counts of all its queues, the service level of its synchronous
    ones (a single queue: its own)."""
    tz = centre_tz()
    rows = []
    for quarter in periods.quarters:
        kinds = metrics.KindCounts.of((q.is_synchronous or len(qs) == 1, inputs.quarters[q.id][quarter]) for q in qs)
        counts = kinds.all
        rows.append(
            {
                "start": datetime.fromtimestamp(quarter * 900, tz=tz).isoformat(),
                "offered": counts.offered,
                "answered": counts.answered,
                "abandoned": counts.abandoned,
                "service_level": _round(metrics.total_kpis(kinds, formula=formula)["service_level"]),
            }
        )
    return rows


def snapshot_build(config, inputs: LiveInputs, periods: Periods, team_ids: set[int] | None = None) -> dict:
    """The snapshot for every scope ``team_ids`` allows (None: all, including channel and centre totals)."""
    queues, agents, teams, kpis = config
    now = periods.now
    queue_by_id = {q.id: q for q in queues}
    visible_queues = [q for q in queues if team_ids is None or q.team_id in team_ids]
    skilled: dict[int, list[Agent]] = defaultdict(list)
    for a in agents:
        for q in a.skills.all():
            skilled[q.id].append(a)

    def agent_states(members):
        return [inputs.agents.get(a.id) for a in members]

    opening = {q.id: _open_state(q, now) for q in queues}

    def callbacks_of(qs):
        return tuple(map(sum, zip(*[inputs.callbacks[q.id] for q in qs], strict=True))) if qs else (0, 0)

    def queue_scope(q: Queue) -> dict:
        """One queue, judged on its own figures whatever its kind."""
        scope = _scope(
            q.name,
            _period(inputs.today[q.id], q.sl_formula),
            _period(inputs.window[q.id], q.sl_formula),
            inputs.waiting[q.id],
            callbacks_of([q]),
            agent_states(skilled[q.id]),
            now,
        )
        if inputs.quarters is not None:
            scope["intervals"] = _interval_rows(inputs, periods, [q], q.sl_formula)
        state = combined_state([opening[q.id]])
        scope.update(open=state.open, opens_at=state.next_open.isoformat() if state.next_open else None)
        return scope

    def aggregate(name, qs, members):
        """A total of queues (team, channel, centre), kinds kept apart (``metrics.total_kpis``): waiting,
        longest wait, service level and ASA are its synchronous queues'; its asynchronous queues are the
        ``async`` block (backlog, oldest item, response-time attainment); counts are summed."""
        sync = [q for q in qs if q.is_synchronous]
        asyn = [q for q in qs if not q.is_synchronous]
        formula = metrics.pooled_sl_formula(q.sl_formula for q in sync)
        today = metrics.KindCounts.of((q.is_synchronous, inputs.today[q.id]) for q in qs)
        window = metrics.KindCounts.of((q.is_synchronous, inputs.window[q.id]) for q in qs)
        scope = _scope(
            name,
            _total_period(today, formula),
            _total_period(window, formula),
            _merge_waiting([inputs.waiting[q.id] for q in sync]),
            callbacks_of(qs),
            agent_states(members),
            now,
            waits=bool(sync),
        )
        scope["queue_ids"] = [q.id for q in qs]
        backlog_count, backlog_oldest = _merge_waiting([inputs.waiting[q.id] for q in asyn])
        scope["backlog"] = backlog_count
        scope["oldest_backlog_at"] = backlog_oldest.isoformat() if backlog_oldest else None
        scope["synchronous"] = bool(sync)
        block = metrics.async_block(
            today.asynchronous,
            queues=len(asyn),
            backlog=backlog_count,
            oldest_age_s=metrics.longest_wait_s(backlog_oldest, now) if backlog_oldest else None,
        )
        block["oldest_s"] = _round(block["oldest_s"])
        block["response_attainment"] = _round(block["response_attainment"])
        block["oldest_at"] = scope["oldest_backlog_at"]
        # As bad as its worst queue: each oldest item against its own queue's response target.
        block["status"] = metrics.worst_status(
            metrics.response_status(metrics.longest_wait_s(inputs.waiting[q.id][1], now), q.response_target_s)
            for q in asyn
        )
        scope["async"] = block
        if inputs.quarters is not None:
            scope["intervals"] = _interval_rows(inputs, periods, qs, formula)
        # Every screen shows the same fact: closed, and from when it opens again (None: not in sight).
        state = combined_state([opening[q.id] for q in qs])
        scope.update(open=state.open, opens_at=state.next_open.isoformat() if state.next_open else None)
        return scope

    # Who a scope's agent counts are: a queue's and a channel's are the agents skilled on it (an agent
    # with several skills counts on each of those queues, so a team's queues add up to more agents than
    # the team), a team's its members, the centre's every agent once.
    out_queues = []
    for q in visible_queues:
        scope = queue_scope(q)
        scope["agents_by"] = "skill"
        oldest_age = scope["longest_wait_s"]
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
            response_target_pct=_round(metrics.response_target_share(oldest_age, q.response_target_s)),
        )
        if q.is_synchronous:
            scope.update(expected_wait(scope, periods))
        rows = _kpi_rows(kpis, KPI.Scope.QUEUE, q.id, q.is_synchronous)
        values = kpi_values(scope)
        scope["status"] = {code: k.status(values.get(code)) for code, k in sorted(rows.items())}
        if not q.is_synchronous and q.response_target_s:
            scope["status"]["response_target"] = metrics.response_status(oldest_age, q.response_target_s)
        scope["thresholds"] = _thresholds(rows)
        out_queues.append(scope)

    out_teams = []
    for t in teams:
        if team_ids is not None and t.id not in team_ids:
            continue
        members = [a for a in agents if a.team_id == t.id]
        scope = aggregate(t.name, [q for q in queues if q.team_id == t.id], members)
        scope.update(id=t.id, line=t.line, agents_by="team")
        rows = _kpi_rows(kpis, KPI.Scope.TEAM, t.id, scope["synchronous"])
        values = kpi_values(scope)
        scope["status"] = {code: k.status(values.get(code)) for code, k in sorted(rows.items())}
        scope["thresholds"] = _thresholds(rows)
        scope["agent_list"] = [_agent_row(a, inputs, queue_by_id) for a in members]
        out_teams.append(scope)

    snapshot = {
        "generated_at": now.isoformat(),
        "time_zone": centre_tz().key,
        "today": periods.today_start.astimezone(centre_tz()).date().isoformat(),
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
            scope["agents_by"] = "skill"
            channels.append(scope)
        snapshot["channels"] = channels
        snapshot["all"] = aggregate("all", queues, agents)
        snapshot["all"]["agents_by"] = "centre"
    return snapshot


def _agent_row(agent: Agent, inputs: LiveInputs, queue_by_id: dict[int, Queue]) -> dict:
    state, reason, since = inputs.agents.get(agent.id) or (AgentState.LOGGED_OUT, "", None)
    today = inputs.agent_today.get(agent.id) or Counts()
    contacts = inputs.agent_contacts.get(agent.id) or []
    queue_id, answered_at = contacts[-1] if contacts else (None, None)
    return {
        "id": agent.id,
        "login_id": agent.login_id,
        "name": agent.name,
        "state": state,
        "reason": reason,
        "since": since.isoformat() if since else None,
        "contact_queue_id": queue_id,
        "contact_queue": queue_by_id[queue_id].name if queue_id in queue_by_id else None,
        "contact_since": answered_at.isoformat() if answered_at else None,
        "handled_today": today.handled,
        "aht_today_s": _round(
            metrics.aht_s(talk_ms=today.talk_ms, hold_ms=today.hold_ms, acw_ms=today.acw_ms, handled=today.handled)
        ),
    }


def live_snapshot(
    *, team_ids: set[int] | None = None, now: datetime | None = None, intervals: bool = False, config=None
) -> dict:
    """The live snapshot from Redis (what the wallboards show).

    A read never writes: while the live state is not loaded (Redis restarted or was flushed, and the
    publisher or the ``live_state_ensure`` task has not rebuilt it yet) the same snapshot is computed
    from the database, which the live state only caches. ``config``: what ``live_config`` returned, when
    the caller keeps it (the publisher); read afresh otherwise."""
    periods = Periods.at(now or timezone.now())
    config = config or live_config(periods.now)
    if keys.client().exists(keys.loaded_key()):
        inputs = live_inputs_from_redis(config[0], config[1], periods, intervals=intervals)
    else:
        inputs = live_inputs_from_db(config[0], config[1], periods, intervals=intervals)
    return snapshot_build(config, inputs, periods, team_ids)


def live_snapshot_from_db(
    *, team_ids: set[int] | None = None, now: datetime | None = None, intervals: bool = False
) -> dict:
    """The same snapshot computed afresh from the database (the check on the live state)."""
    periods = Periods.at(now or timezone.now())
    config = live_config(periods.now)
    inputs = live_inputs_from_db(config[0], config[1], periods, intervals=intervals)
    return snapshot_build(config, inputs, periods, team_ids)


def queue_scope_live(*, queue_id: int, team_ids: set[int] | None = None, now: datetime | None = None) -> dict | None:
    """One queue's scope of the live snapshot (with ``generated_at``), or None when there is no such queue
    among those ``team_ids`` allow."""
    snapshot = live_snapshot(team_ids=team_ids, now=now)
    for scope in snapshot["queues"]:
        if scope["id"] == queue_id:
            return {**scope, "generated_at": snapshot["generated_at"]}
    return None


def live_intraday(*, queue_ids: list[int], team_ids: list[int], now: datetime | None = None) -> dict:
    """Today so far for the intraday view, from the live state (the figures of the minute, not waiting for
    the interval store's aggregation): ``quarters`` — per queue id, per quarter-hour of today up to the
    current one (its UTC start), the ``Counts`` of the contacts offered in it — and ``logged_in``, the
    agents of ``team_ids`` logged in now. Read from the database when the live state is not loaded, as
    ``live_snapshot`` does."""
    periods = Periods.at(now or timezone.now())
    queues = list(Queue.objects.filter(id__in=queue_ids).select_related("team"))
    agents = list(Agent.objects.filter(team_id__in=team_ids, quarantined=False).prefetch_related("skills"))
    loaded = bool(keys.client().exists(keys.loaded_key()))
    read = live_inputs_from_redis if loaded else live_inputs_from_db
    inputs = read(queues, agents, periods, intervals=True)
    current = keys.epoch_quarter(periods.now)
    shown = [quarter for quarter in periods.quarters if quarter <= current]
    quarters = {
        q.id: {datetime.fromtimestamp(quarter * 900, tz=UTC): inputs.quarters[q.id][quarter] for quarter in shown}
        for q in queues
    }
    logged_in = sum(1 for state in inputs.agents.values() if state and state[0] != AgentState.LOGGED_OUT)
    return {"generated_at": periods.now, "quarters": quarters, "logged_in": logged_in, "from_live_state": loaded}


def live_agent_states(*, agent_ids: list[int]) -> dict[int, tuple[str, str, datetime]]:
    """The current state of each of ``agent_ids`` as ``(state, reason, since)`` — from the live state, or
    from the database's open spans when the live state is not loaded; an agent without any is absent."""
    if not agent_ids:
        return {}
    r = keys.client()
    if not r.exists(keys.loaded_key()):
        return {
            span.agent_id: (span.state, span.reason, span.start)
            for span in AgentStateSpan.objects.filter(end=None, agent_id__in=agent_ids)
        }
    pipe = r.pipeline(transaction=False)
    for agent_id in agent_ids:
        pipe.hgetall(keys.agent_key(agent_id))
    out = {}
    for agent_id, state in zip(agent_ids, pipe.execute(), strict=True):
        if state.get("state"):
            out[agent_id] = (state["state"], state.get("reason", ""), _ts(state["since"]))
    return out
