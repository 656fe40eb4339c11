"""The interval store: per queue and per team, every 15-minute interval, aggregated from the contacts and
agent state spans in SQL (set-based: one statement per stretch of up to a week, whatever the volume).

Attribution (the same everywhere: wallboard, interval rows, reports, exports):

* A contact's figures belong to the interval in which it was offered to the queue, whenever it was
  answered, abandoned or ended; a contact offered at 23:59 and answered at 00:01 counts on the day before.
  Each visit to a queue counts in that queue (a transfer is a new offer to the next queue).
* Agent time is split across interval boundaries to the second: a pause from 09:10 to 09:40 gives 300 s
  to 09:00–09:15, 900 s to 09:15–09:30 and 600 s to 09:30–09:45.

The contact figures are ``dashboard.metrics.Counts.of_contact`` written as SQL; a test holds the two equal
contact by contact (waits in float seconds, milliseconds rounded half to even, ``<=`` and ``<`` at the
thresholds exactly as in metrics). Re-aggregating an interval replaces its rows: running twice changes
nothing, and a run killed half-way leaves the previous rows (one transaction per stretch).
"""

from __future__ import annotations

import json
import logging
import time as clock
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from redis.exceptions import LockError

from dashboard.core import redisurl
from dashboard.core.bulk import insert_rows
from dashboard.core.metrics import REPEAT_WINDOW_DAYS
from dashboard.core.models import (
    SYNCHRONOUS_CHANNELS,
    AgentState,
    AgentStateSpan,
    ClosedDay,
    Contact,
    Event,
    OpeningHours,
    Queue,
    Team,
)
from dashboard.core.opening import day_spans
from dashboard.core.periods import INTERVAL_S, ceil_interval, centre_tz, floor_interval
from dashboard.core.sql import Dialect, pg_tune, sqlite_functions
from dashboard.intervals.models import QUEUE_INTERVAL_COUNTS, IntervalWatermark, QueueInterval, TeamInterval

log = logging.getLogger(__name__)

MAX_STRETCH = timedelta(days=7)  # one transaction aggregates at most this much
# SQLite has one writer at a time: a week in one transaction held the lock for 85 s under ``make run``
# (the first run after the demo's backfill), and ingest, logins and the publisher waited it out and
# failed. There a transaction covers what takes about half a second, and after a busy one the worker
# pauses so that the writers waiting for the lock get it.
SQLITE_STRETCH = timedelta(hours=2)  # the first; then adapted to what a transaction costs
SQLITE_MIN_STRETCH = timedelta(minutes=15)
SQLITE_TRANSACTION_S = 0.5
SQLITE_PAUSE_S = 0.2
# An ingest transaction is over within this time: events received longer ago than this are all visible,
# so the event watermark may pass them (a transaction still open would hide a lower id).
EVENT_SETTLE = timedelta(minutes=10)
LOCK_KEY = "kcc:intervals"
FIRST_RUN_REACH = timedelta(days=35)  # how far back the very first run aggregates


# --- SQL ------------------------------------------------------------------------------------------


def _answer_threshold_sql(queue: str) -> str:
    """``metrics.answer_threshold_s`` of the queue row ``queue``, as SQL (``Queue.answer_threshold_s``)."""
    sync = ", ".join(f"'{c}'" for c in sorted(SYNCHRONOUS_CHANNELS))
    return (
        f"CASE WHEN {queue}.channel NOT IN ({sync}) AND {queue}.response_target_s > 0"
        f" THEN {queue}.response_target_s ELSE {queue}.sl_threshold_s END"
    )


def _queue_sql(d: Dialect) -> str:
    wait_answered = d.greatest0(d.seconds_between("c.offered_at", "c.answered_at"))
    wait_abandoned = d.greatest0(d.seconds_between("c.offered_at", "c.abandoned_at"))
    handled = "wa IS NOT NULL AND ended_at IS NOT NULL"
    counts_sql = {
        "offered": "COUNT(*)",
        "answered": "COUNT(wa)",
        "answered_within_threshold": "SUM(CASE WHEN wa <= th THEN 1 ELSE 0 END)",
        "abandoned": "COUNT(wb)",
        "short_abandoned": "SUM(CASE WHEN wb < sh THEN 1 ELSE 0 END)",
        "abandoned_within_threshold": "SUM(CASE WHEN wb <= th THEN 1 ELSE 0 END)",
        "transferred_out": "COUNT(transferred_at)",
        "handled": f"SUM(CASE WHEN {handled} THEN 1 ELSE 0 END)",
        "wait_answered_ms": f"SUM(CASE WHEN wa IS NOT NULL THEN {d.round_int('wa * 1000')} ELSE 0 END)",
        "wait_abandoned_ms": f"SUM(CASE WHEN wb IS NOT NULL THEN {d.round_int('wb * 1000')} ELSE 0 END)",
        "talk_ms": f"SUM(CASE WHEN {handled} THEN {d.round_int('COALESCE(talk_s, 0.0) * 1000')} ELSE 0 END)",
        "hold_ms": f"SUM(CASE WHEN {handled} THEN {d.round_int('COALESCE(hold_s, 0.0) * 1000')} ELSE 0 END)",
        "acw_ms": f"SUM(CASE WHEN {handled} THEN {d.round_int('COALESCE(acw_s, 0.0) * 1000')} ELSE 0 END)",
        "callbacks_requested": "COUNT(promised)",
        "callbacks_completed": "SUM(CASE WHEN promised IS NOT NULL AND completed IS NOT NULL THEN 1 ELSE 0 END)",
        "callbacks_kept_on_time": "SUM(CASE WHEN promised IS NOT NULL AND completed <= promised THEN 1 ELSE 0 END)",
        "overflowed_out": "SUM(CASE WHEN transferred_at IS NOT NULL AND answered_at IS NULL THEN 1 ELSE 0 END)",
        "offered_outside_hours": "SUM(outside)",
        "repeat_contacts": "SUM(rep)",
    }
    assert tuple(counts_sql) == QUEUE_INTERVAL_COUNTS
    columns = ", ".join(f'"{c}"' for c in (*QUEUE_INTERVAL_COUNTS, "max_wait_answered_ms"))
    values = ", ".join(f"COALESCE(agg.{c}, 0)" for c in (*QUEUE_INTERVAL_COUNTS, "max_wait_answered_ms"))
    aggregates = ",\n  ".join(f"{expr} AS {name}" for name, expr in counts_sql.items())
    return f"""
WITH RECURSIVE {d.series()},
{d.json_rows("closed", {"q": "bigint", "b": "bigint"})},
{d.json_rows("partial", {"q": "bigint", "b": "bigint"})},
{d.json_rows("opened", {"q": "bigint", "s": "timestamptz", "e": "timestamptz"})},
x AS (
  SELECT c.queue_id AS q, {d.bucket("c.offered_at")} AS b, c.offered_at, c.answered_at, c.ended_at,
    c.transferred_at, c.talk_s, c.hold_s, c.acw_s,
    c.callback_promised_by AS promised, c.callback_completed_at AS completed,
    CASE WHEN c.answered_at IS NOT NULL THEN {wait_answered} END AS wa,
    CASE WHEN c.answered_at IS NULL AND c.abandoned_at IS NOT NULL THEN {wait_abandoned} END AS wb,
    {_answer_threshold_sql("qq")} AS th, qq.short_abandon_threshold_s AS sh,
    CASE WHEN c.seq = 0 AND c.customer_ref <> '' AND EXISTS (
      SELECT 1 FROM dashboard_contact p WHERE {d.same_customer_within("p", "c", earlier=True)}
    ) THEN 1 ELSE 0 END AS rep
  FROM dashboard_contact c
  JOIN dashboard_queue qq ON qq.id = c.queue_id
  WHERE c.offered_at >= %(start)s AND c.offered_at < %(end)s
),
y AS (
  SELECT x.*, CASE
    WHEN cl.q IS NOT NULL THEN 1
    WHEN pt.q IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM opened o WHERE o.q = x.q AND x.offered_at >= o.s AND x.offered_at < o.e) THEN 1
    ELSE 0 END AS outside
  FROM x
  LEFT JOIN closed cl ON cl.q = x.q AND cl.b = x.b
  LEFT JOIN partial pt ON pt.q = x.q AND pt.b = x.b
),
agg AS (
  SELECT q, b,
  {aggregates},
  MAX(CASE WHEN wa IS NOT NULL THEN {d.round_int("wa * 1000")} END) AS max_wait_answered_ms
  FROM y GROUP BY q, b
)
INSERT INTO dashboard_queueinterval (queue_id, start, "end", {columns}, computed_at)
SELECT qu.id, {d.from_epoch("bk.b")}, {d.from_epoch(f"bk.b + {INTERVAL_S}")}, {values}, %(now)s
FROM dashboard_queue qu CROSS JOIN bk LEFT JOIN agg ON agg.q = qu.id AND agg.b = bk.b
"""


# The outside-hours test per contact runs only in the few intervals a queue opens or closes within
# (opening at 08:10, say); in every other interval the queue is either open or closed all through.


def _calendar(queues: list[Queue], start: datetime, end: datetime):
    """For queues with opening hours or closed days: the intervals of ``[start, end)`` in which they
    are closed throughout, those in which they open or close, and the open stretches of the latter."""
    tz = centre_tz()
    hours: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for oh in OpeningHours.objects.filter(queue__in=queues):
        hours[oh.queue_id][oh.weekday].append((oh.opens, oh.closes))
    first_day = start.astimezone(tz).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    closed_all: set[date] = set()
    closed_for: dict[int, set[date]] = defaultdict(set)
    for queue_id, day in ClosedDay.objects.filter(date__gte=first_day, date__lte=last_day).values_list(
        "queue_id", "date"
    ):
        (closed_for[queue_id] if queue_id else closed_all).add(day)
    closed, partial, opened = [], [], []
    starts = range(int(start.timestamp()), int(end.timestamp()), INTERVAL_S)
    for queue in queues:
        if queue.id not in hours and not closed_all and queue.id not in closed_for:
            continue  # no calendar: open day and night
        spans: list[tuple[int, int]] = []
        day = first_day
        while day <= last_day:
            if day not in closed_all and day not in closed_for.get(queue.id, ()):
                spans.extend(
                    (int(s.timestamp()), int(e.timestamp())) for s, e in day_spans(day, hours.get(queue.id), tz)
                )
            day += timedelta(days=1)
        for b in starts:
            inside = [(max(s, b), min(e, b + INTERVAL_S)) for s, e in spans if s < b + INTERVAL_S and e > b]
            covered = sum(e - s for s, e in inside)
            if covered >= INTERVAL_S:
                continue
            if not inside:
                closed.append({"q": queue.id, "b": b})
                continue
            partial.append({"q": queue.id, "b": b})
            opened.extend({"q": queue.id, "s": s, "e": e} for s, e in inside)
    return closed, partial, opened


def _lock() -> None:
    """One aggregation at a time (a second beat or a manual run waits; SQLite's IMMEDIATE transactions
    are serial already)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [LOCK_KEY])
        pg_tune()


def _stretches(start: datetime, end: datetime) -> Iterable[tuple[datetime, datetime]]:
    at = start
    while at < end:
        yield at, min(at + MAX_STRETCH, end)
        at = min(at + MAX_STRETCH, end)


def queue_intervals_aggregate(*, start: datetime, end: datetime, now: datetime) -> int:
    """Replace the queue interval rows of ``[start, end)`` (interval boundaries) by a fresh aggregation
    of the contacts offered then: one row per queue per interval, zeros included. Returns rows written."""
    d = Dialect()
    if not d.pg:
        sqlite_functions()
    queues = list(Queue.objects.all())
    closed, partial, opened = _calendar(queues, start, end)
    params = {
        "first": int(start.timestamp()),
        "last": int(end.timestamp()) - INTERVAL_S,
        "start": d.param_time(start),
        "end": d.param_time(end),
        "now": d.param_time(now),
        "closed": json.dumps(closed),
        "partial": json.dumps(partial),
        "opened": json.dumps(
            [
                {"q": o["q"], "s": d.json_time(_from_epoch(o["s"])), "e": d.json_time(_from_epoch(o["e"]))}
                for o in opened
            ]
        ),
    }
    with connection.cursor() as cursor:
        QueueInterval.objects.filter(start__gte=start, start__lt=end).delete()
        cursor.execute(_queue_sql(d), params)
    return len(queues) * ((params["last"] - params["first"]) // INTERVAL_S + 1)


def _from_epoch(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


_TEAM_SQL_PG = f"""
WITH sp AS (
  SELECT a.team_id AS t, s.state, s.reason,
    EXTRACT(EPOCH FROM s.start)::float8 AS st,
    EXTRACT(EPOCH FROM LEAST(COALESCE(s."end", %(now)s), %(end)s))::float8 AS en
  FROM dashboard_agentstatespan s JOIN dashboard_agent a ON a.id = s.agent_id
  WHERE s.state <> 'logged_out' AND s.start < %(end)s AND (s."end" > %(start)s OR s."end" IS NULL)
),
parts AS (
  SELECT sp.t, sp.state, sp.reason, g.b, LEAST(sp.en, g.b + {INTERVAL_S}) - GREATEST(sp.st, g.b) AS secs
  FROM sp, LATERAL generate_series(
    (FLOOR(GREATEST(sp.st, %(start_epoch)s) / {INTERVAL_S}) * {INTERVAL_S})::bigint,
    (CEIL(sp.en / {INTERVAL_S}) * {INTERVAL_S})::bigint - {INTERVAL_S},
    {INTERVAL_S}) AS g(b)
  WHERE sp.en > sp.st
)
SELECT t, b, state, reason, SUM(secs) FROM parts WHERE secs > 0 GROUP BY t, b, state, reason
"""


def _team_parts(start: datetime, end: datetime, now: datetime) -> list[tuple[int | None, int, str, str, float]]:
    """(team id, interval start epoch, state, reason, seconds) of the agent time in ``[start, end)``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _TEAM_SQL_PG, {"start": start, "end": end, "now": now, "start_epoch": float(start.timestamp())}
            )
            return cursor.fetchall()
    # SQLite (development and tests): the same split, in Python.
    sums: dict[tuple, float] = defaultdict(float)
    spans = (
        AgentStateSpan.objects.exclude(state=AgentState.LOGGED_OUT)
        .filter(start__lt=end)
        .exclude(end__lte=start)
        .values_list("agent__team_id", "state", "reason", "start", "end")
    )
    for team_id, state, reason, st, en in spans.iterator(chunk_size=5000):
        en = min(en or now, end)
        b = int(max(st, start).timestamp()) // INTERVAL_S * INTERVAL_S
        while b < en.timestamp():
            lo, hi = _from_epoch(b), _from_epoch(b + INTERVAL_S)
            secs = (min(en, hi) - max(st, lo)).total_seconds()
            if secs > 0:
                sums[(team_id, b, state, reason)] += secs
            b += INTERVAL_S
    return [(*key, secs) for key, secs in sums.items()]


def team_intervals_aggregate(*, start: datetime, end: datetime, now: datetime) -> int:
    """Replace the team interval rows of ``[start, end)`` by the agent time split from the state spans
    (an open span counts up to ``now``). Every team gets a row per interval; agents without a team get
    rows (team empty) where they had time. Returns rows written."""
    rows: dict[tuple[int | None, int], dict] = {}
    team_ids = list(Team.objects.values_list("id", flat=True))
    for b in range(int(start.timestamp()), int(end.timestamp()), INTERVAL_S):
        for team_id in team_ids:
            rows[(team_id, b)] = _empty_team_row()
    for team_id, b, state, reason, secs in _team_parts(start, end, now):
        row = rows.setdefault((team_id, b), _empty_team_row())
        row["staffed_s"] += secs
        row[f"{state}_s"] += secs
        if state == AgentState.PAUSED:
            key = reason or "-"
            row["paused_by_reason"][key] = row["paused_by_reason"].get(key, 0.0) + secs
    TeamInterval.objects.filter(start__gte=start, start__lt=end).delete()
    out = []
    for (team_id, b), row in rows.items():
        out.append(
            (
                team_id,
                _from_epoch(b),
                _from_epoch(b + INTERVAL_S),
                *(round(row[f], 3) for f in ("staffed_s", "available_s", "on_contact_s", "acw_s", "paused_s")),
                {k: round(v, 3) for k, v in sorted(row["paused_by_reason"].items())},
                now,
            )
        )
    insert_rows(
        TeamInterval,
        [
            "team_id",
            "start",
            "end",
            "staffed_s",
            "available_s",
            "on_contact_s",
            "acw_s",
            "paused_s",
            "paused_by_reason",
            "computed_at",
        ],
        out,
    )
    return len(out)


def _empty_team_row() -> dict:
    return {"staffed_s": 0.0, "available_s": 0.0, "on_contact_s": 0.0, "acw_s": 0.0, "paused_s": 0.0,
            "paused_by_reason": {}}  # fmt: skip


# --- services -------------------------------------------------------------------------------------


def intervals_aggregate(
    *, start: datetime, end: datetime, now: datetime | None = None, queues: bool = True, teams: bool = True
) -> dict[str, int]:
    """Aggregate (again) every interval that overlaps ``[start, end)``: queue rows from the contacts
    offered in them, team rows from the agent state spans. Idempotent; one transaction per week."""
    now = now or timezone.now()
    start, end = floor_interval(start), ceil_interval(end)
    written = {"queue_intervals": 0, "team_intervals": 0}
    sqlite = connection.vendor == "sqlite"
    size = SQLITE_STRETCH if sqlite else MAX_STRETCH
    lo = start
    while lo < end:
        hi = min(lo + size, end)
        began = clock.monotonic()
        with transaction.atomic():
            _lock()
            if queues:
                written["queue_intervals"] += queue_intervals_aggregate(start=lo, end=hi, now=now)
            if teams:
                written["team_intervals"] += team_intervals_aggregate(start=lo, end=hi, now=now)
        lo = hi
        if sqlite:
            # Hold the only write lock about half a second: a busy stretch halves the next one (and
            # the others waiting for the lock get it), an empty one doubles it (a century of history
            # is not 400,000 transactions).
            took = clock.monotonic() - began
            if took > SQLITE_TRANSACTION_S:
                size = max(SQLITE_MIN_STRETCH, size / 2)
                clock.sleep(SQLITE_PAUSE_S)
            elif took < SQLITE_TRANSACTION_S / 4:
                size = min(MAX_STRETCH, size * 2)
    return written


def intervals_touched_by_events(*, after_event_id: int) -> tuple[set[datetime], datetime | None]:
    """The intervals that events logged after ``after_event_id`` may have changed.

    For contacts: the interval of every offer and transfer of each contact those events touch (a visit
    starts at one of them, so the interval a visit was counted in before and the one it counts in now
    are both among them). For agents: everything from the earliest new state event on (a state lasts
    until the next one). Returns (queue interval starts, earliest agent time or None)."""
    d = Dialect()
    touched = (
        Event.objects.filter(id__gt=after_event_id, contact_id__isnull=False).values("contact_id").distinct().query
    )
    sql, params = touched.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT {d.bucket('e.at')} FROM dashboard_event e "
            f"WHERE e.type IN ('contact.offered', 'contact.transferred') AND e.contact_id IN ({sql})",
            params,
        )
        buckets = {_from_epoch(int(b)) for (b,) in cursor.fetchall()}
    agent_from = Event.objects.filter(id__gt=after_event_id, type="agent.state").aggregate(m=Min("at"))["m"]
    return buckets, agent_from


def _ranges(starts: set[datetime]) -> list[tuple[datetime, datetime]]:
    """Contiguous runs of interval starts as ``[start, end)`` ranges."""
    out: list[tuple[datetime, datetime]] = []
    for s in sorted(starts):
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], s + timedelta(seconds=INTERVAL_S))
        else:
            out.append((s, s + timedelta(seconds=INTERVAL_S)))
    return out


UPDATE_LOCK_S = 600  # the minute task's time limit: a run killed holding the lock holds it no longer


@lru_cache(maxsize=4)
def _redis(url: str):
    """One pooled client per process (not one per run), with timeouts: a Redis that hangs fails the lock
    (the run then goes on without it) rather than holding the minute's task."""
    return redisurl.client(url, socket_timeout=5, socket_connect_timeout=2)


@contextmanager
def _one_run_at_a_time(*, wait: bool):
    """Yields whether this run may go on: runs of ``intervals_update`` take turns over every process (a
    lock in Redis). Overlapping runs did the same work two or three times over, and on SQLite fought for
    its one writer: a first run over days of history, a minute task started meanwhile and the demo's
    own call took minutes together. Without ``wait`` a run that finds the lock taken yields False (the
    next minute's task finds what the running one did); with Redis down, runs go on without the lock."""
    try:
        lock = _redis(settings.REDIS_URL).lock(
            f"{settings.LIVE_KEY_PREFIX}:intervals:update",
            timeout=UPDATE_LOCK_S,
            blocking=wait,
            blocking_timeout=UPDATE_LOCK_S if wait else None,
        )
        held = lock.acquire()
    except redis.RedisError as error:
        log.warning("interval aggregation runs without its lock: Redis does not answer (%s)", error)
        yield True
        return
    if not held:
        yield False
        return
    try:
        yield True
    finally:
        try:
            lock.release()
        except (redis.RedisError, LockError):  # expired meanwhile, or Redis went away: nothing to free
            pass


def intervals_update(*, now: datetime | None = None, wait: bool = True) -> dict:
    """The minute's work: aggregate the intervals that closed since the last run, and aggregate again
    the closed intervals that late, corrected or imported events touched since then.

    Only closed intervals (ended by ``now``) are written. The first run starts at the earliest contact
    or agent state, at most 35 days back. Safe to run twice or to kill: the watermark moves in the same transactions as the
    rows it covers, and events of the last ``EVENT_SETTLE`` are looked at again on the next run. One run
    at a time (``_one_run_at_a_time``): without ``wait``, a run that finds another going returns
    ``{"skipped": ...}`` at once."""
    with _one_run_at_a_time(wait=wait) as may_run:
        if not may_run:
            return {"skipped": "another run is aggregating"}
        return _update(now=now)


def _update(*, now: datetime | None) -> dict:
    now = now or timezone.now()
    closed_until = floor_interval(now)
    mark, _ = IntervalWatermark.objects.get_or_create(pk=1)
    done = {"queue_intervals": 0, "team_intervals": 0, "reaggregated_ranges": 0}

    # 1. intervals closed since the last run
    start = mark.aggregated_until
    if start is None:
        firsts = [
            Contact.objects.aggregate(m=Min("offered_at"))["m"],
            AgentStateSpan.objects.aggregate(m=Min("start"))["m"],
        ]
        firsts = [f for f in firsts if f is not None]
        # Older history (an import) is aggregated by the import itself, not by the first minute's run.
        start = floor_interval(max(min(firsts), now - FIRST_RUN_REACH)) if firsts else closed_until
    settled = Event.objects.filter(id__gt=mark.event_id, received_at__lte=now - EVENT_SETTLE).aggregate(m=Max("id"))[
        "m"
    ]
    # 2. intervals touched by events since the watermark (read before aggregating, so nothing slips by);
    # on the first run everything from ``start`` on is aggregated anyway, and older history is the
    # business of whoever loaded it (the importer, or ``manage.py aggregate_intervals``).
    if mark.aggregated_until is None:
        buckets, agent_from = set(), None
    else:
        buckets, agent_from = intervals_touched_by_events(after_event_id=mark.event_id)
    buckets = {b for b in buckets if b < start and b < closed_until}
    for lo, hi in _ranges(buckets):
        result = intervals_aggregate(start=lo, end=hi, now=now, teams=False)
        done["queue_intervals"] += result["queue_intervals"]
        done["reaggregated_ranges"] += 1
    if agent_from is not None and floor_interval(agent_from) < min(start, closed_until):
        result = intervals_aggregate(start=agent_from, end=min(start, closed_until), now=now, queues=False)
        done["team_intervals"] += result["team_intervals"]
        done["reaggregated_ranges"] += 1
    for lo, hi in _stretches(start, closed_until):
        result = intervals_aggregate(start=lo, end=hi, now=now)
        done["queue_intervals"] += result["queue_intervals"]
        done["team_intervals"] += result["team_intervals"]
        IntervalWatermark.objects.filter(pk=1).update(aggregated_until=hi, updated_at=now)
    if mark.aggregated_until is None and start >= closed_until:
        IntervalWatermark.objects.filter(pk=1).update(aggregated_until=closed_until, updated_at=now)
    if settled is not None:
        IntervalWatermark.objects.filter(pk=1).update(event_id=settled, updated_at=now)
    done["aggregated_until"] = max(start, closed_until).isoformat()
    return done


def intervals_after_import(
    *, offered_from: datetime, offered_until: datetime, now: datetime | None = None, agent_states: bool = False
) -> dict:
    """Aggregate again what imported contacts offered in ``[offered_from, offered_until]`` change: their
    intervals and the 7 days after them (a contact imported into the past can make later contacts of the
    same customer repeat contacts). With ``agent_states`` (the import carried agent state changes, as a
    queue_log does) the team rows of ``[offered_from, offered_until]`` too. Only intervals already
    closed are written."""
    now = now or timezone.now()
    written = {"queue_intervals": 0, "team_intervals": 0}
    end = floor_interval(min(offered_until + timedelta(days=REPEAT_WINDOW_DAYS), now))
    if floor_interval(offered_from) < end:
        written = intervals_aggregate(start=offered_from, end=end, now=now, teams=False)
    team_end = min(ceil_interval(offered_until), floor_interval(now))
    if agent_states and floor_interval(offered_from) < team_end:
        written["team_intervals"] = intervals_aggregate(start=offered_from, end=team_end, now=now, queues=False)[
            "team_intervals"
        ]
    return written
