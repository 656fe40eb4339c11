"""Every KPI formula of KCC Live, in one pure module (no Django, no I/O).

The wallboard, the reports and the exports all call these functions, so a figure is computed one way
only. Counts are summed first and ratios taken last: a total is never an average of percentages.

Definitions follow the common contact-centre usage (COPC CX Standard, ICMI / Cleveland & Mayben, "Call
Center Management on Fast Forward"; the vendors' documented variants are named where they differ):

* offered      — contacts offered to a queue (a contact transferred to another queue is offered there too)
* answered     — offered contacts an agent accepted
* abandoned    — offered contacts the customer left before an agent accepted them
* short abandon — an abandon after a wait strictly shorter than the queue's short-abandon threshold
  (a misdial or a caller who hears the queue message and hangs up; excluded from the default service
  level). An abandon exactly at the threshold is *not* short.
* answered within threshold — answered after a wait of at most the service-level threshold (``wait <=
  threshold``: "answered within 20 seconds" includes the 20th second).
* wait         — from offered to answered (or abandoned), in seconds.

Durations in counters are integer milliseconds so that sums stay exact however they are added up.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime

# --- service level -------------------------------------------------------------------------------

SL_ANSWERED_OVER_ANSWERED_AND_LATE_ABANDONED = "answered_abandoned_excl_short"
SL_ANSWERED_OVER_ANSWERED = "answered"
SL_ANSWERED_OVER_OFFERED = "offered"
SL_DEFAULT = SL_ANSWERED_OVER_ANSWERED_AND_LATE_ABANDONED

SL_FORMULA_LABELS = {
    SL_ANSWERED_OVER_ANSWERED_AND_LATE_ABANDONED: (
        "answered within threshold ÷ (answered + abandoned after the short-abandon threshold)"
    ),
    SL_ANSWERED_OVER_ANSWERED: "answered within threshold ÷ answered",
    SL_ANSWERED_OVER_OFFERED: "answered within threshold ÷ offered",
}


def service_level(
    *,
    formula: str,
    answered_within_threshold: int,
    answered: int,
    abandoned: int = 0,
    short_abandoned: int = 0,
    offered: int = 0,
) -> float | None:
    """Service level in percent (0–100), or None when the denominator is zero (nothing to judge).

    Variants (the queue chooses one):

    * ``answered_abandoned_excl_short`` (default, ICMI / COPC):
      ``answered_within_threshold / (answered + abandoned - short_abandoned)``. Every abandon after the
      short-abandon threshold counts against the service level; short abandons count for nothing.
    * ``answered``: ``answered_within_threshold / answered`` (abandons ignored — flatters the figure;
      Amazon Connect's "service level" and many ACDs' default).
    * ``offered``: ``answered_within_threshold / offered`` (every offered contact counts, including
      those still waiting or transferred away; the strictest).
    """
    if formula == SL_ANSWERED_OVER_ANSWERED_AND_LATE_ABANDONED:
        denominator = answered + abandoned - short_abandoned
    elif formula == SL_ANSWERED_OVER_ANSWERED:
        denominator = answered
    elif formula == SL_ANSWERED_OVER_OFFERED:
        denominator = offered
    else:
        raise ValueError(f"unknown service-level formula {formula!r}; one of {sorted(SL_FORMULA_LABELS)}")
    if denominator <= 0:
        return None
    return 100.0 * answered_within_threshold / denominator


def pooled_sl_formula(formulas: Iterable[str]) -> str:
    """The service-level formula of several queues taken together (a team, a channel, a report total):
    their common formula when they all use the same one, else ``SL_DEFAULT`` — a total of queues that
    count differently is judged by the standard definition. No queues: ``SL_DEFAULT``."""
    distinct = set(formulas)
    return distinct.pop() if len(distinct) == 1 else SL_DEFAULT


def seconds_between(start: datetime, end: datetime) -> float:
    """Elapsed seconds from ``start`` to ``end`` as real time.

    Both are taken to UTC first: Python subtracts two datetimes of the same zone by wall clock, which is
    an hour off across a DST change (01:59:50 CET to 03:00:05 CEST is 15 s, not 1 h 15 s).
    """
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def answered_within(wait_s: float, threshold_s: float) -> bool:
    """True when a contact answered after ``wait_s`` counts as answered within the threshold (≤)."""
    return wait_s <= threshold_s


def is_short_abandon(wait_s: float, short_abandon_threshold_s: float) -> bool:
    """True when an abandon after ``wait_s`` is a short abandon (strictly shorter than the threshold)."""
    return wait_s < short_abandon_threshold_s


# --- averages and rates --------------------------------------------------------------------------


def asa_s(*, wait_answered_ms: int, answered: int) -> float | None:
    """Average speed of answer: total wait of answered contacts ÷ answered contacts, in seconds.

    Only answered contacts count (abandons are not in the numerator or the denominator). None when
    nothing was answered.
    """
    if answered <= 0:
        return None
    return wait_answered_ms / answered / 1000.0


def handle_ms(*, talk_ms: float, hold_ms: float, acw_ms: float) -> float:
    """Handle time of contacts in milliseconds: talk + hold + after-call work."""
    return talk_ms + hold_ms + acw_ms


def aht_s(*, talk_ms: int, hold_ms: int, acw_ms: int, handled: int) -> float | None:
    """Average handle time: (talk + hold + after-call work) ÷ handled contacts, in seconds.

    A contact is handled once an agent answered it and the conversation ended; its after-call work
    counts when the wrap-up ends. None when nothing was handled.
    """
    return aht_of_handle_s(handle_ms=handle_ms(talk_ms=talk_ms, hold_ms=hold_ms, acw_ms=acw_ms), handled=handled)


def aht_of_handle_s(*, handle_ms: float, handled: float) -> float | None:
    """Average handle time from a summed handle time (``handle_ms``, milliseconds) and the contacts
    handled, in seconds: ``handle_ms ÷ handled ÷ 1000``. ``handled`` may be a weighted (fractional) count,
    as in a forecast built from weighted weeks. None when nothing was handled."""
    if handled <= 0:
        return None
    return handle_ms / handled / 1000.0


def abandon_rate(*, abandoned: int, offered: int) -> float | None:
    """Abandon rate in percent: abandoned ÷ offered × 100 (short abandons included). None when
    nothing was offered."""
    if offered <= 0:
        return None
    return 100.0 * abandoned / offered


def average(total: float, count: int) -> float | None:
    """A plain mean that is None for an empty set, for averages not named above."""
    return None if count <= 0 else total / count


def occupancy(*, on_contact_s: float, acw_s: float, available_s: float) -> float | None:
    """Occupancy in percent: time handling contacts ÷ time handling or available for contacts.

    ``(on_contact + acw) / (on_contact + acw + available) × 100``; paused and logged-out time count in
    neither. Live, it is the share of agents busy right now (pass agent counts instead of seconds).
    None when nobody was available or busy.
    """
    busy = on_contact_s + acw_s
    staffed = busy + available_s
    if staffed <= 0:
        return None
    return 100.0 * busy / staffed


def longest_wait_s(oldest_offered_at: datetime | None, now: datetime) -> float:
    """Longest current wait: seconds since the oldest contact still waiting was offered (0 when the
    queue is empty). Never negative, even when clocks differ slightly."""
    if oldest_offered_at is None:
        return 0.0
    return max(0.0, seconds_between(oldest_offered_at, now))


def threshold_status(value: float | None, *, warning: float, critical: float, higher_is_better: bool) -> str:
    """'normal', 'warning' or 'critical' for a KPI value against its thresholds.

    Higher is better (service level): critical when ``value <= critical``, warning when ``value <=
    warning``. Lower is better (ASA, longest wait): critical when ``value >= critical``, warning when
    ``value >= warning``. A missing value (nothing offered) is 'normal': there is nothing to act on.
    """
    if value is None:
        return "normal"
    if higher_is_better:
        if value <= critical:
            return "critical"
        if value <= warning:
            return "warning"
        return "normal"
    if value >= critical:
        return "critical"
    if value >= warning:
        return "warning"
    return "normal"


def target_status(value: float | None, *, target: float, higher_is_better: bool) -> str:
    """'normal' or 'critical' of a value against a bare target that has no warning level (a queue's own
    service-level target where no KPI row sets thresholds): meeting the target (``value >= target``, or
    ``<=`` when lower is better) is normal, missing it critical. It is ``threshold_status`` with both
    thresholds at the nearest number short of the target, so there is one rule; None is 'normal'."""
    edge = math.nextafter(target, -math.inf if higher_is_better else math.inf)
    return threshold_status(value, warning=edge, critical=edge, higher_is_better=higher_is_better)


def status_from_s(*, warning: float, critical: float, higher_is_better: bool) -> dict[str, float] | None:
    """For a figure that grows by one every second (the longest wait, the age of the oldest item): the
    values from which ``threshold_status`` says 'warning' and 'critical', so that a screen whose clock
    ticks between two messages can change colour on time without knowing the rule. From the first of
    them the status is 'warning', from the second 'critical' (``value >= from``).

    None when higher is better: a growing figure then only improves, and the status sent with the
    figure stays right until the next message."""
    if higher_is_better:
        return None
    return {"warning": float(warning), "critical": float(critical)}


def response_target_share(oldest_age_s: float, response_target_s: float | None) -> float | None:
    """How far the oldest item of an asynchronous queue (e-mail, WhatsApp) is into its response-time
    target, in percent: 100 means it is due now. None without a target."""
    if not response_target_s:
        return None
    return 100.0 * oldest_age_s / response_target_s


# An asynchronous queue's backlog turns amber when its oldest item has used this much of the response
# target, red when the target has passed (COPC: response-time compliance for non-voice channels).
RESPONSE_WARNING_PCT = 80.0
RESPONSE_CRITICAL_PCT = 100.0


def response_status(oldest_age_s: float, response_target_s: float | None) -> str:
    """'normal' / 'warning' / 'critical' of an asynchronous queue's oldest item against its target."""
    return threshold_status(
        response_target_share(oldest_age_s, response_target_s),
        warning=RESPONSE_WARNING_PCT,
        critical=RESPONSE_CRITICAL_PCT,
        higher_is_better=False,
    )


_STATUS_RANK = {"normal": 0, "warning": 1, "critical": 2}


def worst_status(statuses: Iterable[str]) -> str:
    """The worst of several statuses ('critical' over 'warning' over 'normal'); 'normal' for none: a
    block of queues is as bad as its worst queue."""
    return max(statuses, key=_STATUS_RANK.__getitem__, default="normal")


def response_status_from_s(response_target_s: float | None) -> dict[str, float] | None:
    """The ages (seconds) of an asynchronous queue's oldest item from which ``response_status`` says
    'warning' and 'critical' (see ``status_from_s``). None without a target."""
    if not response_target_s:
        return None
    return {
        "warning": RESPONSE_WARNING_PCT * response_target_s / 100.0,
        "critical": RESPONSE_CRITICAL_PCT * response_target_s / 100.0,
    }


# --- counting one contact ------------------------------------------------------------------------


@dataclass
class Counts:
    """Summable counters of contacts offered to a queue in some period.

    A contact's figures belong to the period in which it was offered to the queue; ``Counts.of_contact``
    gives one contact's contribution and ``+`` adds them up, so any period is a sum of contacts.
    """

    offered: int = 0
    answered: int = 0
    answered_within_threshold: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    abandoned_within_threshold: int = 0
    transferred_out: int = 0
    handled: int = 0
    wait_answered_ms: int = 0
    wait_abandoned_ms: int = 0
    talk_ms: int = 0
    hold_ms: int = 0
    acw_ms: int = 0
    callbacks_requested: int = 0
    callbacks_completed: int = 0
    callbacks_kept_on_time: int = 0

    # Sums run thousands of times a second on the live path: work on plain tuples of the values.
    def __add__(self, other: Counts) -> Counts:
        return Counts(*map(operator.add, _COUNT_VALUES(self), _COUNT_VALUES(other)))

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*map(operator.sub, _COUNT_VALUES(self), _COUNT_VALUES(other)))

    def __neg__(self) -> Counts:
        return Counts(*(-v for v in _COUNT_VALUES(self)))

    def as_dict(self) -> dict[str, int]:
        return dict(zip(COUNT_FIELDS, _COUNT_VALUES(self), strict=True))

    @classmethod
    def from_mapping(cls, mapping) -> Counts:
        """Counts from a mapping of names to numbers (e.g. a Redis hash); unknown names are ignored."""
        return cls(**{k: int(v) for k, v in mapping.items() if k in _COUNT_NAMES})

    @classmethod
    def of_contact(
        cls,
        *,
        offered_at: datetime,
        answered_at: datetime | None,
        abandoned_at: datetime | None,
        ended_at: datetime | None,
        transferred_at: datetime | None,
        talk_s: float | None,
        hold_s: float | None,
        acw_s: float | None,
        callback_promised_by: datetime | None,
        callback_completed_at: datetime | None,
        sl_threshold_s: float,
        short_abandon_threshold_s: float,
    ) -> Counts:
        """One contact's contribution to its queue's counters (see the module docstring for terms)."""
        c = cls(offered=1)
        if answered_at is not None:
            wait = max(0.0, seconds_between(offered_at, answered_at))
            c.answered = 1
            c.wait_answered_ms = round(wait * 1000)
            c.answered_within_threshold = int(answered_within(wait, sl_threshold_s))
            if ended_at is not None:
                c.handled = 1
                c.talk_ms = round((talk_s or 0.0) * 1000)
                c.hold_ms = round((hold_s or 0.0) * 1000)
                c.acw_ms = round((acw_s or 0.0) * 1000)
        elif abandoned_at is not None:
            wait = max(0.0, seconds_between(offered_at, abandoned_at))
            c.abandoned = 1
            c.wait_abandoned_ms = round(wait * 1000)
            c.short_abandoned = int(is_short_abandon(wait, short_abandon_threshold_s))
            c.abandoned_within_threshold = int(answered_within(wait, sl_threshold_s))
        if transferred_at is not None:
            c.transferred_out = 1
        if callback_promised_by is not None:
            c.callbacks_requested = 1
            if callback_completed_at is not None:
                c.callbacks_completed = 1
                c.callbacks_kept_on_time = int(seconds_between(callback_completed_at, callback_promised_by) >= 0)
        return c


COUNT_FIELDS = tuple(f.name for f in fields(Counts))
_COUNT_NAMES = frozenset(COUNT_FIELDS)
_COUNT_VALUES = operator.attrgetter(*COUNT_FIELDS)


def kpis(counts: Counts, *, formula: str = SL_DEFAULT) -> dict[str, float | None]:
    """The standard KPIs of a set of counts, each by its one formula above."""
    return {
        "service_level": service_level(
            formula=formula,
            answered_within_threshold=counts.answered_within_threshold,
            answered=counts.answered,
            abandoned=counts.abandoned,
            short_abandoned=counts.short_abandoned,
            offered=counts.offered,
        ),
        "asa_s": asa_s(wait_answered_ms=counts.wait_answered_ms, answered=counts.answered),
        "aht_s": aht_s(talk_ms=counts.talk_ms, hold_ms=counts.hold_ms, acw_ms=counts.acw_ms, handled=counts.handled),
        "abandon_rate": abandon_rate(abandoned=counts.abandoned, offered=counts.offered),
    }


# --- totals of queues of both kinds ------------------------------------------------------------------
#
# A total (a team, a channel, the whole centre, a report's or an export's total) may hold synchronous
# queues (voice, chat, video, counter: the customer waits on the line, for seconds) and asynchronous
# ones (e-mail, WhatsApp, social, letter, callbacks: a backlog answered within hours). Pooling their
# waits gives figures that are true and useless (an ASA of 8 minutes while the phones answer in 6 s), so
# a total keeps the kinds apart: service level, ASA, longest wait and their status are its synchronous
# queues' only; its asynchronous queues give their own block (backlog, oldest item, response-time
# attainment); counts may be summed.


@dataclass(frozen=True)
class KindCounts:
    """The summed counts of a total's queues, split by kind, and how many queues of each kind it has."""

    synchronous: Counts
    asynchronous: Counts
    synchronous_queues: int = 0
    asynchronous_queues: int = 0

    @property
    def all(self) -> Counts:
        """Both kinds summed: the total's offered, answered, abandoned, handled."""
        return self.synchronous + self.asynchronous

    @classmethod
    def of(cls, parts: Iterable[tuple[bool, Counts]]) -> KindCounts:
        """From ``(synchronous, counts)`` per queue of the total."""
        sync, asyn, n_sync, n_async = Counts(), Counts(), 0, 0
        for synchronous, counts in parts:
            if synchronous:
                sync, n_sync = sync + counts, n_sync + 1
            else:
                asyn, n_async = asyn + counts, n_async + 1
        return cls(sync, asyn, n_sync, n_async)


def response_attainment(*, answered_within_target: int, answered: int) -> float | None:
    """Response-time attainment of asynchronous queues in percent: items answered within their queue's
    response-time target ÷ items answered × 100 (COPC's response-time compliance for non-voice
    channels). Items still in the backlog are judged by the age of the oldest (``response_status``),
    not here. None when nothing was answered."""
    if answered <= 0:
        return None
    return 100.0 * answered_within_target / answered


def total_kpis(kinds: KindCounts, *, formula: str = SL_DEFAULT) -> dict[str, float | None]:
    """The standard KPIs of a total of queues (see ``kpis``), kinds kept apart:

    * ``service_level`` and ``asa_s``: over its synchronous queues only (``formula``: theirs, see
      ``pooled_sl_formula``); None when it has no synchronous queue or they have nothing to judge. A
      voice contact answered after 10 s and an e-mail answered after an hour: ASA 10 s.
    * ``aht_s`` and ``abandon_rate``: over the summed counts of all its queues (handle time and
      abandons are not waits; the split by kind is in ``kind_split``).
    """
    out = kpis(kinds.all, formula=formula)
    sync = kpis(kinds.synchronous, formula=formula)
    out["service_level"] = sync["service_level"]
    out["asa_s"] = sync["asa_s"]
    return out


def kind_split(kinds: KindCounts) -> dict[str, dict[str, int]]:
    """The total's counts per kind (``synchronous``, ``asynchronous``): queues, offered, answered,
    abandoned, handled."""
    return {
        name: {
            "queues": n,
            "offered": c.offered,
            "answered": c.answered,
            "abandoned": c.abandoned,
            "handled": c.handled,
        }
        for name, c, n in (
            ("synchronous", kinds.synchronous, kinds.synchronous_queues),
            ("asynchronous", kinds.asynchronous, kinds.asynchronous_queues),
        )
    }


def async_block(
    counts: Counts, *, queues: int, backlog: int = 0, oldest_age_s: float | None = None
) -> dict[str, float | int | None]:
    """The asynchronous queues of a total, as their own block: ``queues`` (how many), ``backlog`` (items
    waiting), ``oldest_s`` (age of the oldest, None when none waits), ``offered``, ``answered``,
    ``handled``, ``answered_within_target`` and ``response_attainment`` (percent, see
    ``response_attainment``). ``counts`` are the asynchronous queues' summed counts, whose "answered
    within threshold" is against each queue's response target (``answer_threshold_s``)."""
    return {
        "queues": queues,
        "backlog": backlog,
        "oldest_s": None if oldest_age_s is None else max(0.0, oldest_age_s),
        "offered": counts.offered,
        "answered": counts.answered,
        "handled": counts.handled,
        "answered_within_target": counts.answered_within_threshold,
        "response_attainment": response_attainment(
            answered_within_target=counts.answered_within_threshold, answered=counts.answered
        ),
    }


def answer_threshold_s(*, synchronous: bool, sl_threshold_s: float, response_target_s: float | None) -> float:
    """The wait within which a queue's contact counts as "answered within threshold": the service-level
    threshold for a synchronous queue; for an asynchronous one its response-time target (its own
    measure), or the service-level threshold when it has no target."""
    if not synchronous and response_target_s:
        return float(response_target_s)
    return float(sl_threshold_s)


# --- reports: contact quality (appended by the reports area) ------------------------------------------

REPEAT_WINDOW_DAYS = 7  # a customer's contact within this many days of the previous one is a repeat


def repeat_contact_rate(*, repeat_contacts: int, identified: int) -> float | None:
    """Repeat contacts in percent: contacts whose customer had another contact in the
    ``REPEAT_WINDOW_DAYS`` (7 × 24 h) before it ÷ contacts from identified customers × 100.

    Repeat contacts are the usual measure of failure demand (demand caused by a failure to do something
    or do it right the first time; J. Seddon, "Freedom from Command and Control"). Anonymous contacts
    (no customer reference) can be neither. None when no contact came from an identified customer."""
    if identified <= 0:
        return None
    return 100.0 * repeat_contacts / identified


def first_contact_resolution(*, resolved: int, answered: int) -> float | None:
    """First-contact resolution in percent: answered contacts of identified customers after which the
    customer did not contact the centre again within ``REPEAT_WINDOW_DAYS`` ÷ those answered contacts
    × 100 (the "no repeat within 7 days" measure, as in COPC and SQM's FCR). None when none was answered."""
    if answered <= 0:
        return None
    return 100.0 * resolved / answered


def callbacks_kept_rate(*, kept_on_time: int, requested: int) -> float | None:
    """Callbacks kept in percent: callbacks completed no later than the time promised to the customer ÷
    callbacks promised × 100 (a callback not yet made counts as not kept). None when none was promised."""
    if requested <= 0:
        return None
    return 100.0 * kept_on_time / requested


def outside_hours_share(*, offered_outside_hours: int, offered: int) -> float | None:
    """Demand outside opening hours in percent: contacts offered while the queue was closed (by its
    opening hours and closed days) ÷ contacts offered × 100. None when nothing was offered."""
    if offered <= 0:
        return None
    return 100.0 * offered_outside_hours / offered


def transfer_rate(*, transferred_out: int, offered: int) -> float | None:
    """Transfer rate in percent: contacts that left the queue by a transfer to another queue ÷ contacts
    offered × 100. None when nothing was offered."""
    if offered <= 0:
        return None
    return 100.0 * transferred_out / offered


# --- workforce management: forecast accuracy (appended by the WFM area) -------------------------------


def forecast_wape(*, absolute_error: float, actual: float) -> float | None:
    """Weighted absolute percentage error in percent: Σ|actual − forecast| ÷ Σ actual × 100, over the
    intervals of a period (the sums are passed). Unlike the mean of per-interval percentages (MAPE) it
    does not explode on quiet intervals; 0 is perfect. None when nothing actually arrived."""
    if actual <= 0:
        return None
    return 100.0 * absolute_error / actual


def forecast_bias(*, forecast: float, actual: float) -> float | None:
    """Forecast bias in percent: (Σ forecast − Σ actual) ÷ Σ actual × 100. Positive: more was expected
    than arrived (over-forecast, overstaffing risk); negative: under-forecast. None when nothing arrived."""
    if actual <= 0:
        return None
    return 100.0 * (forecast - actual) / actual


# --- comparing a figure with an earlier period (appended by the reports area) ---------------------------

# Whether a higher value of a figure is better: True (service level), False (a wait, a rate of failure) or
# None (a volume, a share of demand: neither good nor bad). The one table every comparison reads — the
# reports' trend column, its colours and their PDF — so that "ASA went down" is green everywhere.
HIGHER_IS_BETTER: dict[str, bool | None] = {
    "offered": None,
    "answered": None,
    "service_level": True,
    "asa_s": False,
    "aht_s": False,
    "abandon_rate": False,
    "max_wait_s": False,
    "response_attainment": True,
    "transfer_rate": False,
    "repeat_rate": False,
    "fcr": True,
    "callbacks_kept_rate": True,
    "outside_hours_share": None,
    "occupancy": None,
}


def change(value: float | None, previous: float | None, *, higher_is_better: bool | None) -> dict:
    """How ``value`` compares with ``previous``: ``delta`` (value − previous), ``direction`` — what the
    number did: 'up', 'down' or 'same' — and ``verdict`` — whether that is good: 'better', 'worse', 'same',
    or None when the figure is neither (``higher_is_better`` None). The direction and the verdict are kept
    apart so a screen can show the one with an arrow and the other with a colour: ASA falling is
    ``down`` and ``better``. All three are None when either value is missing."""
    if value is None or previous is None:
        return {"delta": None, "direction": None, "verdict": None}
    delta = value - previous
    if delta == 0:
        return {"delta": delta, "direction": "same", "verdict": "same"}
    direction = "up" if delta > 0 else "down"
    if higher_is_better is None:
        verdict = None
    else:
        verdict = "better" if (delta > 0) == higher_is_better else "worse"
    return {"delta": delta, "direction": direction, "verdict": verdict}


# --- workforce management: asynchronous work (appended by the WFM area) ---------------------------------


def workload_agents(
    *,
    arriving: float,
    backlog: float,
    handle_s: float | None,
    interval_s: float,
    response_target_s: float | None,
    max_occupancy: float = 1.0,
) -> float | None:
    """Agents an asynchronous queue (e-mail, WhatsApp, social, letters, callbacks) needs in an interval,
    by workload rather than Erlang: nobody waits on the line, so the work on hand — the items arriving in
    the interval plus the backlog at its start — may be spread over the queue's response-time target::

        agents = (arriving + backlog) × handle time ÷ max(interval, response target) ÷ max occupancy

    Workload is the usual measure for deferrable work (items × handle time; Cleveland, "Call Center
    Management on Fast Forward", on responding to e-mail and other non-voice contacts). A target shorter
    than the interval, or none, leaves the interval itself: the work must then be done within it, as pure
    workload (items × handle time ÷ interval). The result is a fraction of an agent, not rounded.

    0 without work; None when there is work but no handle time to weigh it (nothing handled yet).
    """
    if interval_s <= 0:
        raise ValueError("interval_s must be above 0")
    if not 0 < max_occupancy <= 1:
        raise ValueError("max_occupancy must be above 0 and at most 1")
    if arriving < 0 or backlog < 0:
        raise ValueError("arriving and backlog must not be negative")
    items = arriving + backlog
    if items == 0:
        return 0.0
    if handle_s is None:
        return None
    if handle_s < 0:
        raise ValueError("handle_s must not be negative")
    window = max(interval_s, response_target_s or 0)
    return items * handle_s / window / max_occupancy
