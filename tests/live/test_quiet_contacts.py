"""A contact with no place in the live state before or after a derivation sends nothing to Redis; one that
had or has a place (waiting, talking, a callback due) still does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from dashboard.ingest.derive import Visit
from dashboard.live.public import LiveChanges

T = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def visit(**times) -> Visit:
    return Visit(contact_id="ns:c1", seq=0, queue="Sales", channel="voice", offered_at=T, agent="a1", **times)


def stored(**times) -> SimpleNamespace:
    fields = dict(seq=0, queue_id=1, agent_id=7, answered_at=None, abandoned_at=None, ended_at=None,
                  transferred_at=None, callback_promised_by=None, callback_completed_at=None)  # fmt: skip
    return SimpleNamespace(**{**fields, **times})


ENDED = {"answered_at": T + timedelta(seconds=20), "ended_at": T + timedelta(minutes=4)}


@pytest.mark.parametrize(
    ("old", "new", "sent"),
    [
        ([], [visit(**ENDED)], False),  # a whole contact of the past in one batch
        ([], [visit(abandoned_at=T + timedelta(seconds=30))], False),
        ([stored(**ENDED)], [visit(**ENDED)], False),  # imported again, still over
        ([], [visit()], True),  # waiting
        ([], [visit(answered_at=T + timedelta(seconds=20))], True),  # talking
        ([stored()], [visit(**ENDED)], True),  # was waiting: taken out of the queue
        ([stored(answered_at=T)], [visit(**ENDED)], True),  # was talking
        ([], [visit(**ENDED, callback_promised_by=T + timedelta(hours=1))], True),  # a callback due
    ],
)
def test_only_contacts_with_a_place_in_the_live_state_are_sent(old, new, sent):
    changes = LiveChanges(version=1)
    changes.contact("ns:c1", old, new, {"Sales": 1}, {"a1": 7})
    assert bool(changes.contacts) is sent
