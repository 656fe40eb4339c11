"""Reads for the intraday view: today's forecast against actual, live, with the rest of the day
reforecast, the agents it needs and the alert "unannounced campaign?" (docs/wfm.md §6).

Today's actual figures come from the live state (``dashboard.live.public.live_intraday``: the figures of
the minute, not waiting for the interval store); another day's from the interval store. The rules —
deviation, reforecast, alert — are ``dashboard.core.wfm``'s; the agents ``dashboard.core.erlang``'s and
``dashboard.core.metrics.workload_agents``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext

from dashboard.core import erlang, metrics
from dashboard.core import wfm as rules
from dashboard.core.errors import FieldError
from dashboard.core.models import Agent, Channel, Queue, Team
from dashboard.core.periods import centre_tz, day_bounds, interval_starts, local_today
from dashboard.intervals.public import QueueInterval, TeamInterval
from dashboard.live.public import live_intraday
from dashboard.wfm.adherence import scheduled_seconds
from dashboard.wfm.models import ForecastInterval, IntradaySetting
from dashboard.wfm.selectors import closed_until

INTERVAL_MIN = 15  # the forecast's interval
INTERVAL_S = INTERVAL_MIN * 60
GAP_INTERVALS = 4  # the staffing gap looks this many intervals ahead


@dataclass
class _Work:
    """Offered contacts and their handle time in one interval (handle_ms over handled contacts)."""

    offered: float = 0.0
    handled: int = 0
    handle_ms: int = 0

    @property
    def aht_s(self) -> float | None:
        return metrics.aht_of_handle_s(handle_ms=self.handle_ms, handled=self.handled)


def _scope(
    *, queue: int | None, team: int | None, channel: str | None, team_ids: set[int] | None = None
) -> tuple[str, str, list[Queue]]:
    """(scope kind, label, its queues) of exactly one of queue id, team id, channel; PermissionError when
    ``team_ids`` (the teams the caller may see; None: all) does not hold the scope: a supervisor sees their
    own teams and their queues, not a channel (it spans the teams)."""
    given = [name for name, value in (("queue", queue), ("team", team), ("channel", channel)) if value]
    if len(given) != 1:
        raise FieldError("queue", "give exactly one of queue, team or channel")
    queues = Queue.objects.filter(quarantined=False).select_related("team").order_by("name")
    if queue:
        found = list(queues.filter(id=queue))
        if not found:
            raise FieldError("queue", f"no queue {queue}")
        if team_ids is not None and found[0].team_id not in team_ids:
            raise PermissionError(f"queue {queue}: you may see the queues of your own teams only")
        return "queue", found[0].name, found
    if team_ids is not None and not team:
        raise PermissionError(f"channel {channel!r}: a channel spans the teams; ask for your team or its queues")
    if team:
        if team_ids is not None and team not in team_ids:
            raise PermissionError(f"team {team}: you may not see this team")
        t = Team.objects.filter(id=team).first()
        if t is None:
            raise FieldError("team", f"no team {team}")
        found = list(queues.filter(team=t))
        if not found:
            raise FieldError("team", f"team {t.name!r} has no queues")
        return "team", t.name, found
    if channel not in Channel.values:
        raise FieldError("channel", f"unknown channel {channel!r}; one of {', '.join(Channel.values)}")
    found = list(queues.filter(channel=channel))
    if not found:
        raise FieldError("channel", f"no queue on channel {channel!r}")
    return "channel", str(Channel(channel).label), found


def intraday_day(
    *,
    day: date | None = None,
    queue: int | None = None,
    team: int | None = None,
    channel: str | None = None,
    now: datetime | None = None,
    team_ids: set[int] | None = None,
) -> dict:
    """One scope's day (a queue, a team's queues or a channel's), one row per quarter-hour of the local
    day (92, 96 or 100), each ``[start, end)``:

    * ``forecast_offered``, ``forecast_aht_s`` — the forecast (summed over the scope's queues; AHT weighted
      by offered); null where no queue of the scope has a forecast row;
    * ``actual_offered``, ``actual_aht_s`` — what came (the open interval: so far); null for the future;
    * ``deviation_pct`` — ``rules.deviation_pct`` over closed intervals, null for open and future ones;
    * ``reforecast_offered`` — open and future intervals: each queue's forecast × its damped ratio
      (``rules.reforecast``), summed; null for closed ones;
    * ``required_agents`` — synchronous queues pooled by Erlang C (Erlang A when every synchronous queue of
      the scope has a patience in its intraday setting: their mean) at the strictest target and
      threshold, plus the workload of asynchronous ones (offered × AHT ÷ interval); on the actual for
      closed intervals, on the reforecast (with the forecast AHT) for the open and future ones;
    * ``scheduled_agents`` — agents of the scope's teams scheduled to work (shift time, not breaks, lunch,
      meetings or training), on average over the interval, from the schedule (docs/wfm.md §7);
    * ``staffed_agents`` — agents of the scope's teams logged in: the interval store's logged-in time ÷
      interval for closed intervals (null while not aggregated yet), the live state for the open one.

    Plus ``reforecast`` (method and factors per queue), ``alerts`` (per queue, by its intraday setting)
    and ``staffing_gap`` (the next four intervals against the agents logged in now).

    ``team_ids``: the teams the caller may see (None: every team); a scope outside them is a
    PermissionError (the supervisor view's intraday panel asks for the supervisor's own team)."""
    now = now or timezone.now()
    tz = centre_tz()
    today = local_today(now)
    day = day or today
    kind, label, queues = _scope(queue=queue, team=team, channel=channel, team_ids=team_ids)
    ids = [q.id for q in queues]
    team_ids = sorted({q.team_id for q in queues if q.team_id})
    start, end = day_bounds(day)
    starts = interval_starts(start, end)
    index = {at: i for i, at in enumerate(starts)}
    n = len(starts)
    if day < today:
        closed = n
    elif day > today:
        closed = 0
    else:
        closed = sum(1 for at in starts if at + timedelta(seconds=INTERVAL_S) <= now)

    # Forecast per queue per interval.
    forecast: dict[int, list[float]] = {q.id: [0.0] * n for q in queues}
    forecast_aht: dict[int, list[float | None]] = {q.id: [None] * n for q in queues}
    has_forecast = [False] * n
    for f in ForecastInterval.objects.filter(queue_id__in=ids, start__gte=start, start__lt=end):
        i = index.get(f.start)
        if i is None:
            continue
        forecast[f.queue_id][i] = f.offered
        forecast_aht[f.queue_id][i] = f.aht_s
        has_forecast[i] = True

    # Actual per queue per interval: the live state today, the interval store on other days.
    actual: dict[int, list[_Work]] = {q.id: [_Work() for _ in range(n)] for q in queues}
    seen = 0  # intervals with actual figures: closed ones and, today, the open one
    logged_in_now = None
    live = None
    if day == today:
        live = live_intraday(queue_ids=ids, team_ids=team_ids, now=now)
        logged_in_now = live["logged_in"]
        for qid, quarters in live["quarters"].items():
            for at, counts in quarters.items():
                i = index.get(at)
                if i is not None:
                    actual[qid][i] = _Work(
                        counts.offered, counts.handled, counts.talk_ms + counts.hold_ms + counts.acw_ms
                    )
        seen = min(n, closed + 1)
    elif day < today:
        rows = QueueInterval.objects.filter(queue_id__in=ids, start__gte=start, start__lt=end).values(
            "queue_id", "start", "offered", "handled", "talk_ms", "hold_ms", "acw_ms"
        )
        for r in rows:
            i = index.get(r["start"])
            if i is not None:
                actual[r["queue_id"]][i] = _Work(r["offered"], r["handled"], r["talk_ms"] + r["hold_ms"] + r["acw_ms"])
        seen = n

    # Staffed agents of closed intervals: the interval store (0 where aggregated without anybody logged in).
    aggregated = closed_until(now)
    staffed_s = [0.0] * n
    for at, secs in TeamInterval.objects.filter(team_id__in=team_ids, start__gte=start, start__lt=end).values_list(
        "start", "staffed_s"
    ):
        if at in index:
            staffed_s[index[at]] += secs

    # Scheduled agents of the scope's teams: their working schedule time ÷ the interval.
    members = list(Agent.objects.filter(team_id__in=team_ids, quarantined=False).values_list("id", flat=True))
    scheduled_s = scheduled_seconds(agent_ids=members, starts=starts, length_s=INTERVAL_S) if members else [0.0] * n

    # Reforecast each queue from its own closed intervals.
    refc = {
        q.id: rules.reforecast(forecast=forecast[q.id], actual=[w.offered for w in actual[q.id][:closed]])
        for q in queues
    }
    settings = {s.queue_id: s for s in IntradaySetting.objects.filter(queue_id__in=ids)}

    sync = [q for q in queues if q.is_synchronous]
    deferred = [q for q in queues if not q.is_synchronous]
    target = min(max(max(float(q.sl_target_pct) for q in sync) / 100.0, 0.01), 0.99) if sync else None
    threshold = float(min(q.sl_threshold_s for q in sync)) if sync else None
    patiences = [settings[q.id].patience_s if q.id in settings else None for q in sync]
    patience_s = sum(patiences) / len(patiences) if sync and all(patiences) else None
    # Where an interval handled nothing yet, the AHT of the day so far (then the forecast's) stands in.
    day_work = {
        q.id: _Work(0, sum(w.handled for w in actual[q.id]), sum(w.handle_ms for w in actual[q.id])) for q in queues
    }

    def required(i: int, offered_of, aht_of) -> float | int | None:
        parts = []
        if sync:
            offered = sum(offered_of(q, i) for q in sync)
            handle = sum(offered_of(q, i) * (aht_of(q, i) or 0.0) for q in sync)
            aht = (
                handle / offered
                if offered and all(aht_of(q, i) is not None for q in sync if offered_of(q, i))
                else None
            )
            parts.append(
                erlang.interval_required_agents(
                    offered=offered, aht_s=aht if offered else 0.0, interval_s=INTERVAL_S, target_sl=target,
                    threshold_s=threshold, patience_s=patience_s,
                )
            )  # fmt: skip
        for q in deferred:
            parts.append(
                metrics.workload_agents(
                    arriving=offered_of(q, i), backlog=0, handle_s=aht_of(q, i), interval_s=INTERVAL_S,
                    response_target_s=None,
                )
            )  # fmt: skip
        if any(p is None for p in parts):
            return None
        total = sum(parts)
        return round(total, 2) if deferred else int(total)

    def actual_aht(q: Queue, i: int) -> float | None:
        for candidate in (actual[q.id][i].aht_s, day_work[q.id].aht_s, forecast_aht[q.id][i]):
            if candidate is not None:
                return candidate
        return None

    def future_aht(q: Queue, i: int) -> float | None:
        for candidate in (forecast_aht[q.id][i], day_work[q.id].aht_s):
            if candidate is not None:
                return candidate
        return None

    rows = []
    for i, at in enumerate(starts):
        until = at + timedelta(seconds=INTERVAL_S)
        status = "closed" if i < closed else ("open" if i == closed and day == today else "future")
        f_total = sum(forecast[q.id][i] for q in queues) if has_forecast[i] else None
        f_handle = sum(forecast[q.id][i] * (forecast_aht[q.id][i] or 0.0) for q in queues)
        f_aht = f_handle / f_total if f_total else None
        work = [actual[q.id][i] for q in queues]
        a_total = sum(w.offered for w in work) if i < seen else None
        a_aht = metrics.aht_of_handle_s(handle_ms=sum(w.handle_ms for w in work), handled=sum(w.handled for w in work))
        reforecast_total = sum(refc[q.id].offered[i - closed] for q in queues) if i >= closed else None
        if i < closed:
            need = required(i, lambda q, j: actual[q.id][j].offered, actual_aht)
        else:
            need = required(i, lambda q, j: refc[q.id].offered[j - closed], future_aht)
        if i < closed:
            staffed = round(staffed_s[i] / INTERVAL_S, 2) if until <= aggregated else None
        elif status == "open":
            staffed = logged_in_now
        else:
            staffed = None
        rows.append(
            {
                "start": at.astimezone(tz).isoformat(),
                "end": until.astimezone(tz).isoformat(),
                "status": status,
                "forecast_offered": _r(f_total),
                "actual_offered": a_total,
                "forecast_aht_s": _r(f_aht),
                "actual_aht_s": _r(a_aht) if a_total is not None else None,
                "deviation_pct": _r(rules.deviation_pct(forecast=f_total, actual=a_total)) if i < closed else None,
                "reforecast_offered": _r(reforecast_total),
                "required_agents": need,
                "scheduled_agents": round(scheduled_s[i] / INTERVAL_S, 2),
                "staffed_agents": staffed,
            }
        )

    alerts = []
    for q in queues:
        s = settings.get(q.id)
        x = s.alert_threshold_pct if s else rules.ALERT_THRESHOLD_PCT
        k = s.alert_intervals if s else rules.ALERT_INTERVALS
        alert = rules.volume_alert(
            forecast=forecast[q.id], actual=[w.offered for w in actual[q.id][:closed]], threshold_pct=x, intervals=k
        )
        if alert:
            alerts.append(
                {
                    "queue_id": q.id,
                    "queue": q.name,
                    "since": starts[alert.first].astimezone(tz).isoformat(),
                    "until": (starts[alert.last] + timedelta(seconds=INTERVAL_S)).astimezone(tz).isoformat(),
                    "intervals": alert.intervals,
                    "deviation_pct": _r(alert.deviation_pct),
                    "threshold_pct": x,
                    "required_intervals": k,
                }
            )

    return {
        "scope": kind,
        "name": label,
        "queues": [{"id": q.id, "name": q.name, "channel": q.channel, "synchronous": q.is_synchronous} for q in queues],
        "date": day.isoformat(),
        "time_zone": tz.key,
        "interval_min": INTERVAL_MIN,
        "generated_at": now.astimezone(tz).isoformat(),
        "actual_source": "live_state"
        if live and live["from_live_state"]
        else ("database" if live else "interval_store"),
        "closed_intervals": closed,
        "model": "+".join(
            m
            for m, used in (("erlang_a" if patience_s else "erlang_c", bool(sync)), ("workload", bool(deferred)))
            if used
        ),
        "service_level_target": target,
        "threshold_s": threshold,
        "patience_s": patience_s,
        "reforecast": {
            "method": rules.REFORECAST_METHOD,
            "description": gettext(
                "forecast × (1 + w × (r − 1)): r = Σ actual ÷ Σ forecast over the last %(window)d closed "
                "intervals with volume, w = F ÷ (F + %(credibility)s), F = the forecast volume of those intervals"
            )
            % {"window": rules.REFORECAST_WINDOW, "credibility": f"{rules.REFORECAST_CREDIBILITY:g}"},
            "window_intervals": rules.REFORECAST_WINDOW,
            "credibility": rules.REFORECAST_CREDIBILITY,
            "queues": [{"queue_id": q.id, "queue": q.name, **refc[q.id].as_dict()} for q in queues],
        },
        "alerts": alerts,
        "staffing_gap": _gap(rows, closed, logged_in_now) if day == today else None,
        "rows": rows,
    }


def _gap(rows: list[dict], closed: int, logged_in: int | None) -> dict | None:
    """The next ``GAP_INTERVALS`` intervals (the open one first) against the agents logged in now:
    ``needed`` = the most required among them − logged in (positive: short), over ``start``–``end``.
    Agents are people: a workload of 14.1 agents (an asynchronous queue's, or a team's sum) takes 15,
    so ``required_max`` is rounded up ("+6.1 agents needed" read as a fraction of a person)."""
    ahead = rows[closed : closed + GAP_INTERVALS]
    known = [r["required_agents"] for r in ahead if r["required_agents"] is not None]
    if not ahead or not known or logged_in is None:
        return None
    most = math.ceil(round(max(known), 6))  # 14.000001 of float sums is 14
    return {
        "start": ahead[0]["start"],
        "end": ahead[-1]["end"],
        "intervals": len(ahead),
        "required_max": most,
        "logged_in": logged_in,
        "needed": most - logged_in,
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


__all__ = ["INTERVAL_MIN", "intraday_day"]
