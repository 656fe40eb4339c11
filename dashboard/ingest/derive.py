"""Folding the event log into contacts and agent state spans: pure functions, no database.

The same fold serves live ingest and ``rebuild_state``, so both give the same result whatever order the
events arrived in: events are always folded in the order of their time (``at``), then of their type's
place in a contact's life, then of their arrival.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from dashboard.ingest.schema import TYPE_RANK, parse_datetime


class LoggedEvent(NamedTuple):
    """An event as stored in the log (``seq`` is its arrival order: the log's primary key). A named tuple:
    an import makes hundreds of thousands of them."""

    seq: int
    type: str
    at: datetime
    payload: dict[str, Any]


@dataclass(slots=True)
class Visit:
    """A contact's visit to one queue; field meanings as on ``dashboard.models.Contact``."""

    contact_id: str
    seq: int
    queue: str
    channel: str
    offered_at: datetime
    customer_ref: str = ""
    reason: str = ""
    answered_at: datetime | None = None
    abandoned_at: datetime | None = None
    ended_at: datetime | None = None
    wrapup_ended_at: datetime | None = None
    transferred_at: datetime | None = None
    transferred_to_queue: str = ""
    transferred_to_agent: str = ""
    transfers: int = 0
    agent: str | None = None
    talk_s: float | None = None
    hold_s: float | None = None
    acw_s: float | None = None
    disposition: str = ""
    callback_requested_at: datetime | None = None
    callback_promised_by: datetime | None = None
    callback_completed_at: datetime | None = None
    events: int = 0

    @property
    def waiting(self) -> bool:
        """Still in the queue: offered, and not answered, abandoned, transferred away or ended."""
        return not (self.answered_at or self.abandoned_at or self.transferred_at or self.ended_at)

    @property
    def finished(self) -> bool:
        return bool(self.abandoned_at or self.transferred_at or self.ended_at)


def contact_sort_key(event: LoggedEvent) -> tuple:
    return (event.at, TYPE_RANK.get(event.type, 99), event.seq)


def _end_talk(visit: Visit, at: datetime, talk_s: float | None = None, hold_s: float | None = None) -> None:
    visit.ended_at = at
    visit.hold_s = hold_s
    if talk_s is None:
        talk_s = max(0.0, (at - visit.answered_at).total_seconds() - (hold_s or 0.0))
    visit.talk_s = talk_s


def fold_contact(contact_id: str, events: list[LoggedEvent]) -> list[Visit]:
    """The visits of one contact from all its events (any order, duplicates already removed).

    Rules, for events the ACD may send in any order or more than once under other ids:

    * ``contact.offered`` opens a visit to its queue. An offer to the queue the contact is already
      waiting in is the same visit; an offer to another queue while the contact is still there moves it
      (a transfer); an offer after the contact finished (abandoned, ended) is a new visit (a re-queue).
    * ``contact.answered`` / ``contact.abandoned`` apply to a waiting visit; whichever comes first wins.
    * ``contact.transferred`` with ``to_queue`` finishes the visit (ending the talk if answered) and opens
      a visit to ``to_queue`` at the same moment; with ``to_agent`` it counts a transfer and keeps the visit.
    * ``contact.ended`` ends the talk of an answered visit; on a visit nobody answered it is an abandon
      (ACDs report a caller hanging up in the queue that way). Talk is ``talk_s`` when given, else the
      time from answer to end less hold.
    * ``contact.wrapup_ended`` closes the after-call work of the last ended visit: ``acw_s`` when given,
      else the time from end to wrap-up end. One that comes before the end waits for it.
    * ``callback.requested`` applies to the contact's current visit (the queue that made the promise);
      ``callback.completed`` to the visit that holds the request.
    * Events before the first ``contact.offered`` are kept in the log and take effect once it arrives.
    """
    visits: list[Visit] = []
    pending_wrapup: LoggedEvent | None = None
    ordered = sorted(events, key=contact_sort_key)
    for event in ordered:
        p, at, kind = event.payload, event.at, event.type
        current = visits[-1] if visits else None
        if kind == "contact.offered":
            if current is not None and current.waiting and current.queue == p["queue"]:
                current.customer_ref = current.customer_ref or p.get("customer_ref", "")
                current.reason = current.reason or p.get("reason", "")
                continue
            if current is not None and not current.finished:
                _transfer_out(current, at, to_queue=p["queue"])
            inherited = current or Visit(contact_id, 0, "", p["channel"], at)
            visits.append(
                Visit(
                    contact_id=contact_id,
                    seq=len(visits),
                    queue=p["queue"],
                    channel=p["channel"],
                    offered_at=at,
                    customer_ref=p.get("customer_ref") or inherited.customer_ref,
                    reason=p.get("reason") or inherited.reason,
                )
            )
            continue
        if current is None:
            continue
        if kind == "contact.answered":
            if current.waiting:
                current.answered_at = at
                current.agent = p["agent"]
        elif kind == "contact.abandoned":
            if current.waiting:
                current.abandoned_at = at
        elif kind == "contact.transferred":
            if "to_queue" in p and not current.finished:
                _transfer_out(current, at, to_queue=p["to_queue"])
                visits.append(
                    Visit(
                        contact_id=contact_id,
                        seq=len(visits),
                        queue=p["to_queue"],
                        channel=current.channel,
                        offered_at=at,
                        customer_ref=current.customer_ref,
                        reason=current.reason,
                    )
                )
            elif "to_agent" in p and not current.finished:
                current.transfers += 1
                current.transferred_to_agent = p["to_agent"]
                if current.answered_at is None and current.waiting:
                    current.answered_at = at
                    current.agent = p["to_agent"]
        elif kind == "contact.ended":
            if current.answered_at and not current.ended_at and not current.transferred_at:
                _end_talk(current, at, p.get("talk_s"), p.get("hold_s"))
                if pending_wrapup is not None:
                    _wrap_up(current, pending_wrapup)
                    pending_wrapup = None
            elif current.waiting:
                current.abandoned_at = at
        elif kind == "contact.wrapup_ended":
            target = next((v for v in reversed(visits) if v.ended_at and v.answered_at), None)
            if target is None or target.wrapup_ended_at is not None:
                if target is None:
                    pending_wrapup = event
                continue
            _wrap_up(target, event)
        elif kind == "callback.requested":
            if current.callback_requested_at is None:
                current.callback_requested_at = at
                current.callback_promised_by = parse_datetime(p["promised_by"], "promised_by")
        elif kind == "callback.completed":
            holder = next((v for v in reversed(visits) if v.callback_requested_at), None)
            if holder is not None and holder.callback_completed_at is None:
                holder.callback_completed_at = at
    for visit in visits:
        visit.events = len(ordered)
    return visits


def _transfer_out(visit: Visit, at: datetime, *, to_queue: str) -> None:
    visit.transferred_at = at
    visit.transferred_to_queue = to_queue
    visit.transfers += 1
    if visit.answered_at and not visit.ended_at:
        _end_talk(visit, at)


def _wrap_up(visit: Visit, event: LoggedEvent) -> None:
    p = event.payload
    visit.wrapup_ended_at = event.at
    acw = p.get("acw_s")
    visit.acw_s = acw if acw is not None else max(0.0, (event.at - visit.ended_at).total_seconds())
    visit.disposition = p.get("disposition") or p.get("reason") or ""


# --- agent state spans ---------------------------------------------------------------------------


@dataclass
class Span:
    state: str
    reason: str
    start: datetime
    end: datetime | None = None
    pk: int | None = None  # set for a span that is already stored
    extra: dict = field(default_factory=dict)


def fold_agent_states(events: list[LoggedEvent], spans: list[Span] | None = None) -> list[Span]:
    """Extend ``spans`` (the agent's spans so far, oldest first) with its ``agent.state`` events.

    A state lasts from its event to the agent's next change of state: an event repeating the current
    state and reason is no change. Two events at the same instant leave no zero-length span: the later
    one wins (and merges into the span before when it restores that span's state). Each span's ``end`` is
    the next span's ``start``; the last one is open.
    """
    spans = list(spans or [])
    for event in sorted(events, key=lambda e: (e.at, e.seq)):
        state, reason = event.payload["state"], event.payload.get("reason", "") or ""
        if spans and spans[-1].start == event.at and spans[-1].pk is None:
            spans[-1].state, spans[-1].reason = state, reason
            if len(spans) > 1 and (spans[-2].state, spans[-2].reason) == (state, reason):
                spans.pop()
            continue
        if spans and (spans[-1].state, spans[-1].reason) == (state, reason):
            continue
        spans.append(Span(state=state, reason=reason, start=event.at))
    for before, after in zip(spans, spans[1:]):
        before.end = after.start
    if spans:
        spans[-1].end = None
    return spans
