"""The expected wait of a contact joining a queue now (``erlang.expected_wait``): table-driven against
hand-worked values and an exact Erlang C in rational arithmetic; it grows with the number waiting; the
position-based value against a simulation of agents finishing at random."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.core.erlang import expected_wait


def exact_erlang_c(n: int, a: Fraction) -> Fraction:
    """Erlang C by its textbook formula, exactly: (Aⁿ/n! · n/(n−A)) / (Σ_{k<n} Aᵏ/k! + Aⁿ/n! · n/(n−A))."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def erlang_wait(n: int, rate: Fraction, aht: int) -> float:
    a = rate * aht
    return float(exact_erlang_c(n, a) * aht / (n - a))


CASES = [
    # waiting, available, staffed, aht_s, offered_per_s -> ewt_s, method
    pytest.param(0, 2, 5, 300, 0.01, 0.0, "agent_free", id="idle-agents"),
    pytest.param(2, 3, 5, 300, 0.01, 0.0, "agent_free", id="more-idle-than-waiting"),
    pytest.param(3, 3, 5, 300, None, 60.0, "position", id="as-many-idle-as-waiting: next to finish"),
    pytest.param(4, 0, 10, 180, None, 90.0, "position", id="4-ahead-10-busy"),
    pytest.param(0, 0, 1, 240, None, 240.0, "position", id="one-agent-busy"),
    pytest.param(7, 2, 5, 300, None, 6 * 300 / 5, "position", id="some-idle-fewer-than-waiting"),
    pytest.param(3, 0, 0, 300, 0.01, None, "no_agents", id="nobody-staffed"),
    pytest.param(0, 0, 0, None, None, None, "no_agents", id="nothing-at-all"),
    pytest.param(1, 0, 4, None, 0.01, None, "no_aht", id="nothing-handled-today"),
    pytest.param(1, 0, 4, 0, 0.01, None, "no_aht", id="zero-aht"),
    # A = 0.05/s × 180 s = 9 Erlang on 10 agents: Erlang C's wait (about 120 s) beats 1 × 18 s.
    pytest.param(0, 0, 10, 180, 0.05, erlang_wait(10, Fraction(1, 20), 180), "erlang_c", id="equilibrium-busy"),
    # A = 5 on 10 agents: Erlang C's wait (under 2 s) is below the position's 18 s.
    pytest.param(0, 0, 10, 180, Fraction(5, 180), 18.0, "position", id="equilibrium-light"),
    # Overloaded (A = 12 ≥ 10): no steady state, the queue grows: by position.
    pytest.param(5, 0, 10, 180, Fraction(12, 180), 6 * 18.0, "position", id="overloaded"),
    pytest.param(5, 0, 10, 180, Fraction(10, 180), 6 * 18.0, "position", id="at-capacity"),
    pytest.param(2, 0, 3, 200, 0.0, 200.0, "position", id="no-arrivals-of-late"),
]


@pytest.mark.parametrize(("waiting", "available", "staffed", "aht", "rate", "ewt", "method"), CASES)
def test_expected_wait(waiting, available, staffed, aht, rate, ewt, method):
    got = expected_wait(
        waiting=waiting, available=available, staffed=staffed, aht_s=aht,
        offered_per_s=None if rate is None else float(rate),
    )  # fmt: skip
    assert got.method == method
    assert got.ewt_s == (None if ewt is None else pytest.approx(ewt, rel=1e-9))


def test_the_equilibrium_case_is_erlang_cs_wait():
    got = expected_wait(waiting=0, available=0, staffed=10, aht_s=180, offered_per_s=0.05)
    assert 100 < got.ewt_s < 140  # C(10, 9) ≈ 0.67: 0.67 × 180 s ÷ 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"waiting": -1, "available": 0, "staffed": 1},
        {"waiting": 0, "available": -1, "staffed": 1},
        {"waiting": 0, "available": 3, "staffed": 2},
        {"waiting": 0, "available": 0, "staffed": 1, "offered_per_s": -0.1},
    ],
    ids=["waiting", "available", "available-above-staffed", "rate"],
)
def test_impossible_inputs_are_refused(kwargs):
    with pytest.raises(ValueError):
        expected_wait(**{"aht_s": 100, "offered_per_s": None, **kwargs})


@given(
    staffed=st.integers(1, 60),
    busy_share=st.floats(0, 1),
    aht=st.floats(10, 3600),
    load=st.floats(0, 1.5),
    waiting=st.integers(0, 200),
)
def test_it_never_falls_as_more_contacts_wait(staffed, busy_share, aht, load, waiting):
    available = int(staffed * (1 - busy_share))
    rate = load * staffed / aht
    before = expected_wait(waiting=waiting, available=available, staffed=staffed, aht_s=aht, offered_per_s=rate)
    after = expected_wait(waiting=waiting + 1, available=available, staffed=staffed, aht_s=aht, offered_per_s=rate)
    assert after.ewt_s >= before.ewt_s
    if waiting >= available and after.method == "position":  # each contact more ahead costs AHT ÷ staffed
        assert after.ewt_s == pytest.approx(before.ewt_s + aht / staffed) or before.method == "erlang_c"
        assert after.ewt_s > before.ewt_s


def test_the_position_value_matches_agents_finishing_at_random():
    """Ten agents busy with exponential handle times (mean 180 s), four contacts waiting: a contact that
    joins now is answered at the fifth finish. Simulated, the mean wait is 5 × 180 ÷ 10 = 90 s."""
    rng = random.Random(7)
    runs, total = 20_000, 0.0
    for _ in range(runs):
        remaining = sorted(rng.expovariate(1 / 180) for _ in range(10))
        clock = 0.0
        for _ahead in range(5):  # each finish takes the next contact in line
            clock = remaining.pop(0)
            remaining.append(clock + rng.expovariate(1 / 180))
            remaining.sort()
        total += clock
    simulated = total / runs
    predicted = expected_wait(waiting=4, available=0, staffed=10, aht_s=180, offered_per_s=None).ewt_s
    assert predicted == pytest.approx(90.0)
    assert simulated == pytest.approx(predicted, rel=0.03)
