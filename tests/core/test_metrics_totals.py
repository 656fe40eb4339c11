"""Table-driven tests of the totals rule in dashboard/core/metrics.py: a total of queues never mixes the
waits of synchronous queues (voice, chat, video, counter) with those of asynchronous ones (e-mail,
WhatsApp, social, letter, callbacks). Pure: no Django, no database.

Every expected value is worked out by hand in the comment or id beside it.
"""

from __future__ import annotations

import pytest

from dashboard.core.metrics import (
    SL_ANSWERED_OVER_ANSWERED,
    SL_DEFAULT,
    Counts,
    KindCounts,
    answer_threshold_s,
    async_block,
    kind_split,
    response_attainment,
    total_kpis,
    worst_status,
)


def voice(answered=0, within=0, wait_ms=0, abandoned=0, short=0, offered=None, handled=0, talk_ms=0):
    return Counts(
        offered=answered + abandoned if offered is None else offered,
        answered=answered,
        answered_within_threshold=within,
        wait_answered_ms=wait_ms,
        abandoned=abandoned,
        short_abandoned=short,
        handled=handled,
        talk_ms=talk_ms,
    )


email = voice  # the same counters; what differs is the kind of queue they are passed with

# (id, parts [(synchronous, counts)], formula, expected service_level, asa_s, aht_s, abandon_rate)
TOTAL_CASES = [
    # The acceptance example: a voice contact answered after 10 s and an e-mail after an hour.
    ("voice 10 s + e-mail 1 h: ASA 10 s", [(True, voice(1, 1, 10_000)), (False, email(1, 1, 3_600_000))],
     SL_DEFAULT, 100.0, 10.0, None, 0.0),
    # Pooled it would be (10 + 3600) / 2 = 1805 s; the e-mail's slow answer does not lower the SL either.
    ("e-mail answered late: SL of voice only", [(True, voice(2, 1, 30_000)), (False, email(3, 0, 3 * 7_200_000))],
     SL_DEFAULT, 50.0, 15.0, None, 0.0),
    # No synchronous queue at all (a pure e-mail team): SL and ASA None, not 0.
    ("no synchronous queue", [(False, email(4, 3, 4 * 600_000)), (False, email(1, 1, 60_000))],
     SL_DEFAULT, None, None, None, 0.0),
    # Nothing offered anywhere: every rate None.
    ("nothing offered", [(True, Counts()), (False, Counts())], SL_DEFAULT, None, None, None, None),
    # No queue at all.
    ("no queues", [], SL_DEFAULT, None, None, None, None),
    # Everything abandoned: SL 0 of 2 late abandons = 0 %; ASA None (nothing answered); abandon 100 %.
    ("everything abandoned", [(True, voice(abandoned=2))], SL_DEFAULT, 0.0, None, None, 100.0),
    # Everything abandoned, formula "answered": no denominator, SL None.
    ("everything abandoned, formula answered", [(True, voice(abandoned=2))], SL_ANSWERED_OVER_ANSWERED,
     None, None, None, 100.0),
    # Voice all abandoned, e-mail answered: voice SL 0 %, ASA None — the e-mails do not fill the gap.
    # Abandon rate counts all offered: 2 of (2 + 2) = 50 %.
    ("voice abandoned, e-mail answered", [(True, voice(abandoned=2)), (False, email(2, 2, 2_000))],
     SL_DEFAULT, 0.0, None, None, 50.0),
    # Short abandons left out of the default SL: 1 within of (1 answered + 2 abandoned − 1 short) = 50 %.
    ("short abandons", [(True, voice(1, 1, 5_000, abandoned=2, short=1)), (False, email(1, 0, 99_000_000))],
     SL_DEFAULT, 50.0, 5.0, None, 50.0),
    # Handle time is not a wait: AHT over all handled, (100 + 300) / 2 = 200 s.
    ("AHT over both kinds", [(True, voice(1, 1, 1_000, handled=1, talk_ms=100_000)),
                             (False, email(1, 1, 1_000, handled=1, talk_ms=300_000))],
     SL_DEFAULT, 100.0, 1.0, 200.0, 0.0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("parts", "formula", "sl", "asa", "aht", "abandon"),
    [c[1:] for c in TOTAL_CASES],
    ids=[c[0] for c in TOTAL_CASES],
)
def test_total_kpis_keep_the_kinds_apart(parts, formula, sl, asa, aht, abandon):
    got = total_kpis(KindCounts.of(parts), formula=formula)
    assert got["service_level"] == pytest.approx(sl) if sl is not None else got["service_level"] is None
    assert got["asa_s"] == pytest.approx(asa) if asa is not None else got["asa_s"] is None
    assert got["aht_s"] == pytest.approx(aht) if aht is not None else got["aht_s"] is None
    assert got["abandon_rate"] == pytest.approx(abandon) if abandon is not None else got["abandon_rate"] is None


def test_kind_counts_sum_each_kind_and_count_the_queues():
    kinds = KindCounts.of([(True, voice(1, 1, 10)), (False, email(2, 1, 20)), (True, voice(3, 0, 30))])
    assert kinds.synchronous == voice(4, 1, 40)
    assert kinds.asynchronous == email(2, 1, 20)
    assert (kinds.synchronous_queues, kinds.asynchronous_queues) == (2, 1)
    assert kinds.all == voice(6, 2, 60)  # counts may be summed


def test_kind_split():
    kinds = KindCounts.of([(True, voice(1, 1, 10, abandoned=1)), (False, email(2, 1, 20, handled=2))])
    assert kind_split(kinds) == {
        "synchronous": {"queues": 1, "offered": 2, "answered": 1, "abandoned": 1, "handled": 0},
        "asynchronous": {"queues": 1, "offered": 2, "answered": 2, "abandoned": 0, "handled": 2},
    }


@pytest.mark.parametrize(
    ("within", "answered", "expected"),
    [
        (3, 4, 75.0),  # 3 of 4
        (0, 4, 0.0),
        (4, 4, 100.0),
        (0, 0, None),  # nothing answered: nothing to judge
    ],
)
def test_response_attainment(within, answered, expected):
    assert response_attainment(answered_within_target=within, answered=answered) == expected


@pytest.mark.parametrize(
    ("counts", "queues", "backlog", "oldest", "expected"),
    [
        # 3 e-mails, 2 answered of which 1 within target; 5 waiting, the oldest 2 h old.
        (email(2, 1, 0, offered=3, handled=2), 2, 5, 7200.0,
         {"queues": 2, "backlog": 5, "oldest_s": 7200.0, "offered": 3, "answered": 2, "handled": 2,
          "answered_within_target": 1, "response_attainment": 50.0}),
        # Nothing waiting, nothing answered.
        (Counts(), 1, 0, None,
         {"queues": 1, "backlog": 0, "oldest_s": None, "offered": 0, "answered": 0, "handled": 0,
          "answered_within_target": 0, "response_attainment": None}),
        # Clocks a little apart: an age is never negative.
        (Counts(), 1, 1, -0.4,
         {"queues": 1, "backlog": 1, "oldest_s": 0.0, "offered": 0, "answered": 0, "handled": 0,
          "answered_within_target": 0, "response_attainment": None}),
    ],
)  # fmt: skip
def test_async_block(counts, queues, backlog, oldest, expected):
    assert async_block(counts, queues=queues, backlog=backlog, oldest_age_s=oldest) == expected


@pytest.mark.parametrize(
    ("synchronous", "sl_threshold", "response_target", "expected"),
    [
        (True, 20, None, 20.0),  # voice: its service-level threshold
        (True, 20, 3600, 20.0),  # a response target on a voice queue changes nothing
        (False, 20, 28_800, 28_800.0),  # e-mail: its response target (8 h)
        (False, 20, None, 20.0),  # e-mail without a target: the threshold it has
        (False, 20, 0, 20.0),  # a target of 0 is no target
    ],
)
def test_answer_threshold_s(synchronous, sl_threshold, response_target, expected):
    got = answer_threshold_s(synchronous=synchronous, sl_threshold_s=sl_threshold, response_target_s=response_target)
    assert got == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "normal"),
        (["normal", "normal"], "normal"),
        (["normal", "warning"], "warning"),
        (["critical", "warning", "normal"], "critical"),
    ],
)
def test_worst_status(statuses, expected):
    assert worst_status(statuses) == expected
