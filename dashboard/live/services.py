"""Writes to the live state in Redis: per queue today's and the last minutes' counters, the contacts
waiting, and each agent's current state.

Ingest hands over, after a batch commits, the contacts' visits as they were before and after it; the
counters move by the difference, so a duplicate or late event changes exactly what it should and nothing
else. The live state can always be rebuilt from the database (``live_rebuild``): it is a cache of what
the database holds.

Every batch carries a version (``live_next_version``) taken inside its transaction. It orders the
updates of one contact or agent (batches may reach Redis in another order than they committed), and it
fences a rebuild: a batch of a lower version than the rebuild's is in what the rebuild read, so its
changes are skipped when they reach Redis after the rebuild has begun to write.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

import redis
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from dashboard.core import observe
from dashboard.core.models import AgentStateSpan, Contact, Event, Queue
from dashboard.core.periods import centre_tz
from dashboard.live import broadcast, keys
from dashboard.live.rules import LiveChanges, QueueRule, callback_pending, talking, visit_counts, waiting_member

log = logging.getLogger(__name__)

LOG_BEHIND_GRACE_S = 5.0  # longer than a committed batch takes to reach Redis
_lost_writes = 0  # batches this process could not write to Redis, nor mark the live state incomplete for

# A whole batch's changes in one script call (one round trip, one reply), executed atomically:
#   nothing when a rebuild of a later version holds the batch already (returns 0);
#   counters: HINCRBY each non-zero field, and renew the bucket's expiry;
#   contacts: set where the contact is now (waiting, talking, callback due) unless a later derivation of
#             the same contact got there first (batches may reach Redis in another order than they were
#             committed); same for agents' states;
#   raise the "applied" version, and the log's high-water mark the batch found committed.
# It names its keys in ARGV: KCC Live runs on one Redis, not a cluster.
_APPLY_SCRIPT = """
local version = tonumber(ARGV[1])
local version_ttl, minute_ttl, day_ttl = ARGV[2], ARGV[3], ARGV[4]
if version < tonumber(redis.call('GET', ARGV[6]) or '0') then return 0 end
local i = 8
for _ = 1, tonumber(ARGV[7]) do
  local key, ttl, n = ARGV[i], (ARGV[i + 1] == 'm') and minute_ttl or day_ttl, tonumber(ARGV[i + 2])
  i = i + 3
  for _ = 1, n do
    redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  redis.call('EXPIRE', key, ttl)
end
local contacts = tonumber(ARGV[i])
i = i + 1
for _ = 1, contacts do
  local current = tonumber(redis.call('GET', ARGV[i]) or '-1')
  local apply = current <= version
  if apply then redis.call('SET', ARGV[i], version, 'EX', version_ttl) end
  local removals = tonumber(ARGV[i + 1])
  i = i + 2
  for _ = 1, removals do
    if apply then
      if ARGV[i] == 'z' then redis.call('ZREM', ARGV[i + 1], ARGV[i + 2]) else redis.call('HDEL', ARGV[i + 1], ARGV[i + 2]) end
    end
    i = i + 3
  end
  local adds = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, adds do
    if apply then
      if ARGV[i] == 'z' then
        redis.call('ZADD', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
      else
        redis.call('HSET', ARGV[i + 1], ARGV[i + 3], ARGV[i + 2])
      end
    end
    i = i + 4
  end
end
local agents = tonumber(ARGV[i])
i = i + 1
for _ = 1, agents do
  local current = tonumber(redis.call('HGET', ARGV[i], 'ver') or '-1')
  if current <= version then
    redis.call('HSET', ARGV[i], 'ver', version, 'state', ARGV[i + 1], 'reason', ARGV[i + 2], 'since', ARGV[i + 3])
  end
  i = i + 4
end
local applied = tonumber(redis.call('GET', ARGV[5]) or '0')
if version > applied then redis.call('SET', ARGV[5], version) end
local log_high = tonumber(ARGV[i + 1])
if log_high > tonumber(redis.call('GET', ARGV[i]) or '0') then redis.call('SET', ARGV[i], ARGV[i + 1]) end
return 1
"""


def live_next_version() -> int:
    """A number that grows with every derivation, to order the live updates of one contact or agent.

    Taken inside the ingest transaction, after the contact's lock: a later derivation gets a larger
    number. When Redis is unreachable ingest goes on (the database is the truth), the version is 0 and
    ``live_apply`` marks the live state for a rebuild.
    """
    try:
        return int(keys.client().incr(keys.sequence_key()))
    except redis.RedisError:
        log.exception("Redis unreachable while ingesting; the live state will be rebuilt")
        return 0


def live_apply(changes: LiveChanges) -> None:
    """Apply one committed batch's changes to Redis in one script call; skipped when a rebuild that
    began after the batch committed holds it already. Never raises: the database is the truth, and a
    failure marks the live state incomplete so that the next reader rebuilds it from there (when even
    that fails, the process remembers and marks it on its next write that reaches Redis)."""
    global _lost_writes
    try:
        r = keys.client()
        if _lost_writes:
            lost = _lost_writes
            r.delete(keys.loaded_key())
            _lost_writes -= lost
        args: list = [
            changes.version,
            keys.VERSION_TTL_S,
            keys.MINUTE_KEY_TTL_S,
            keys.DAY_KEY_TTL_S,
            keys.applied_key(),
            keys.rebuilt_key(),
        ]
        counters, touched = [], 0
        for key, delta in changes.counters.items():
            fields = [x for name, value in delta.as_dict().items() if value for x in (name, value)]
            if fields:
                counters += [key, "m" if ":m:" in key else "d", len(fields) // 2, *fields]
                touched += 1
        args += [touched, *counters]
        args.append(len(changes.contacts))
        for contact_id, removals, additions in changes.contacts:
            args += [keys.contact_version_key(contact_id), len(removals)]
            for entry in removals:
                args.extend(entry)
            args.append(len(additions))
            for entry in additions:
                args.extend(entry)
        args.append(len(changes.agents))
        for agent_id, state, reason, since in changes.agents:
            args += [keys.agent_key(agent_id), state, reason, since]
        args += [keys.log_high_key(), _log_high()]
        r.register_script(_APPLY_SCRIPT)(keys=[], args=args)
        if changes.version == 0:
            r.delete(keys.loaded_key())
    except redis.RedisError:
        log.exception("could not update the live state in Redis; it will be rebuilt from the database")
        try:
            keys.client().delete(keys.loaded_key())
        except redis.RedisError:
            _lost_writes += 1


def _log_high() -> int:
    """The database's high-water mark of the event log: its highest Event id (an index's last entry).
    Read after the batch committed, it is at least the batch's own; 0 when the database cannot say
    (the publisher's check then compares against a later reading)."""
    try:
        return Event.objects.aggregate(high=Max("pk"))["high"] or 0
    except DatabaseError:
        log.exception("could not read the event log's high-water mark")
        return 0


def live_rebuild(*, now: datetime | None = None) -> dict[str, int]:
    """Rebuild the whole live state in Redis from the database (after a Redis restart, a flush, or a
    change of a queue's thresholds). Returns what it wrote.

    With the log locked, it takes a version: every batch of a lower version has committed (or rolled
    back) and is in what it reads; every batch of a higher one commits after it and reaches Redis after
    its write. Before replacing the keys it raises the fence (``keys.rebuilt_key``) to its version, so a
    lower batch's changes reaching Redis late are skipped rather than counted twice; those that got in
    before the fence are in the keys it replaces. The fence also marks the state incomplete until the
    new state is written, so a rebuild that fails half-way is done again by the next reader."""
    global _lost_writes
    now = now or timezone.now()
    r = keys.client()
    lost = _lost_writes  # those lost so far are committed, so in what this rebuild reads
    with transaction.atomic():
        log_lock()
        version = int(r.incr(keys.sequence_key()))
        changes = LiveChanges(version=version)
        tz = centre_tz()
        first_day = now.astimezone(tz).date() - timedelta(days=keys.DAYS_KEPT - 1)
        since = timezone.make_aware(datetime.combine(first_day, datetime.min.time()), tz)
        since = min(since, now - timedelta(seconds=keys.MINUTE_KEYS_KEPT_S))
        rules = {q.id: QueueRule.of(q) for q in Queue.objects.all()}
        open_visit = Q(answered_at=None, abandoned_at=None, transferred_at=None, ended_at=None)
        contacts = 0
        waiting: dict[int, list[tuple[float, str]]] = defaultdict(list)
        talking_now: dict[int, dict[str, str]] = defaultdict(dict)
        callbacks: dict[int, dict[str, float]] = defaultdict(dict)
        current = (
            Q(offered_at__gte=since)
            | open_visit
            | Q(answered_at__isnull=False, ended_at=None, transferred_at=None)
            | Q(callback_promised_by__isnull=False, callback_completed_at=None)
        )
        for visit in Contact.objects.filter(current).iterator(chunk_size=5000):
            rule = rules[visit.queue_id]
            member = waiting_member(visit.contact_id, visit.seq)
            if visit.offered_at >= since:
                changes.add_counts(rule, visit.offered_at, visit_counts(visit, rule), now=now, agent_id=visit.agent_id)
                contacts += 1
            if visit.waiting:
                waiting[visit.queue_id].append((visit.offered_at.timestamp(), member))
            elif talking(visit) and visit.agent_id:
                talking_now[visit.agent_id][member] = f"{visit.queue_id}|{visit.answered_at.timestamp()}"
            if callback_pending(visit):
                callbacks[visit.queue_id][member] = visit.callback_promised_by.timestamp()
        open_spans = list(AgentStateSpan.objects.filter(end=None))
        log_high = _log_high()  # the log is locked: every event up to here is in what was read
        server = r.info("server")["run_id"]
        r.pipeline(transaction=True).set(keys.rebuilt_key(), version).delete(keys.loaded_key()).execute()
        # Kept: the version counter and its fence, what the publisher sent (its seq and each scope's
        # latest envelope, which screens that connect meanwhile get until the next round replaces it) and
        # the leases with their fencing tokens (deleted, the leader was refused as if another led, and the
        # next token repeated an old one): none of them is live state.
        kept = {keys.sequence_key(), keys.rebuilt_key()}
        not_state = tuple(f"{keys.root()}:{part}:" for part in ("pub", "lease"))
        doomed = [
            k
            for k in r.scan_iter(match=f"{keys.root()}:*", count=1000)
            if k not in kept and not k.startswith(not_state)
        ]
        pipe = r.pipeline(transaction=True)
        if doomed:
            pipe.delete(*doomed)
        for key, counts in changes.counters.items():
            mapping = {k: v for k, v in counts.as_dict().items() if v}
            if mapping:
                pipe.hset(key, mapping=mapping)
                pipe.expire(key, keys.MINUTE_KEY_TTL_S if ":m:" in key else keys.DAY_KEY_TTL_S)
        for queue_id, members in waiting.items():
            pipe.zadd(keys.waiting_key(queue_id), {member: score for score, member in members})
        for agent_id, members in talking_now.items():
            pipe.hset(keys.agent_contact_key(agent_id), mapping=members)
        for queue_id, members in callbacks.items():
            pipe.zadd(keys.callbacks_key(queue_id), members)
        for span in open_spans:
            pipe.hset(
                keys.agent_key(span.agent_id),
                mapping={"ver": version, "state": span.state, "reason": span.reason, "since": span.start.timestamp()},
            )
        pipe.set(keys.applied_key(), version)  # every batch below the fence is in this state
        pipe.set(keys.log_high_key(), log_high)
        pipe.set(keys.server_key(), server)
        pipe.set(keys.generation_key(), uuid.uuid4().hex)
        pipe.set(keys.loaded_key(), now.isoformat())
        pipe.execute()
    _lost_writes -= lost
    observe.count("live_rebuilds_total")
    try:
        broadcast.notify_changed("rebuild")  # every scope goes out again in the publisher's next round
    except redis.RedisError:
        log.warning("could not wake the live publisher after a rebuild; it refreshes within seconds")
    return {"contacts": contacts, "waiting": sum(len(m) for m in waiting.values()), "agents": len(open_spans)}


def log_lock() -> None:
    """Hold off ingest while the live state is rebuilt: with the log locked, every batch has either
    committed before the rebuild reads (and took its live version before the rebuild took its own) or
    waits to log its events, and so to take its version, until the rebuild has committed. (SQLite's
    IMMEDIATE transactions hold the one write lock already.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Event._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def live_ensure_loaded(*, now_s: float | None = None) -> bool:
    """Rebuild the live state when it is not complete or not current; returns whether it did.

    Cheap enough for every publisher round: rebuilt when it is not marked complete (a flush, a failed
    write), when the Redis server is another than the one the last rebuild wrote to (a restart from its
    own save, a failover: it holds what was saved, not what the database holds), or when its log
    high-water mark has stayed behind the database's for ``LOG_BEHIND_GRACE_S`` (a lost write; a batch
    in flight catches up within that time)."""
    now_s = time.time() if now_s is None else now_s
    r = keys.client()
    loaded, high, server, behind = r.mget(keys.loaded_key(), keys.log_high_key(), keys.server_key(), keys.behind_key())
    if loaded is None or server != r.info("server")["run_id"]:
        live_rebuild()
        return True
    high, db_high = int(high or 0), _log_high()
    if high >= db_high:
        if behind is not None:
            r.delete(keys.behind_key())
        return False
    if behind is not None:
        target, since = behind.split()
        if high < int(target):  # not caught up with what the database held when first seen behind
            if now_s - float(since) < LOG_BEHIND_GRACE_S:
                return False
            log.warning(
                "live state behind the event log (%s < %s) since %.0f s: rebuilding", high, target, now_s - float(since)
            )
            live_rebuild()
            return True
    r.set(keys.behind_key(), f"{db_high} {now_s}", ex=3600)
    return False
