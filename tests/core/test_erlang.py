"""dashboard/erlang.py against independently known values: textbook identities, exact rational
arithmetic, a log-space route through the Poisson distribution, a truncated birth-death chain for Erlang A
and a discrete-event simulation; plus monotonicity and stability properties (hypothesis)."""

from __future__ import annotations

import heapq
import math
import random
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dashboard.core import erlang
from dashboard.core.erlang import (
    erlang_a_performance,
    erlang_b,
    erlang_c,
    erlang_c_performance,
    performance,
    required_agents,
    scheduled_agents,
    traffic_erlangs,
)

# --- independent references -----------------------------------------------------------------------


def exact_b(n: int, a: Fraction) -> Fraction:
    """Erlang B by its definition, (A^n/n!) / Σ_{k≤n} A^k/k!, in exact rational arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


def exact_c(n: int, a: Fraction) -> Fraction:
    """Erlang C by its textbook definition, in exact rational arithmetic (n > A)."""
    last = a**n / math.factorial(n) * n / (n - a)
    return last / (sum(a**k / math.factorial(k) for k in range(n)) + last)


def log_space_b(n: int, a: float) -> float:
    """Erlang B as P(Poisson(A) = n) / P(Poisson(A) ≤ n), summed in log space (a second route)."""
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(n + 1)]
    top = max(logs)
    return math.exp(logs[-1] - top) / sum(math.exp(v - top) for v in logs)


def birth_death_erlang_a(n: int, lam: float, mu: float, theta: float, t: float, states: int = 3000):
    """M/M/n+M by brute force: a truncated birth-death chain for the state probabilities; P(abandon) from
    the abandonment rate θ·E[queue]/λ; the service level from the chain a waiting call lives through: with
    K callers from the head of the queue up to itself, the next change comes at rate nμ + Kθ (an agent
    frees up or one of them hangs up), and it is answered with chance nμ/(nμ + Kθ) after all K stages.
    P(those stages end by t) comes from uniformization of that pure-death chain (sums of non-negative
    terms), a different route from the module's incomplete gamma function."""
    logs = []
    value = 0.0
    for k in range(states):
        if k > 0:
            value += math.log(lam) - math.log(min(k, n) * mu + max(0, k - n) * theta)
        logs.append(value)
    top = max(logs)
    probs = [math.exp(v - top) for v in logs]
    total = sum(probs)
    probs = [p / total for p in probs]
    p_wait = sum(probs[n:])
    queue = sum((k - n) * p for k, p in enumerate(probs) if k > n)
    p_abandon = theta * queue / lam
    depth = next(m for m in range(states - n) if sum(probs[n + m :]) < 1e-14) + 1
    rates = [0.0] + [n * mu + k * theta for k in range(1, depth + 1)]
    fastest = max(rates)
    step = [1.0] + [0.0] * depth  # P^j e_0, the chance to have finished after j uniformized steps
    done = [0.0] * (depth + 1)  # P(T_K ≤ t) for K = 0..depth
    weight, mass, j = math.exp(-fastest * t), 0.0, 0
    while mass < 1 - 1e-15:
        done = [d + weight * s for d, s in zip(done, step)]
        mass += weight
        step = [step[0]] + [step[k] + rates[k] / fastest * (step[k - 1] - step[k]) for k in range(1, depth + 1)]
        j += 1
        weight *= fastest * t / j
    sl = sum(probs[:n])
    for m in range(depth):
        sl += probs[n + m] * (n * mu / (n * mu + (m + 1) * theta)) * done[m + 1]
    return p_wait, p_abandon, sl


def simulate_erlang_a(n: int, lam: float, aht: float, patience: float, t: float, calls: int, seed: int):
    """First come, first served with exponential patience, call by call: each call's offered wait is the
    time until a server is free for it; it hangs up when that exceeds its patience."""
    rng = random.Random(seed)
    free = [0.0] * n
    clock = 0.0
    waited = abandoned = within = answered = 0
    wait_sum = 0.0
    for _ in range(calls):
        clock += rng.expovariate(lam)
        patience_draw = rng.expovariate(1 / patience)
        earliest = heapq.heappop(free)
        start = max(clock, earliest)
        wait = start - clock
        waited += wait > 0
        if wait > patience_draw:
            abandoned += 1
            heapq.heappush(free, earliest)
            continue
        answered += 1
        wait_sum += wait
        within += wait <= t
        heapq.heappush(free, start + rng.expovariate(1 / aht))
    return waited / calls, abandoned / calls, within / calls, wait_sum / answered


# --- Erlang B and C: identities and exact values ----------------------------------------------------


@pytest.mark.parametrize("a", [0.1, 0.5, 0.9, 1.7, 3.0, 7.25])
def test_b_first_values(a):
    # B(0, A) = 1, B(1, A) = A/(1 + A), B(2, A) = (A²/2) / (1 + A + A²/2).
    assert erlang_b(0, a) == 1.0
    assert erlang_b(1, a) == pytest.approx(a / (1 + a), rel=1e-14)
    assert erlang_b(2, a) == pytest.approx(a * a / 2 / (1 + a + a * a / 2), rel=1e-14)


@pytest.mark.parametrize("a", [0.05, 0.3, 0.5, 0.8, 0.99])
def test_c_one_agent_is_the_traffic(a):
    # M/M/1: the probability of waiting is the utilisation, C(1, A) = A.
    assert erlang_c(1, a) == pytest.approx(a, rel=1e-13)


@pytest.mark.parametrize("a", [0.1, 0.5, 1.0, 1.5, 1.99])
def test_c_two_agents(a):
    # C(2, A) = A² / (2 + A).
    assert erlang_c(2, a) == pytest.approx(a * a / (2 + a), rel=1e-13)


@pytest.mark.parametrize(
    ("n", "a"), [(3, Fraction(5, 2)), (11, Fraction(10)), (14, Fraction(10)), (30, Fraction(47, 2)), (60, Fraction(50))]
)
def test_b_and_c_equal_exact_rational_values(n, a):
    assert erlang_b(n, float(a)) == pytest.approx(float(exact_b(n, a)), rel=1e-12)
    assert erlang_c(n, float(a)) == pytest.approx(float(exact_c(n, a)), rel=1e-12)


def test_b_recursion_holds():
    # B(n, A) = A·B(n−1, A) / (n + A·B(n−1, A)) between neighbours computed separately.
    for n in range(1, 60):
        prev = erlang_b(n - 1, 23.5)
        assert erlang_b(n, 23.5) == pytest.approx(23.5 * prev / (n + 23.5 * prev), rel=1e-13)


def test_worked_example_100_calls_half_hour():
    # The common textbook case: 100 calls in 30 minutes, AHT 3 minutes: A = 100 × 180 / 1800 = 10 Erlang.
    # 11 agents: C(11, 10) = 0.68212 (exact below); SL(20 s) = 1 − 0.6821·e^(−1·20/180) = 0.3896;
    # ASA = 0.6821 × 180 / (11 − 10) = 122.8 s; occupancy 10/11 = 0.9091.
    c11 = float(exact_c(11, Fraction(10)))
    assert c11 == pytest.approx(0.68212, abs=5e-6)
    perf = performance(agents=11, calls=100, interval_s=1800, aht_s=180, threshold_s=20)
    assert perf.traffic == 10.0
    assert perf.p_wait == pytest.approx(c11, rel=1e-12)
    assert perf.service_level == pytest.approx(1 - c11 * math.exp(-20 / 180), rel=1e-12)
    assert perf.service_level == pytest.approx(0.3896, abs=1e-4)
    assert perf.asa_s == pytest.approx(c11 * 180, rel=1e-12)
    assert perf.occupancy == pytest.approx(10 / 11)
    # 13 agents reach 79.56 %, 14 agents 88.84 %: 80/20 needs 14.
    c13, c14 = float(exact_c(13, Fraction(10))), float(exact_c(14, Fraction(10)))
    assert 1 - c13 * math.exp(-3 * 20 / 180) < 0.8 < 1 - c14 * math.exp(-4 * 20 / 180)
    assert required_agents(calls=100, interval_s=1800, aht_s=180, target_sl=0.8, threshold_s=20) == 14
    # An occupancy cap of 70 % needs ⌈10 / 0.7⌉ = 15.
    assert (
        required_agents(calls=100, interval_s=1800, aht_s=180, target_sl=0.8, threshold_s=20, max_occupancy=0.7) == 15
    )


def test_unstable_and_empty_intervals():
    perf = erlang_c_performance(agents=10, traffic=10.0, aht_s=180, threshold_s=20)
    assert (perf.p_wait, perf.service_level, perf.asa_s, perf.occupancy) == (1.0, 0.0, None, 1.0)
    perf = erlang_c_performance(agents=0, traffic=0.0, aht_s=180, threshold_s=20)
    assert (perf.p_wait, perf.service_level, perf.asa_s, perf.occupancy) == (0.0, 1.0, 0.0, None)
    assert required_agents(calls=0, interval_s=900, aht_s=300, target_sl=0.8, threshold_s=20) == 0
    assert required_agents(calls=0, interval_s=900, aht_s=300, target_sl=0.8, threshold_s=20, patience_s=60) == 0


def test_threshold_zero_is_one_minus_c():
    perf = erlang_c_performance(agents=12, traffic=10.0, aht_s=180, threshold_s=0)
    assert perf.service_level == pytest.approx(1 - float(exact_c(12, Fraction(10))), rel=1e-12)


@pytest.mark.parametrize(
    ("required", "shrinkage", "scheduled"), [(14, 0.0, 14), (14, 0.3, 20), (10, 0.5, 20), (7, 0.35, 11), (0, 0.3, 0)]
)
def test_scheduled_agents(required, shrinkage, scheduled):
    # ⌈14 / 0.7⌉ = 20, ⌈7 / 0.65⌉ = ⌈10.77⌉ = 11.
    assert scheduled_agents(required=required, shrinkage=shrinkage) == scheduled


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_sl": 1.0}, "target_sl"),
        ({"target_sl": 0.0}, "target_sl"),
        ({"max_occupancy": 0.0}, "max_occupancy"),
        ({"max_occupancy": 1.2}, "max_occupancy"),
        ({"interval_s": 0}, "interval_s"),
        ({"calls": -1}, "calls"),
        ({"threshold_s": -5}, "threshold_s"),
    ],
)
def test_bad_input_names_the_field(kwargs, message):
    args = {"calls": 100, "interval_s": 900, "aht_s": 180, "target_sl": 0.8, "threshold_s": 20} | kwargs
    with pytest.raises(ValueError, match=message):
        required_agents(**args)


# --- stability for big centres -------------------------------------------------------------------


@pytest.mark.parametrize(("n", "a"), [(1000, 950.0), (3000, 2900.5), (5000, 4800.0), (5000, 100.0), (200, 5000.0)])
def test_b_matches_log_space_route_for_thousands_of_agents(n, a):
    assert erlang_b(n, a) == pytest.approx(log_space_b(n, a), rel=1e-9, abs=1e-300)


def test_thousands_of_agents_stay_finite():
    traffic = traffic_erlangs(calls=30_000, interval_s=900, aht_s=300)  # 10,000 Erlang
    n = required_agents(calls=30_000, interval_s=900, aht_s=300, target_sl=0.8, threshold_s=20)
    assert 10_000 < n < 10_100  # square-root staffing: A + O(√A)
    perf = erlang_c_performance(agents=n, traffic=traffic, aht_s=300, threshold_s=20)
    assert perf.service_level >= 0.8
    assert erlang_c_performance(agents=n - 1, traffic=traffic, aht_s=300, threshold_s=20).service_level < 0.8
    for patience in (30, 600):
        perf = erlang_a_performance(agents=n, traffic=traffic, aht_s=300, threshold_s=20, patience_s=patience)
        values = [perf.p_wait, perf.service_level, perf.asa_s, perf.occupancy, perf.p_abandon]
        assert all(math.isfinite(v) and 0 <= v for v in values)
    # Heavily overloaded: half the agents the traffic needs; abandonment keeps Erlang A finite.
    perf = erlang_a_performance(agents=5000, traffic=traffic, aht_s=300, threshold_s=20, patience_s=600)
    assert perf.p_wait == pytest.approx(1.0) and perf.p_abandon == pytest.approx(0.5, abs=1e-3)
    assert math.isfinite(perf.asa_s) and perf.occupancy == pytest.approx(1.0, abs=1e-3)


# --- Erlang A ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "calls", "aht", "patience", "t"),
    [
        (10, 100, 180, 120, 20),
        (8, 100, 180, 120, 20),
        (3, 40, 240, 60, 30),
        (25, 400, 60, 300, 10),
        (12, 200, 90, 30, 15),
    ],
)
def test_erlang_a_matches_the_birth_death_chain(n, calls, aht, patience, t):
    lam, mu, theta = calls / 1800, 1 / aht, 1 / patience
    p_wait, p_abandon, sl = birth_death_erlang_a(n, lam, mu, theta, t)
    perf = erlang_a_performance(agents=n, traffic=lam * aht, aht_s=aht, threshold_s=t, patience_s=patience)
    assert perf.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert perf.p_abandon == pytest.approx(p_abandon, rel=1e-9)
    assert perf.service_level == pytest.approx(sl, rel=1e-9)
    # Carried traffic = λ(1 − P(abandon))·aht.
    assert perf.occupancy == pytest.approx(lam * aht * (1 - p_abandon) / n, rel=1e-9)


def test_erlang_a_matches_a_simulation():
    # 100 calls per half hour, AHT 180 s, patience 120 s, 10 agents (= the traffic: Erlang C is unstable).
    n, lam, aht, patience, t = 10, 100 / 1800, 180.0, 120.0, 20.0
    p_wait, p_abandon, sl, asa = simulate_erlang_a(n, lam, aht, patience, t, calls=300_000, seed=7)
    perf = erlang_a_performance(agents=n, traffic=lam * aht, aht_s=aht, threshold_s=t, patience_s=patience)
    assert perf.p_wait == pytest.approx(p_wait, abs=0.01)
    assert perf.p_abandon == pytest.approx(p_abandon, abs=0.01)
    assert perf.service_level == pytest.approx(sl, abs=0.01)
    assert perf.asa_s == pytest.approx(asa, rel=0.05)


def test_erlang_a_tends_to_erlang_c_with_endless_patience():
    c = erlang_c_performance(agents=13, traffic=10.0, aht_s=180, threshold_s=20)
    a = erlang_a_performance(agents=13, traffic=10.0, aht_s=180, threshold_s=20, patience_s=1e8)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-5)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-5)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-4)
    assert a.p_abandon == pytest.approx(0.0, abs=1e-6)


def test_erlang_a_needs_fewer_agents_with_patient_callers_and_handles_no_agents():
    common = {"calls": 100, "interval_s": 1800, "aht_s": 180, "target_sl": 0.8, "threshold_s": 20}
    assert required_agents(**common, patience_s=600) <= required_agents(**common)
    perf = erlang_a_performance(agents=0, traffic=5.0, aht_s=180, threshold_s=20, patience_s=60)
    assert (perf.p_wait, perf.p_abandon, perf.service_level, perf.asa_s) == (1.0, 1.0, 0.0, None)


# --- properties ---------------------------------------------------------------------------------------

traffic_st = st.floats(min_value=0.01, max_value=400.0, allow_nan=False)
aht_st = st.floats(min_value=10.0, max_value=1200.0)
threshold_st = st.floats(min_value=0.0, max_value=600.0)


@given(n=st.integers(0, 600), a=traffic_st)
@settings(max_examples=200, deadline=None)
def test_b_is_a_probability_falling_with_agents_rising_with_traffic(n, a):
    b = erlang_b(n, a)
    assert 0.0 <= b <= 1.0
    assert erlang_b(n + 1, a) <= b
    assert erlang_b(n, a * 1.1) >= b


@given(a=traffic_st, extra=st.integers(1, 200))
@settings(max_examples=200, deadline=None)
def test_c_at_least_b_and_falling_with_agents(a, extra):
    n = math.floor(a) + extra
    c = erlang_c(n, a)
    assert erlang_b(n, a) <= c + 1e-15 <= 1.0 + 1e-15
    assert erlang_c(n + 1, a) <= c + 1e-15


@given(a=traffic_st, extra=st.integers(1, 100), aht=aht_st, t=threshold_st)
@settings(max_examples=200, deadline=None)
def test_c_service_level_and_asa_improve_with_agents_and_threshold(a, extra, aht, t):
    n = math.floor(a) + extra
    here = erlang_c_performance(agents=n, traffic=a, aht_s=aht, threshold_s=t)
    more = erlang_c_performance(agents=n + 1, traffic=a, aht_s=aht, threshold_s=t)
    longer = erlang_c_performance(agents=n, traffic=a, aht_s=aht, threshold_s=t + 10)
    assert 0.0 <= here.service_level <= more.service_level + 1e-12 <= 1.0 + 1e-12
    assert here.service_level <= longer.service_level + 1e-12
    assert more.asa_s <= here.asa_s + 1e-12
    assert here.service_level >= 1 - here.p_wait - 1e-12


@given(
    calls=st.floats(min_value=0.5, max_value=3000.0),
    aht=aht_st,
    target=st.floats(min_value=0.05, max_value=0.99),
    t=st.floats(min_value=0.0, max_value=120.0),
    cap=st.floats(min_value=0.5, max_value=1.0),
)
@settings(max_examples=150, deadline=None)
def test_required_agents_is_the_least_that_meets_target_and_cap(calls, aht, target, t, cap):
    n = required_agents(calls=calls, interval_s=900, aht_s=aht, target_sl=target, threshold_s=t, max_occupancy=cap)
    traffic = calls * aht / 900
    perf = erlang_c_performance(agents=n, traffic=traffic, aht_s=aht, threshold_s=t)
    assert perf.service_level >= target and perf.occupancy <= cap + 1e-9
    fewer = erlang_c_performance(agents=n - 1, traffic=traffic, aht_s=aht, threshold_s=t)
    assert fewer.service_level < target or (fewer.occupancy or 0) > cap
    assert (
        required_agents(
            calls=calls * 1.2, interval_s=900, aht_s=aht, target_sl=target, threshold_s=t, max_occupancy=cap
        )
        >= n
    )


@given(
    calls=st.floats(min_value=1.0, max_value=1500.0),
    aht=st.floats(min_value=30.0, max_value=900.0),
    patience=st.floats(min_value=5.0, max_value=1800.0),
    target=st.floats(min_value=0.05, max_value=0.95),
    t=st.floats(min_value=0.0, max_value=120.0),
)
@settings(max_examples=100, deadline=None)
def test_erlang_a_properties(calls, aht, patience, target, t):
    traffic = calls * aht / 900
    n = required_agents(calls=calls, interval_s=900, aht_s=aht, target_sl=target, threshold_s=t, patience_s=patience)
    assume(n >= 1)
    perf = erlang_a_performance(agents=n, traffic=traffic, aht_s=aht, threshold_s=t, patience_s=patience)
    fewer = erlang_a_performance(agents=n - 1, traffic=traffic, aht_s=aht, threshold_s=t, patience_s=patience)
    more = erlang_a_performance(agents=n + 1, traffic=traffic, aht_s=aht, threshold_s=t, patience_s=patience)
    assert fewer.service_level < target <= perf.service_level <= more.service_level + 1e-9
    assert more.p_abandon <= perf.p_abandon + 1e-9 and more.p_wait <= perf.p_wait + 1e-9
    # Nobody is answered within the threshold who is not answered at all.
    assert perf.service_level <= 1 - perf.p_abandon + 1e-9
    # With an endless threshold the service level is everybody answered.
    endless = erlang_a_performance(agents=n, traffic=traffic, aht_s=aht, threshold_s=1e9, patience_s=patience)
    assert endless.service_level == pytest.approx(1 - perf.p_abandon, abs=1e-9)
    for v in (perf.p_wait, perf.service_level, perf.asa_s, perf.occupancy, perf.p_abandon):
        assert math.isfinite(v) and v >= 0


def test_incomplete_gamma_helper_against_numerical_integration():
    # log ∫_lo^hi s^(b−1) e^(−s) ds by the trapezium rule on a fine grid, for the regions the helper splits.
    for b, lo, hi in [(3.5, 0.5, 2.0), (40.0, 10.0, 80.0), (40.0, 45.0, 90.0), (2.0, 0.0, 30.0), (500.0, 400.0, 520.0)]:
        steps = 200_000
        h = (hi - lo) / steps
        points = [lo + i * h for i in range(steps + 1)]
        logs = [(b - 1) * math.log(s) - s if s > 0 else -math.inf for s in points]
        shift = max(logs)
        total = sum((0.5 if i in (0, steps) else 1.0) * math.exp(v - shift) for i, v in enumerate(logs))
        expected = shift + math.log(total * h)
        assert erlang._log_lower_gamma_between(b, lo, hi) == pytest.approx(expected, rel=1e-6, abs=1e-7)


# --- an interval's traffic and required agents where the AHT may be unknown ----------------------------

# (offered, aht_s, interval_s, traffic, required for 80 % in 20 s)
INTERVAL_CASES = [
    pytest.param(0, None, 900, 0.0, 0, id="nothing-offered-aht-unknown"),
    pytest.param(0, 300.0, 900, 0.0, 0, id="nothing-offered"),
    pytest.param(0.0, 0.0, 900, 0.0, 0, id="nothing-offered-aht-0"),
    pytest.param(10, 0.0, 900, 0.0, 0, id="aht-0-is-no-traffic"),
    pytest.param(10, None, 900, None, None, id="aht-unknown"),
    pytest.param(100, 180.0, 1800, 10.0, 14, id="textbook-100-calls-half-hour"),  # see the worked example
    pytest.param(2.5, 360.0, 900, 1.0, 3, id="forecast-fractional-offered"),  # 2.5 × 360 / 900 = 1 Erlang
]


@pytest.mark.parametrize(("offered", "aht", "interval_s", "traffic", "required"), INTERVAL_CASES)
def test_interval_traffic_and_required_agents(offered, aht, interval_s, traffic, required):
    assert erlang.interval_traffic(offered=offered, aht_s=aht, interval_s=interval_s) == traffic
    got = erlang.interval_required_agents(
        offered=offered, aht_s=aht, interval_s=interval_s, target_sl=0.8, threshold_s=20
    )
    assert got == required


def test_interval_required_agents_one_traffic_erlang():
    # A = 1 Erlang, 80/20, AHT 360 s: 2 agents give C(2, 1) = 1/3 and SL = 1 − (1/3)·e^(−20/360) = 0.684;
    # 3 agents give C(3, 1) = 1/11 and SL = 1 − (1/11)·e^(−2·20/360) = 0.919. So 3.
    assert 1 - float(exact_c(2, Fraction(1))) * math.exp(-20 / 360) < 0.8
    assert 1 - float(exact_c(3, Fraction(1))) * math.exp(-40 / 360) >= 0.8


def test_interval_required_agents_passes_the_model_options():
    common = {"offered": 100, "aht_s": 180.0, "interval_s": 1800, "target_sl": 0.8, "threshold_s": 20}
    assert erlang.interval_required_agents(**common, max_occupancy=0.7) == 15  # ⌈10 / 0.7⌉
    assert erlang.interval_required_agents(**common, patience_s=60) == required_agents(
        calls=100, interval_s=1800, aht_s=180, target_sl=0.8, threshold_s=20, patience_s=60
    )


@pytest.mark.parametrize(
    ("calls", "aht", "patience", "cap"),
    [
        (10, 300.0, 0.5, 0.01),  # the fuzz's find: impatient callers and a 1 % occupancy cap
        (400, 200.0, 0.5, 0.02),
        (1, 3600.0, 0.01, 0.001),
    ],
)
def test_erlang_a_stays_finite_for_a_tiny_occupancy_cap_and_impatient_callers(calls, aht, patience, cap):
    """A cap of 1 % asks for 100× the traffic in agents: Erlang B vanishes and p_wait's logistic ran to
    e^(10⁴) (OverflowError, a 500 on the forecast API). The answer is still the least n that meets both."""
    need = erlang.required_agents(
        calls=calls, interval_s=900, aht_s=aht, target_sl=0.8, threshold_s=20, max_occupancy=cap, patience_s=patience
    )
    traffic = erlang.traffic_erlangs(calls=calls, interval_s=900, aht_s=aht)
    perf = erlang.erlang_a_performance(agents=need, traffic=traffic, aht_s=aht, threshold_s=20, patience_s=patience)
    assert math.isfinite(perf.p_wait) and 0.0 <= perf.p_wait <= 1.0 and perf.service_level >= 0.8
    assert perf.occupancy <= cap + 1e-12
    if need > 1:
        less = erlang.erlang_a_performance(
            agents=need - 1, traffic=traffic, aht_s=aht, threshold_s=20, patience_s=patience
        )
        assert less.occupancy > cap or less.service_level < 0.8


@pytest.mark.parametrize(("agents", "traffic"), [(151, 0.5), (294, 10.0), (2000, 10.0)])
def test_erlang_a_with_erlang_b_subnormal_is_finite(agents, traffic):
    """Erlang B below 1e-308 (a subnormal float, not yet 0) made p_wait's e^(−log B) overflow."""
    perf = erlang.erlang_a_performance(agents=agents, traffic=traffic, aht_s=300, threshold_s=20, patience_s=0.5)
    assert 0.0 <= perf.p_wait < 1e-300 and perf.service_level == pytest.approx(1.0)
