"""Folding a contact's events into visits, and agent state events into spans (pure)."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.ingest.derive import LoggedEvent, fold_agent_states, fold_contact

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def events(*specs):
    """specs: (seconds after T0, type, payload) -> LoggedEvents numbered in the given order."""
    return [LoggedEvent(seq=i, type=t, at=T0 + timedelta(seconds=s), payload=p) for i, (s, t, p) in enumerate(specs)]


OFFER = (0, "contact.offered", {"contact_id": "c", "queue": "Q1", "channel": "voice", "reason": "factuur"})
CALL = events(
    OFFER,
    (15, "contact.answered", {"contact_id": "c", "agent": "a1"}),
    (215, "contact.ended", {"contact_id": "c", "hold_s": 20.0}),
    (245, "contact.wrapup_ended", {"contact_id": "c", "disposition": "opgelost"}),
)


def test_a_handled_call():
    (visit,) = fold_contact("c", CALL)
    assert visit.queue == "Q1" and visit.agent == "a1" and visit.reason == "factuur"
    assert (visit.answered_at - visit.offered_at).total_seconds() == 15
    assert visit.talk_s == 180.0 and visit.hold_s == 20.0 and visit.acw_s == 30.0
    assert visit.disposition == "opgelost" and not visit.waiting and visit.events == 4


@given(st.permutations(CALL))
def test_arrival_order_does_not_matter(shuffled):
    renumbered = [LoggedEvent(i, e.type, e.at, e.payload) for i, e in enumerate(shuffled)]
    assert fold_contact("c", renumbered) == fold_contact("c", CALL)


def test_events_before_the_offer_wait_for_it():
    assert fold_contact("c", CALL[1:]) == []


@pytest.mark.parametrize(
    "specs, expect",
    [
        pytest.param(
            [OFFER, (30, "contact.abandoned", {"contact_id": "c"})],
            [{"queue": "Q1", "abandoned": 30, "answered": None}],
            id="abandoned",
        ),
        pytest.param(
            [OFFER, (12, "contact.ended", {"contact_id": "c"})],
            [{"queue": "Q1", "abandoned": 12, "answered": None}],
            id="ended-in-queue-is-an-abandon",
        ),
        pytest.param(
            [
                OFFER,
                (10, "contact.answered", {"contact_id": "c", "agent": "a1"}),
                (12, "contact.abandoned", {"contact_id": "c"}),
            ],
            [{"queue": "Q1", "abandoned": None, "answered": 10}],
            id="abandon-after-answer-ignored",
        ),
        pytest.param(
            [
                OFFER,
                (120, "contact.transferred", {"contact_id": "c", "to_queue": "Q2"}),
                (150, "contact.answered", {"contact_id": "c", "agent": "a2"}),
            ],
            [
                {"queue": "Q1", "transferred": 120, "answered": None},
                {"queue": "Q2", "offered": 120, "answered": 150, "agent": "a2", "reason": "factuur"},
            ],
            id="overflow-before-answer",
        ),
        pytest.param(
            [
                OFFER,
                (10, "contact.answered", {"contact_id": "c", "agent": "a1"}),
                (100, "contact.transferred", {"contact_id": "c", "to_queue": "Q2"}),
                (130, "contact.answered", {"contact_id": "c", "agent": "a2"}),
                (300, "contact.ended", {"contact_id": "c"}),
            ],
            [
                {"queue": "Q1", "answered": 10, "ended": 100, "talk": 90.0, "transferred": 100},
                {"queue": "Q2", "offered": 100, "answered": 130, "ended": 300, "talk": 170.0},
            ],
            id="first-to-second-line",
        ),
        pytest.param(
            [
                OFFER,
                (5, "contact.offered", {"contact_id": "c", "queue": "Q1", "channel": "voice", "customer_ref": "K9"}),
            ],
            [{"queue": "Q1", "offered": 0, "customer_ref": "K9"}],
            id="repeated-offer-same-queue-is-one-visit",
        ),
        pytest.param(
            [
                OFFER,
                (60, "contact.abandoned", {"contact_id": "c"}),
                (600, "contact.offered", {"contact_id": "c", "queue": "Q1", "channel": "voice"}),
            ],
            [{"queue": "Q1", "abandoned": 60}, {"queue": "Q1", "offered": 600, "abandoned": None}],
            id="re-queue-after-abandon",
        ),
        pytest.param(
            [
                OFFER,
                (10, "contact.answered", {"contact_id": "c", "agent": "a1"}),
                (70, "contact.wrapup_ended", {"contact_id": "c"}),
                (60, "contact.ended", {"contact_id": "c", "talk_s": 45}),
            ],
            [{"queue": "Q1", "ended": 60, "talk": 45.0, "acw": 10.0}],
            id="talk-given-and-wrapup",
        ),
        pytest.param(
            [
                OFFER,
                (10, "contact.answered", {"contact_id": "c", "agent": "a1"}),
                (50, "contact.wrapup_ended", {"contact_id": "c"}),
                (60, "contact.ended", {"contact_id": "c"}),
            ],
            [{"queue": "Q1", "ended": 60, "acw": 0.0}],
            id="wrapup-stamped-before-end-waits-for-it",
        ),
        pytest.param(
            [
                OFFER,
                (40, "callback.requested", {"contact_id": "c", "promised_by": "2026-11-26T11:00:00+01:00"}),
                (41, "contact.abandoned", {"contact_id": "c"}),
                (3000, "callback.completed", {"contact_id": "c"}),
            ],
            [{"queue": "Q1", "abandoned": 41, "callback_completed": 3000}],
            id="callback",
        ),
    ],
)
def test_contact_rules(specs, expect):
    visits = fold_contact("c", events(*specs))
    assert len(visits) == len(expect)
    for visit, want in zip(visits, expect):
        got = {
            "queue": visit.queue,
            "offered": (visit.offered_at - T0).total_seconds(),
            "answered": (visit.answered_at - T0).total_seconds() if visit.answered_at else None,
            "abandoned": (visit.abandoned_at - T0).total_seconds() if visit.abandoned_at else None,
            "ended": (visit.ended_at - T0).total_seconds() if visit.ended_at else None,
            "transferred": (visit.transferred_at - T0).total_seconds() if visit.transferred_at else None,
            "talk": visit.talk_s,
            "acw": visit.acw_s,
            "agent": visit.agent,
            "reason": visit.reason,
            "customer_ref": visit.customer_ref,
            "callback_completed": (visit.callback_completed_at - T0).total_seconds()
            if visit.callback_completed_at
            else None,
        }
        assert {k: got[k] for k in want} == want
    assert [v.seq for v in visits] == list(range(len(visits)))


STATES = ["available", "on_contact", "acw", "paused", "logged_out"]


def agent_events(rng, n):
    out, t = [], 0
    for i in range(n):
        t += rng.choice([0, 0, 1, 5, 30, 120])  # ties on purpose
        state = rng.choice(STATES)
        reason = rng.choice(["pauze", "lunch"]) if state == "paused" else ""
        out.append(
            LoggedEvent(
                seq=i,
                type="agent.state",
                at=T0 + timedelta(seconds=t),
                payload={"agent": "a", "state": state, "reason": reason},
            )
        )
    return out


def test_spans_cover_time_without_gaps_or_zero_lengths():
    spans = fold_agent_states(agent_events(random.Random(3), 200))
    for before, after in zip(spans, spans[1:]):
        assert before.end == after.start and before.start < before.end
        assert (before.state, before.reason) != (after.state, after.reason)
    assert spans[-1].end is None


@settings(max_examples=60)
@given(st.integers(0, 10_000), st.integers(1, 60))
def test_incremental_fold_equals_full_fold(seed, n):
    """Folding later events onto the span that an earliest new event falls in gives the full fold."""
    rng = random.Random(seed)
    evs = agent_events(rng, n)
    full = fold_agent_states(evs)
    cut = rng.randrange(len(evs))
    new = [e for i, e in enumerate(evs) if i >= cut and rng.random() < 0.7] or evs[-1:]
    old = [e for e in evs if e not in new]
    stored = fold_agent_states(old)
    for i, span in enumerate(stored):
        span.pk = i + 1
    t0 = min(e.at for e in new)
    anchor = next((s for s in reversed(stored) if s.start < t0), None)
    if anchor is None:
        result = fold_agent_states(evs)
    else:
        kept = [s for s in stored if s.start < anchor.start]
        refold = [e for e in evs if e.at > anchor.start]
        result = kept + fold_agent_states(refold, [anchor])
    strip = [(s.state, s.reason, s.start, s.end) for s in result]
    assert strip == [(s.state, s.reason, s.start, s.end) for s in full]
