"""The rules of the live state, shared by its writers (ingest, rebuild) and its readers (the snapshot):
what a queue's counting needs, what a visit adds to the counters, where a contact stands now, and the
changes one batch makes. Pure: nothing here reads or writes Redis or the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dashboard.core.metrics import Counts, seconds_between
from dashboard.core.models import Queue
from dashboard.core.periods import centre_tz
from dashboard.live import keys


@dataclass(frozen=True)
class QueueRule:
    """What counting a queue's contacts needs to know of the queue."""

    id: int
    sl_threshold_s: float
    short_abandon_threshold_s: float

    @classmethod
    def of(cls, queue: Queue) -> QueueRule:
        # An asynchronous queue's contacts count against its response target (metrics.answer_threshold_s).
        return cls(queue.id, queue.answer_threshold_s, queue.short_abandon_threshold_s)


def visit_counts(visit, rule: QueueRule) -> Counts:
    """A visit's contribution to its queue's counters (a derived ``Visit`` or a stored ``Contact``)."""
    return Counts.of_contact(
        offered_at=visit.offered_at,
        answered_at=visit.answered_at,
        abandoned_at=visit.abandoned_at,
        ended_at=visit.ended_at,
        transferred_at=visit.transferred_at,
        talk_s=visit.talk_s,
        hold_s=visit.hold_s,
        acw_s=visit.acw_s,
        callback_promised_by=visit.callback_promised_by,
        callback_completed_at=visit.callback_completed_at,
        sl_threshold_s=rule.sl_threshold_s,
        short_abandon_threshold_s=rule.short_abandon_threshold_s,
    )


def waiting_member(contact_id: str, seq: int) -> str:
    return f"{contact_id}#{seq}"


@dataclass
class LiveChanges:
    """What one ingest batch changes in the live state, applied after the batch commits."""

    version: int = 0
    counters: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    contacts: list[tuple[str, list[tuple], list[tuple]]] = field(default_factory=list)
    agents: list[tuple[int, str, str, float]] = field(default_factory=list)
    _now: datetime | None = field(default=None, repr=False, compare=False)

    def _limits(self, now: datetime) -> None:
        if self._now != now:  # a batch has one "now": work out its limits once
            self._now, tz = now, centre_tz()
            self._tz = tz
            self._first_day = now.astimezone(tz).date() - timedelta(days=keys.DAYS_KEPT - 1)
            self._minute_cutoff = now - timedelta(seconds=keys.MINUTE_KEYS_KEPT_S)
            # Before this no offer time falls in a kept bucket: the local start of the first day kept, or
            # the minute cut-off, whichever is earlier.
            self._counted_from = min(datetime.combine(self._first_day, datetime.min.time(), tz), self._minute_cutoff)

    def counted(self, offered_at: datetime, *, now: datetime) -> bool:
        """Whether a contact offered at ``offered_at`` is in a bucket the live state keeps (today, yesterday,
        the last minutes): the others' counts would change nothing, so need not be worked out."""
        self._limits(now)
        return offered_at >= self._counted_from

    def add_counts(
        self, rule: QueueRule, offered_at: datetime, counts: Counts, *, now: datetime, agent_id: int | None = None
    ) -> None:
        """Add ``counts`` (negative to remove) to the buckets the contact belongs to: its queue's day,
        quarter-hour and minute, and the day of the agent who answered it."""
        self._limits(now)
        local_day = offered_at.astimezone(self._tz).date()
        counters = self.counters
        if local_day >= self._first_day:
            counters[keys.day_key(rule.id, local_day)] += counts
            counters[keys.quarter_key(rule.id, keys.epoch_quarter(offered_at))] += counts
            if agent_id is not None:
                counters[keys.agent_day_key(agent_id, local_day)] += counts
        if offered_at >= self._minute_cutoff:
            counters[keys.minute_key(rule.id, keys.epoch_minute(offered_at))] += counts

    def contact(
        self, contact_id: str, old: list, new: list, queue_ids: dict[str, int], agent_ids: dict[str, int]
    ) -> None:
        """Record where a contact is now: remove every member its old and new visits could have (waiting
        in a queue, talking to an agent), then add the current ones. Set-like, so it can be replayed.

        A contact that was quiet and is quiet (no visit waiting, talking or with a callback due, before
        or after: a contact of the past, or one whose whole life came in one batch) has nothing in the
        live state to change and is left out. Left out, too, is its version mark; none is needed, since
        an earlier derivation that put it somewhere had committed before this one read its visits, so
        its old visits would not be quiet."""
        if not any(_live(v) for v in old) and not any(_live(v) for v in new):
            return
        removals = []
        for v in old:
            member = waiting_member(contact_id, v.seq)
            removals.append(("z", keys.waiting_key(v.queue_id), member))
            removals.append(("z", keys.callbacks_key(v.queue_id), member))
            if v.agent_id:
                removals.append(("h", keys.agent_contact_key(v.agent_id), member))
        additions = []
        for v in new:
            member = waiting_member(contact_id, v.seq)
            removals.append(("z", keys.waiting_key(queue_ids[v.queue]), member))
            removals.append(("z", keys.callbacks_key(queue_ids[v.queue]), member))
            if v.agent:
                removals.append(("h", keys.agent_contact_key(agent_ids[v.agent]), member))
            if v.waiting:
                additions.append(("z", keys.waiting_key(queue_ids[v.queue]), v.offered_at.timestamp(), member))
            elif talking(v):
                value = f"{queue_ids[v.queue]}|{v.answered_at.timestamp()}"
                additions.append(("h", keys.agent_contact_key(agent_ids[v.agent]), value, member))
            if callback_pending(v):
                promised = v.callback_promised_by.timestamp()
                additions.append(("z", keys.callbacks_key(queue_ids[v.queue]), promised, member))
        if removals or additions:
            self.contacts.append((contact_id, removals, additions))


def _live(visit) -> bool:
    """The visit has a place in the live state: waiting in its queue, talking to an agent, or a callback due."""
    waiting = not (visit.answered_at or visit.abandoned_at or visit.transferred_at or visit.ended_at)
    return waiting or talking(visit) or callback_pending(visit)


def callback_pending(visit) -> bool:
    """A callback was promised on this visit and has not been made yet."""
    return bool(visit.callback_promised_by and not visit.callback_completed_at)


def talking(visit) -> bool:
    """An agent is on this visit now: answered, and neither ended nor transferred away."""
    return bool(visit.answered_at and not visit.ended_at and not visit.transferred_at)


def visit_outcome(visit) -> str:
    """How a visit ended, in the field's words: ``answered``; ``abandoned`` (the customer hung up
    waiting); ``transferred`` (moved to another queue unanswered, an overflow); ``waiting`` (still in
    the queue); ``ended`` (closed unanswered by the system)."""
    if visit.answered_at:
        return "answered"
    if visit.abandoned_at:
        return "abandoned"
    if visit.transferred_at:
        return "transferred"
    if visit.ended_at:
        return "ended"
    return "waiting"


def visit_wait_s(visit, now: datetime) -> float:
    """A visit's wait in its queue: from offered until answered, abandoned, transferred away or ended,
    as ``metrics.Counts.of_contact`` counts it; until ``now`` while it waits. Never negative."""
    until = visit.answered_at or visit.abandoned_at or visit.transferred_at or visit.ended_at or now
    return max(0.0, seconds_between(visit.offered_at, until))


def calls_back(abandoned, other) -> bool:
    """Whether ``other`` (a visit) means the customer of the ``abandoned`` visit was called back: another
    contact of the same customer (``customer_ref``, not empty), offered later — at the same instant, the
    higher contact id is the later, as repeat contacts are ordered (``core.sql`` same_customer_within) — and
    answered: they called again and were answered, or were called back (an outbound callback is a
    contact answered when the customer picks up). The abandoned visit's own callback made counts too
    (``other`` is then the visit itself)."""
    if other.contact_id == abandoned.contact_id:
        return other.seq == abandoned.seq and bool(abandoned.callback_completed_at)
    if not abandoned.customer_ref or other.customer_ref != abandoned.customer_ref or not other.answered_at:
        return False
    return (other.offered_at, other.contact_id) > (abandoned.offered_at, abandoned.contact_id)
