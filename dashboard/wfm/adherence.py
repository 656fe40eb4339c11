"""Reads for schedules and adherence (docs/wfm.md §7): a day's adherence per scheduled agent (``GET
/api/v1/wfm/adherence/`` and the supervisor view), adherence and conformance per team for the daily
report, and the scheduled agents per interval for the intraday view, required against staffed and the
interval export. The rules are ``dashboard.core.adherence``'s; the actual states are the agent state
spans the ingest derives from ``agent.state`` events, and for "now" the live state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from dashboard.core import adherence as rules
from dashboard.core.errors import FieldError
from dashboard.core.models import Agent, AgentStateSpan, Team
from dashboard.core.periods import centre_tz, day_bounds, local_today
from dashboard.live.public import live_agent_states
from dashboard.wfm.models import ScheduleEntry

# An entry is at most this long (the import refuses longer ones): entries reaching into a period start
# at most this long before it, which keeps the query on the (agent, start) index.
ENTRY_REACH = timedelta(days=7, hours=1)


def agent_plans(agent_ids: Iterable[int] | None, start: datetime, end: datetime) -> dict[int, list[rules.PlannedSpan]]:
    """The schedule entries overlapping ``[start, end)`` per agent id (``agent_ids`` None: every agent)."""
    entries = ScheduleEntry.objects.filter(start__lt=end, start__gte=start - ENTRY_REACH, end__gt=start)
    if agent_ids is not None:
        entries = entries.filter(agent_id__in=list(agent_ids))
    out: dict[int, list[rules.PlannedSpan]] = defaultdict(list)
    for agent_id, s, e, code, counts_as in entries.values_list(
        "agent_id", "start", "end", "activity__code", "activity__counts_as"
    ).order_by("agent_id", "start"):
        out[agent_id].append(rules.PlannedSpan(s, e, code, counts_as))
    return out


def agent_states(agent_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[rules.StateSpan]]:
    """The agent state spans overlapping ``[start, end)`` per agent id."""
    spans = AgentStateSpan.objects.filter(agent_id__in=list(agent_ids), start__lt=end).filter(
        Q(end__isnull=True) | Q(end__gt=start)
    )
    out: dict[int, list[rules.StateSpan]] = defaultdict(list)
    for agent_id, s, e, state in spans.values_list("agent_id", "start", "end", "state").order_by("agent_id", "start"):
        out[agent_id].append(rules.StateSpan(s, e, state))
    return out


def _scheduled(plan: Sequence[rules.PlannedSpan], start: datetime, end: datetime) -> bool:
    """Does the plan schedule any working or away time within ``[start, end)``?"""
    return any(span.counts_as != rules.OFF and b > start and a < end for a, b, span in rules.resolve_plan(plan))


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def adherence_day(
    *,
    day: date | None = None,
    team: int | None = None,
    team_ids: set[int] | None = None,
    now: datetime | None = None,
) -> dict:
    """Adherence per scheduled agent for a local day so far: the agents of ``team`` (an id), or of every
    team ``team_ids`` allows (None: every agent), who have working or away time scheduled that day.

    Per agent: ``planned_activity`` and ``actual_state`` now (today only: the plan at this moment and the
    live state), ``in_adherence`` now (null when nothing is scheduled now, or not today),
    ``adherence_pct`` and ``minutes_out`` over the day's scheduled time up to now (a past day: the whole
    day), ``conformance_pct``, and ``out_for_min`` — how long the current stretch out of adherence has
    lasted — with ``marked`` when it is more than ``mark_after_min`` (``KCC_ADHERENCE_MARK_MIN``)."""
    now = now or timezone.now()
    tz = centre_tz()
    today = local_today(now)
    day = day or today
    start, end = day_bounds(day)
    until = min(max(now, start), end)
    agents = Agent.objects.filter(quarantined=False).select_related("team").order_by("name")
    chosen = None
    if team is not None:
        chosen = Team.objects.filter(id=team).first()
        if chosen is None:
            raise FieldError("team", f"no team {team}")
        if team_ids is not None and team not in team_ids:
            raise PermissionError(f"team {team}: you may not see this team")
        agents = agents.filter(team_id=team)
    elif team_ids is not None:
        agents = agents.filter(team_id__in=team_ids)
    agents = list(agents)
    plans = agent_plans([a.id for a in agents], start, end)
    scheduled = [a for a in agents if _scheduled(plans.get(a.id, ()), start, end)]
    states = agent_states([a.id for a in scheduled], start, until)
    live = live_agent_states(agent_ids=[a.id for a in scheduled]) if day == today else {}
    mark_after = settings.KCC_ADHERENCE_MARK_MIN
    rows = []
    total = defaultdict(float)
    for a in scheduled:
        plan = plans[a.id]
        result = rules.adherence(plan=plan, states=states.get(a.id, ()), start=start, until=until)
        for key in ("scheduled_s", "in_adherence_s", "scheduled_working_s", "worked_s"):
            total[key] += getattr(result, key)
        planned_now = state_now = reason_now = kept_now = None
        out_for = None
        if day == today:
            span = rules.planned_at(plan, now)
            planned_now = span
            state, reason, _since = live.get(a.id, (rules.LOGGED_OUT, "", None))
            state_now, reason_now = state, reason
            kept_now = rules.in_adherence(span.counts_as, state) if span else None
            if kept_now is False and result.out_since is not None:
                out_for = (now - result.out_since).total_seconds() / 60.0
        rows.append(
            {
                "agent_id": a.id,
                "agent": a.login_id,
                "name": a.name,
                "team": a.team.name if a.team else None,
                "planned_activity": planned_now.activity if planned_now else None,
                "planned_counts_as": planned_now.counts_as if planned_now else None,
                "planned_until": planned_now.end.astimezone(tz).isoformat() if planned_now else None,
                "actual_state": state_now,
                "actual_reason": reason_now or None,
                "in_adherence": kept_now,
                "scheduled_min": round(result.scheduled_s / 60.0, 1),
                "adherence_pct": _pct(result.adherence_pct),
                "minutes_out": round(result.minutes_out, 1),
                "conformance_pct": _pct(result.conformance_pct),
                "out_for_min": round(out_for, 1) if out_for is not None else None,
                "marked": out_for is not None and out_for > mark_after,
            }
        )
    return {
        "date": day.isoformat(),
        "time_zone": tz.key,
        "generated_at": now.astimezone(tz).isoformat(),
        "until": until.astimezone(tz).isoformat(),
        "team": {"id": chosen.id, "name": chosen.name} if chosen else None,
        "mark_after_min": mark_after,
        "totals": {
            "agents": len(rows),
            "scheduled_min": round(total["scheduled_s"] / 60.0, 1),
            "minutes_out": round((total["scheduled_s"] - total["in_adherence_s"]) / 60.0, 1),
            "adherence_pct": _pct(
                rules.adherence_pct(in_adherence_s=total["in_adherence_s"], scheduled_s=total["scheduled_s"])
            ),
            "conformance_pct": _pct(
                rules.conformance_pct(worked_s=total["worked_s"], scheduled_working_s=total["scheduled_working_s"])
            ),
            "marked": sum(r["marked"] for r in rows),
        },
        "agents": rows,
    }


def team_adherence(*, start: datetime, end: datetime) -> dict[int, dict[str, float]]:
    """Per team id (0: agents without a team), summed over its scheduled agents for ``[start, end)``:
    ``scheduled_s``, ``in_adherence_s``, ``scheduled_working_s`` and ``worked_s`` (the daily report's
    adherence and conformance; seconds add up over days and teams, percentages do not)."""
    if end <= start:
        return {}
    plans = agent_plans(None, start, end)
    if not plans:
        return {}
    team_of = dict(Agent.objects.filter(id__in=list(plans)).values_list("id", "team_id"))
    states = agent_states(list(plans), start, end)
    out: dict[int, dict[str, float]] = {}
    for agent_id, plan in plans.items():
        if agent_id not in team_of or not _scheduled(plan, start, end):
            continue
        result = rules.adherence(plan=plan, states=states.get(agent_id, ()), start=start, until=end)
        acc = out.setdefault(team_of[agent_id] or 0, dict.fromkeys(TEAM_ADHERENCE_SECONDS, 0.0))
        for key in TEAM_ADHERENCE_SECONDS:
            acc[key] += getattr(result, key)
    return out


TEAM_ADHERENCE_SECONDS = ("scheduled_s", "in_adherence_s", "scheduled_working_s", "worked_s")


def scheduled_seconds(*, agent_ids: Iterable[int] | None, starts: Sequence[datetime], length_s: int) -> list[float]:
    """Per interval ``[s, s + length_s)`` of ``starts``: the seconds of working time the agents (None:
    every agent) are scheduled for, summed — ÷ ``length_s`` it is the interval's scheduled agents."""
    if not starts:
        return []
    plans = agent_plans(agent_ids, starts[0], starts[-1] + timedelta(seconds=length_s))
    totals = [0.0] * len(starts)
    for plan in plans.values():
        for i, seconds in enumerate(rules.working_seconds_per_interval(plan, starts, length_s)):
            totals[i] += seconds
    return totals


def scheduled_seconds_by_agent(
    *, agent_ids: Iterable[int] | None, starts: Sequence[datetime], length_s: int
) -> dict[int, list[float]]:
    """``scheduled_seconds`` per agent id (agents without working time scheduled are absent)."""
    if not starts:
        return {}
    plans = agent_plans(agent_ids, starts[0], starts[-1] + timedelta(seconds=length_s))
    out = {}
    for agent_id, plan in plans.items():
        seconds = rules.working_seconds_per_interval(plan, starts, length_s)
        if any(seconds):
            out[agent_id] = seconds
    return out


__all__ = [
    "TEAM_ADHERENCE_SECONDS",
    "adherence_day",
    "agent_plans",
    "agent_states",
    "scheduled_seconds",
    "scheduled_seconds_by_agent",
    "team_adherence",
]
