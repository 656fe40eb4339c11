"""Reads behind the figures of the live pages (the drill-downs a supervisor opens from a tile or a row):
the contacts waiting now, today's abandoned callers not yet called back, the callbacks at risk, and a
queue's contacts in an interval.

What is live comes from the live state in Redis, as the wallboard's figures do (the waiting and callbacks
sorted sets the ingest keeps, ``rules.waiting_member``); one query then adds the customer reference of
the few contacts listed. While the live state is not loaded, the same lists come from the database, by
the same rules (``Contact.waiting``, ``rules.callback_pending``). Every list is capped: ``count`` says
how many there are, ``truncated`` whether some were left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from dashboard.core import metrics
from dashboard.core.models import Contact, Queue, Team
from dashboard.core.periods import centre_tz, day_bounds, local_today
from dashboard.live import keys
from dashboard.live.rules import callback_pending, visit_outcome, visit_wait_s

MAX_ROWS = 1000  # the most rows one answer lists, whatever ``limit`` asks


@dataclass(frozen=True)
class Filters:
    """Which visible queues a list covers: one queue, a team's, a channel's, or all one may see."""

    queue_id: int | None = None
    team_id: int | None = None
    channel: str | None = None


def drilldown_queues(*, team_ids: set[int] | None, filters: Filters) -> list[Queue] | None:
    """The queues a list covers among those ``team_ids`` allow (None: all teams), quarantined ones never.
    None when a queue or team was named that the user may not see (or that does not exist): the API
    answers both alike, so as not to tell which exist."""
    queues = Queue.objects.filter(quarantined=False).order_by("name")
    if team_ids is not None:
        queues = queues.filter(team_id__in=team_ids)
    if filters.team_id is not None:
        if team_ids is not None and filters.team_id not in team_ids:
            return None
        if not Team.objects.filter(id=filters.team_id).exists():
            return None
        queues = queues.filter(team_id=filters.team_id)
    if filters.channel:
        queues = queues.filter(channel=filters.channel)
    if filters.queue_id is not None:
        found = list(queues.filter(id=filters.queue_id))
        return found or None
    return list(queues)


def _local(at: datetime | None) -> str | None:
    """An instant as ISO 8601 in the centre's time zone (with its offset)."""
    return at.astimezone(centre_tz()).isoformat() if at else None


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), tz=UTC)


def _split_member(member: str) -> tuple[str, int]:
    contact_id, _, seq = member.rpartition("#")
    return contact_id, int(seq)


def _visits(members: list[tuple[str, int]]) -> dict[tuple[str, int], Contact]:
    """The stored visits of ``members`` ((contact id, seq) pairs), in one query."""
    if not members:
        return {}
    rows = Contact.objects.filter(contact_id__in={c for c, _ in members}).select_related("agent")
    wanted = set(members)
    return {(v.contact_id, v.seq): v for v in rows if (v.contact_id, v.seq) in wanted}


def _live_loaded() -> bool:
    return bool(keys.client().exists(keys.loaded_key()))


def _answer(rows: list[dict], count: int, now: datetime, **extra) -> dict:
    return {"generated_at": _local(now), "time_zone": str(centre_tz()), "count": count,
            "truncated": count > len(rows), **extra, "contacts": rows}  # fmt: skip


# --- the contacts waiting now --------------------------------------------------------------------------


def _from_sorted_sets(queues, commands, key_of, limit: int):
    """A count and the first members of each queue's sorted set in the live state (``key_of(queue id)``;
    ``commands(pipe, key)`` queues the count and the range), merged over the queues in one round trip:
    (count, the first ``limit`` as (time, queue id, contact id, seq) in time order, their visits)."""
    pipe = keys.client().pipeline(transaction=False)
    for q in queues:
        commands(pipe, key_of(q.id))
    replies = iter(pipe.execute())
    count, found = 0, []
    for q in queues:
        count += next(replies)
        found += [(_ts(score), q.id, *_split_member(member)) for member, score in next(replies)]
    found = sorted(found)[:limit]
    return count, found, _visits([(c, s) for _, _, c, s in found])


def waiting_contacts(*, queues: list[Queue], limit: int, now: datetime) -> dict:
    """The contacts waiting now in ``queues``, longest wait first: contact id, queue, customer reference
    (where the source sent one), offered at and the wait so far (``metrics.longest_wait_s``), at most
    ``limit`` of them. From the live state's waiting sets; from the database while it is not loaded."""
    limit = min(limit, MAX_ROWS)
    by_id = {q.id: q for q in queues}
    if _live_loaded():
        count, found, visits = _from_sorted_sets(
            queues,
            lambda pipe, key: (pipe.zcard(key), pipe.zrange(key, 0, limit - 1, withscores=True)),
            keys.waiting_key,
            limit,
        )
    else:
        waiting = Contact.objects.filter(
            queue__in=queues, answered_at=None, abandoned_at=None, transferred_at=None, ended_at=None
        )
        count = waiting.count()
        rows = list(waiting.order_by("offered_at", "contact_id", "seq")[:limit])
        found = [(v.offered_at, v.queue_id, v.contact_id, v.seq) for v in rows]
        visits = {(v.contact_id, v.seq): v for v in rows}
    rows = []
    for offered_at, queue_id, contact_id, seq in found:
        visit = visits.get((contact_id, seq))
        rows.append({
            "contact_id": contact_id,
            "seq": seq,
            "queue": {"id": queue_id, "name": by_id[queue_id].name},
            "customer_ref": visit.customer_ref if visit else "",
            "offered_at": _local(offered_at),
            "wait_s": round(metrics.longest_wait_s(offered_at, now), 1),
        })  # fmt: skip
    return _answer(rows, count, now)


# --- today's abandoned callers not yet called back ------------------------------------------------------


def _called_back_q() -> Q:
    """The ORM form of ``rules.calls_back``: another contact of the same customer, offered later (or at
    the same instant with a higher contact id, as the repeat-contact rule orders them) and answered; or
    the abandoned visit's own callback made."""
    later = Contact.objects.filter(
        Q(offered_at__gt=OuterRef("offered_at"))
        | Q(offered_at=OuterRef("offered_at"), contact_id__gt=OuterRef("contact_id")),
        customer_ref=OuterRef("customer_ref"),
        answered_at__isnull=False,
    ).exclude(contact_id=OuterRef("contact_id"))
    return Q(Exists(later)) | Q(callback_completed_at__isnull=False)


def abandoned_not_called_back(*, queues: list[Queue], limit: int, now: datetime) -> dict:
    """Today's abandoned callers (abandoned since local midnight, unanswered) whom nobody has called
    back yet, earliest abandon first: customer reference, queue, offered and abandoned at, their wait
    and whether it was a short abandon (``metrics.is_short_abandon``). Called back: ``rules.calls_back``
    (a later contact of the same customer that was answered — they called again, or were called — or
    the visit's own callback made); one who hung up after a callback was promised is listed until it is
    made (``callback_promised_by``). Callers without a customer reference cannot be matched or called
    back: they are counted as ``anonymous``, not listed."""
    limit = min(limit, MAX_ROWS)
    start, end = day_bounds(local_today(now))
    abandoned = Contact.objects.filter(
        queue__in=queues, abandoned_at__gte=start, abandoned_at__lt=end, answered_at=None
    )
    anonymous = abandoned.filter(customer_ref="").count()
    open_ = abandoned.exclude(customer_ref="").exclude(_called_back_q())
    count = open_.count()
    by_id = {q.id: q for q in queues}
    rows = []
    for v in open_.order_by("abandoned_at", "contact_id", "seq")[:limit]:
        wait = visit_wait_s(v, now)
        rows.append({
            "contact_id": v.contact_id,
            "seq": v.seq,
            "queue": {"id": v.queue_id, "name": by_id[v.queue_id].name},
            "customer_ref": v.customer_ref,
            "offered_at": _local(v.offered_at),
            "abandoned_at": _local(v.abandoned_at),
            "wait_s": round(wait, 1),
            "short_abandon": metrics.is_short_abandon(wait, by_id[v.queue_id].short_abandon_threshold_s),
            "callback_promised_by": _local(v.callback_promised_by),
        })  # fmt: skip
    return _answer(rows, count, now, day=local_today(now).isoformat(), anonymous=anonymous)


# --- callbacks at risk ---------------------------------------------------------------------------------


def callbacks_at_risk(*, queues: list[Queue], within_min: int, overdue: bool, limit: int, now: datetime) -> dict:
    """Callbacks promised (``callback_promised_by``) within the next ``within_min`` minutes and not made
    yet (``rules.callback_pending``), the soonest promise first; with ``overdue`` also those whose promised
    time has passed (``overdue: true`` on each). From the live state's callbacks sets; from the database
    while it is not loaded."""
    limit = min(limit, MAX_ROWS)
    by_id = {q.id: q for q in queues}
    until = now + timedelta(minutes=within_min)
    low = "-inf" if overdue else now.timestamp()
    if _live_loaded():
        high = until.timestamp()
        count, found, visits = _from_sorted_sets(
            queues,
            lambda pipe, key: (
                pipe.zcount(key, low, high),
                pipe.zrangebyscore(key, low, high, start=0, num=limit, withscores=True),
            ),
            keys.callbacks_key,
            limit,
        )
    else:
        pending = Contact.objects.filter(
            queue__in=queues, callback_promised_by__isnull=False, callback_completed_at=None,
            callback_promised_by__lte=until,
        )  # fmt: skip
        if not overdue:
            pending = pending.filter(callback_promised_by__gte=now)
        count = pending.count()
        rows = [v for v in pending.order_by("callback_promised_by", "contact_id", "seq")[:limit] if callback_pending(v)]
        found = [(v.callback_promised_by, v.queue_id, v.contact_id, v.seq) for v in rows]
        visits = {(v.contact_id, v.seq): v for v in rows}
    rows = []
    for promised_by, queue_id, contact_id, seq in found:
        visit = visits.get((contact_id, seq))
        left = metrics.seconds_between(now, promised_by)
        rows.append({
            "contact_id": contact_id,
            "seq": seq,
            "queue": {"id": queue_id, "name": by_id[queue_id].name},
            "customer_ref": visit.customer_ref if visit else "",
            "requested_at": _local(visit.callback_requested_at) if visit else None,
            "promised_by": _local(promised_by),
            "left_s": round(left, 1),
            "overdue": left < 0,
        })  # fmt: skip
    return _answer(rows, count, now, within_min=within_min)


# --- a queue's contacts in an interval -----------------------------------------------------------------


def interval_contacts(*, queue: Queue, start: datetime, end: datetime, limit: int, now: datetime) -> dict:
    """The visits offered to ``queue`` in ``[start, end)``, in the order offered: offered, answered and
    abandoned at, wait (``rules.visit_wait_s``), talk, agent and outcome (``rules.visit_outcome``). The
    same contacts the interval's figures count (a contact belongs to the interval it was offered in)."""
    limit = min(limit, MAX_ROWS)
    visits = Contact.objects.filter(queue=queue, offered_at__gte=start, offered_at__lt=end)
    count = visits.count()
    rows = []
    for v in visits.select_related("agent").order_by("offered_at", "contact_id", "seq")[:limit]:
        outcome = visit_outcome(v)
        wait = visit_wait_s(v, now)
        rows.append({
            "contact_id": v.contact_id,
            "seq": v.seq,
            "customer_ref": v.customer_ref,
            "offered_at": _local(v.offered_at),
            "answered_at": _local(v.answered_at),
            "abandoned_at": _local(v.abandoned_at),
            "wait_s": round(wait, 1),
            "talk_s": None if v.talk_s is None else round(v.talk_s, 1),
            "agent": {"login_id": v.agent.login_id, "name": v.agent.name} if v.agent else None,
            "outcome": outcome,
            "short_abandon": outcome == "abandoned"
            and metrics.is_short_abandon(wait, queue.short_abandon_threshold_s),
        })  # fmt: skip
    return _answer(rows, count, now, queue={"id": queue.id, "name": queue.name}, start=_local(start), end=_local(end))
