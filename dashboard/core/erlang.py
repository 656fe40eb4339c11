"""Erlang B, Erlang C and Erlang A: how many agents an interval needs. Pure Python, no Django, no I/O.

Terms (the field's usual ones; Cleveland & Mayben, "Call Center Management on Fast Forward"; Koole,
"Call Center Optimization"; Mandelbaum & Zeltyn, "The M/M/n+G queue: summary of performance measures"):

* ``calls`` offered in an interval of ``interval_s`` seconds, each with an average handle time ``aht_s``:
  the traffic is ``A = calls × aht_s ÷ interval_s`` Erlang (the number of agents busy on average if
  nobody ever waited).
* ``agents`` (n): agents available to take contacts (productive agents, before shrinkage).
* Erlang B — M/M/n/n, no queue: the probability that a call finds every agent busy and is lost.
* Erlang C — M/M/n, callers wait as long as it takes: probability of waiting, service level within a
  threshold, average speed of answer (ASA), occupancy. Defined only when n > A; with n ≤ A the queue
  grows without bound (every caller waits, ASA is infinite, service level 0).
* Erlang A — M/M/n+M, callers have exponentially distributed patience with mean ``patience_s`` and hang
  up when their wait exceeds it: probability of waiting, of abandoning, service level, ASA, occupancy.
  Defined for every n ≥ 1, also when n ≤ A (abandonment keeps the queue finite).

Service level, probabilities and occupancy are fractions 0–1 here (the reports show percent).

Service-level definition used by the Erlang models: the fraction of *offered* calls answered within the
threshold, ``P(answered and wait ≤ threshold)``. In Erlang C nobody abandons, so this equals answered
within threshold ÷ answered. In Erlang A it equals the metrics module's ``answered_abandoned_excl_short``
formula with a short-abandon threshold of 0 (answered within threshold ÷ (answered + abandoned)), which is
the same as ``offered`` since every call ends answered or abandoned; abandons count against it.

Numerical stability: no factorials and no powers of A. Erlang B comes from its recursion
``B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1))``, which stays in [0, 1] for thousands of agents; Erlang C from
``C = n·B / (n − A·(1 − B))``; Erlang A's infinite sums are taken relative to their largest term (log
space) and its service level through the regularized incomplete gamma function, also in log space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 1_000_000
_EPS = 1e-16


# --- Erlang B and C --------------------------------------------------------------------------------


def traffic_erlangs(*, calls: float, interval_s: float, aht_s: float) -> float:
    """Offered traffic A in Erlang: ``calls × aht_s ÷ interval_s``."""
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    if calls < 0 or aht_s < 0:
        raise ValueError("calls and aht_s must not be negative")
    return calls * aht_s / interval_s


def erlang_b(agents: int, traffic: float) -> float:
    """Erlang B: blocking probability of ``agents`` servers offered ``traffic`` Erlang (no queue).

    By the recursion ``B(0, A) = 1, B(k, A) = A·B(k−1, A) / (k + A·B(k−1, A))`` (Jagerman): every step
    stays in [0, 1], so thousands of agents neither overflow nor lose precision.
    """
    _check_agents(agents)
    if traffic < 0:
        raise ValueError("traffic must not be negative")
    b = 1.0
    for k in range(1, agents + 1):
        ab = traffic * b
        b = ab / (k + ab)
    return b


def erlang_c(agents: int, traffic: float) -> float:
    """Erlang C: probability that a call has to wait (all ``agents`` busy), Erlang's C(n, A).

    ``C = n·B / (n − A·(1 − B))`` with B = Erlang B(n, A). It is 1 when n ≤ A (the queue is unstable and
    everybody waits) and 0 when there is no traffic.
    """
    _check_agents(agents)
    if traffic < 0:
        raise ValueError("traffic must not be negative")
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    return _c_from_b(agents, traffic, erlang_b(agents, traffic))


def _c_from_b(agents: int, traffic: float, b: float) -> float:
    return min(1.0, agents * b / (agents - traffic * (1.0 - b)))


@dataclass(frozen=True)
class Performance:
    """What a number of agents achieves for an interval's traffic.

    ``service_level``: fraction of offered calls answered within the threshold (see the module docstring).
    ``asa_s``: average wait of answered calls (None when it is unbounded: Erlang C with n ≤ A, or nothing
    is answered). ``occupancy``: carried traffic ÷ agents (None with no agents). ``p_abandon`` only for
    Erlang A.
    """

    agents: int
    traffic: float
    p_wait: float
    service_level: float
    asa_s: float | None
    occupancy: float | None
    p_abandon: float | None = None

    def as_dict(self) -> dict:
        return {
            "agents": self.agents,
            "traffic_erlangs": self.traffic,
            "p_wait": self.p_wait,
            "service_level": self.service_level,
            "asa_s": self.asa_s,
            "occupancy": self.occupancy,
            "p_abandon": self.p_abandon,
        }


def erlang_c_performance(*, agents: int, traffic: float, aht_s: float, threshold_s: float) -> Performance:
    """Erlang C figures for ``agents`` agents: P(wait) = C(n, A), service level
    ``1 − C·exp(−(n − A)·threshold_s / aht_s)``, ASA ``C·aht_s / (n − A)``, occupancy ``A / n``."""
    _check_agents(agents)
    return _c_performance(agents, traffic, aht_s, threshold_s, erlang_b(agents, traffic))


def _c_performance(agents: int, traffic: float, aht_s: float, threshold_s: float, b: float) -> Performance:
    if traffic <= 0:
        return Performance(agents, 0.0, 0.0, 1.0, 0.0, 0.0 if agents else None)
    if agents <= traffic:
        return Performance(agents, traffic, 1.0, 0.0, None, 1.0 if agents else None)
    c = _c_from_b(agents, traffic, b)
    margin = agents - traffic
    sl = 1.0 - c * math.exp(-margin * threshold_s / aht_s)
    return Performance(agents, traffic, c, max(0.0, min(1.0, sl)), c * aht_s / margin, traffic / agents)


# --- Erlang A --------------------------------------------------------------------------------------


def erlang_a_performance(
    *, agents: int, traffic: float, aht_s: float, threshold_s: float, patience_s: float
) -> Performance:
    """Erlang A (M/M/n+M, Palm's model) figures for ``agents`` agents and mean patience ``patience_s``.

    With λ the arrival rate, μ = 1/aht, θ = 1/patience, x = λ/θ and a = nμ/θ, a call that finds m calls
    queued ahead of it is answered with probability a/(a + m + 1), and the queue length m seen on arrival
    has weights ``w_m = Π_{j=1..m} x/(a + j)`` relative to the state with all agents just busy. From these:

    * ``p_wait``   = T / (1/B − 1 + T) with T = Σ w_m and B = Erlang B(n, A);
    * ``p_abandon`` = p_wait · (1 − Σ w_m·a/(a+m+1) / T);
    * ``service_level`` = (1 − p_wait) + p_wait · a·I(a+1, e^{−θt}) / T, where
      I(b, p) = ∫_p^1 e^{x(1−u)} u^{b−1} du = e^x x^{−b} (γ(b, x) − γ(b, x·p)) is the stationary density of
      the offered wait, weighted by the chance of not having hung up before it, integrated up to t;
    * ``asa_s`` = mean wait of answered calls: p_wait · Σ w_m · a/(a+m+1) · (1/θ)·Σ_{j=1..m+1} 1/(a+j) / T,
      divided by the answered fraction;
    * ``occupancy`` = A·(1 − p_abandon) / n (the traffic actually carried).
    """
    _check_agents(agents)
    if patience_s <= 0:
        raise ValueError("patience_s must be positive")
    if traffic <= 0:
        return Performance(agents, 0.0, 0.0, 1.0, 0.0, 0.0 if agents else None, 0.0)
    if agents == 0:
        return Performance(0, traffic, 1.0, 0.0, None, None, 1.0)
    theta = 1.0 / patience_s
    lam = traffic / aht_s
    x = lam / theta
    a = agents / aht_s / theta
    series = _erlang_a_series(x, a)
    b = erlang_b(agents, traffic)
    # p_wait = B·T / (1 − B + B·T), in logs: T may be astronomically large and B vanishingly small.
    if b <= 0.0:
        p_wait = 0.0
    elif b >= 1.0:
        p_wait = 1.0
    else:
        p_wait = _logistic(series.log_total + math.log(b) - math.log1p(-b))
    p_answer_if_wait = series.answered_share
    p_abandon = p_wait * (1.0 - p_answer_if_wait)
    p = math.exp(-theta * threshold_s)
    # a·I(a+1, p) / T = exp(log a + log I(a+1, p) − log T).
    log_i = x - (a + 1.0) * math.log(x) + _log_lower_gamma_between(a + 1.0, x * p, x)
    log_within = math.log(a) + log_i - series.log_total
    # exp(≥ 0) ≥ 1 ≥ the answered share, and would overflow for many agents: no need to compute it
    within_if_wait = p_answer_if_wait if log_within >= 0.0 else min(p_answer_if_wait, math.exp(log_within))
    service_level = (1.0 - p_wait) + p_wait * within_if_wait
    answered = 1.0 - p_abandon
    asa = p_wait * series.answered_wait_s(theta) / answered if answered > 0 else None
    occupancy = min(1.0, traffic * answered / agents)
    return Performance(agents, traffic, p_wait, max(0.0, min(1.0, service_level)), asa, occupancy, p_abandon)


@dataclass(frozen=True)
class _Series:
    log_total: float  # log T = log Σ w_m
    answered_share: float  # Σ w_m·a/(a+m+1) / T: answered, given that the call waits
    answered_wait_theta: float  # Σ w_m·a/(a+m+1)·H_m / T, H_m = Σ_{j=1..m+1} 1/(a+j): θ × E[wait; answered | waits]

    def answered_wait_s(self, theta: float) -> float:
        return self.answered_wait_theta / theta


def _erlang_a_series(x: float, a: float) -> _Series:
    """Σ w_m, Σ w_m·a/(a+m+1) and Σ w_m·a/(a+m+1)·H_m, all relative to the largest term.

    w_m grows while x > a + m, so the largest term is at m* = max(0, ⌊x − a⌋); its logarithm comes from
    lgamma. The sums run outward from the peak by the ratio w_m / w_(m−1) = x/(a+m), multiplied rather
    than taken through logs (a third of the cost), upward and then downward until the terms are
    negligible; terms fall monotonically on both sides, so the first negligible one ends each side.
    """
    peak = max(0, math.floor(x - a))
    log_peak = peak * math.log(x) - (math.lgamma(a + peak + 1.0) - math.lgamma(a + 1.0))
    harmonic_peak = 0.0  # H_peak = Σ_{j=1..peak+1} 1/(a+j)
    for j in range(1, peak + 2):
        harmonic_peak += 1.0 / (a + j)
    total = answered = waited = 0.0
    rel, m, harmonic = 1.0, peak, harmonic_peak
    while True:  # upward from the peak
        share = a / (a + m + 1.0)
        total += rel
        answered += rel * share
        waited += rel * share * harmonic
        m += 1
        rel *= x / (a + m)
        harmonic += 1.0 / (a + m + 1.0)
        if rel < _EPS * total:
            break
        if m > 10_000_000:  # pragma: no cover - x would have to be absurd
            raise ArithmeticError("Erlang A series did not converge")
    rel, m, harmonic = 1.0, peak, harmonic_peak
    while m > 0:  # downward from the peak
        rel *= (a + m) / x
        harmonic -= 1.0 / (a + m + 1.0)
        m -= 1
        if rel < _EPS * total:
            break
        share = a / (a + m + 1.0)
        total += rel
        answered += rel * share
        waited += rel * share * harmonic
    return _Series(log_peak + math.log(total), answered / total, waited / total)


def _log_lower_gamma_between(s: float, lo: float, hi: float) -> float:
    """log(γ(s, hi) − γ(s, lo)) for 0 ≤ lo ≤ hi, γ the lower incomplete gamma function (−inf if equal).

    Works with the regularized P (series, below the mean) or Q (continued fraction, above it) in log
    space, so that neither huge nor tiny values over- or underflow.
    """
    if hi <= lo:
        return -math.inf
    lg = math.lgamma(s)
    if hi <= s + 1.0:  # both below the mean: P(hi) − P(lo)
        lp_hi = _log_p_series(s, hi)
        lp_lo = _log_p_series(s, lo) if lo > 0 else -math.inf
        return lg + lp_hi + _log1m_exp(lp_lo - lp_hi)
    lq_hi = _log_q_fraction(s, hi)
    if lo > s + 1.0:  # both above: Q(lo) − Q(hi)
        lq_lo = _log_q_fraction(s, lo)
        return lg + lq_lo + _log1m_exp(lq_hi - lq_lo)
    lp_lo = _log_p_series(s, lo) if lo > 0 else -math.inf
    # 1 − Q(hi) − P(lo); both are at most about one half here, so this does not cancel badly.
    rest = math.exp(lq_hi) + (math.exp(lp_lo) if lp_lo > -math.inf else 0.0)
    return lg + math.log(max(1.0 - rest, 1e-300))


def _logistic(v: float) -> float:
    """1 / (1 + e^−v) without overflow for any finite v (a queue of thousands of agents makes Erlang B
    vanish and v run to −10⁴)."""
    if v >= 0.0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def _log1m_exp(v: float) -> float:
    """log(1 − e^v) for v ≤ 0."""
    if v == -math.inf:
        return 0.0
    if v >= 0.0:
        return -math.inf
    return math.log(-math.expm1(v)) if v > -0.693 else math.log1p(-math.exp(v))


def _log_p_series(s: float, z: float) -> float:
    """log P(s, z), the regularized lower incomplete gamma, by its series (good for z ≤ s + 1)."""
    term = total = 1.0 / s
    k = s
    for _ in range(10_000_000):
        k += 1.0
        term *= z / k
        total += term
        if term < total * _EPS:
            break
    return s * math.log(z) - z - math.lgamma(s) + math.log(total)


def _log_q_fraction(s: float, z: float) -> float:
    """log Q(s, z), the regularized upper incomplete gamma, by Lentz's continued fraction (z > s + 1)."""
    tiny = 1e-300
    b = z + 1.0 - s
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000_000):
        an = -i * (i - s)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return s * math.log(z) - z - math.lgamma(s) + math.log(h)


# --- staffing ---------------------------------------------------------------------------------------


def performance(
    *,
    agents: int,
    calls: float,
    interval_s: float,
    aht_s: float,
    threshold_s: float,
    patience_s: float | None = None,
) -> Performance:
    """Erlang C figures (or Erlang A's when ``patience_s`` is given) for ``agents`` agents."""
    traffic = traffic_erlangs(calls=calls, interval_s=interval_s, aht_s=aht_s)
    if patience_s is None:
        return erlang_c_performance(agents=agents, traffic=traffic, aht_s=aht_s, threshold_s=threshold_s)
    return erlang_a_performance(
        agents=agents, traffic=traffic, aht_s=aht_s, threshold_s=threshold_s, patience_s=patience_s
    )


def required_agents(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    target_sl: float,
    threshold_s: float,
    max_occupancy: float = 1.0,
    patience_s: float | None = None,
) -> int:
    """The fewest agents whose service level reaches ``target_sl`` (0–1, exclusive of 1) and whose
    occupancy stays at or below ``max_occupancy`` (0–1]; Erlang C, or Erlang A with ``patience_s``.

    Zero calls need zero agents. Erlang C needs more agents than the traffic (n > A); the search starts at
    the least such n that also meets the occupancy cap (n ≥ A / cap) and walks up, carrying Erlang B's
    recursion along, so a queue of thousands of agents costs one pass. Erlang A's service level and
    occupancy both improve with every added agent: exponential then binary search.
    """
    _check_fraction("target_sl", target_sl, upper_open=True)
    _check_fraction("max_occupancy", max_occupancy, upper_open=False)
    traffic = traffic_erlangs(calls=calls, interval_s=interval_s, aht_s=aht_s)
    if threshold_s < 0:
        raise ValueError("threshold_s must not be negative")
    if traffic <= 0:
        return 0
    if patience_s is None:
        return _required_c(traffic, aht_s, target_sl, threshold_s, max_occupancy)

    def good(n: int) -> bool:
        perf = erlang_a_performance(
            agents=n, traffic=traffic, aht_s=aht_s, threshold_s=threshold_s, patience_s=patience_s
        )
        return perf.service_level >= target_sl and (perf.occupancy or 0.0) <= max_occupancy + 1e-12

    # Erlang C's answer is close (patience lowers the need when it is long, abandons raise it when short):
    # gallop from there to bracket the answer as (bad low, good high), then bisect.
    guess = _required_c(traffic, aht_s, target_sl, threshold_s, max_occupancy)
    if good(guess):
        high, step = guess, 1
        low = max(0, guess - step)
        while low > 0 and good(low):
            high, step = low, step * 2
            low = max(0, low - step)
    else:
        low, step = guess, 1
        high = guess + step
        while not good(high):
            low, step = high, step * 2
            high = low + step
            if high > MAX_AGENTS:
                raise ValueError(f"more than {MAX_AGENTS} agents would be needed")
    while high - low > 1:
        mid = (low + high) // 2
        if good(mid):
            high = mid
        else:
            low = mid
    return high


def _required_c(traffic: float, aht_s: float, target_sl: float, threshold_s: float, max_occupancy: float) -> int:
    n = max(math.floor(traffic) + 1, math.ceil(traffic / max_occupancy - 1e-9))
    b = erlang_b(n, traffic)
    while True:
        if _c_performance(n, traffic, aht_s, threshold_s, b).service_level >= target_sl:
            return n
        n += 1
        if n > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents would be needed")
        ab = traffic * b
        b = ab / (n + ab)


def interval_traffic(*, offered: float, aht_s: float | None, interval_s: float) -> float | None:
    """The traffic (Erlang) of an interval's actual or forecast figures, where the AHT may be unknown.

    ``offered × aht_s ÷ interval_s`` (``traffic_erlangs``). Nothing offered, or an AHT of 0, is no
    traffic: 0.0. An unknown AHT (None: nothing was handled to measure it) with contacts offered is
    unknown traffic: None.
    """
    if offered <= 0:
        return 0.0
    if aht_s is None:
        return None
    return traffic_erlangs(calls=offered, interval_s=interval_s, aht_s=aht_s)


def interval_required_agents(
    *,
    offered: float,
    aht_s: float | None,
    interval_s: float,
    target_sl: float,
    threshold_s: float,
    max_occupancy: float = 1.0,
    patience_s: float | None = None,
) -> int | None:
    """The agents an interval's actual or forecast figures need (``required_agents``), where the AHT may
    be unknown — the one rule of every WFM screen and export:

    * no traffic (nothing offered, or an AHT of 0) needs 0 agents, as a planner expects;
    * an unknown AHT (None) with contacts offered: None (unknown), never a guess;
    * otherwise Erlang C, or Erlang A with ``patience_s``.
    """
    traffic = interval_traffic(offered=offered, aht_s=aht_s, interval_s=interval_s)
    if traffic is None:
        return None
    if traffic <= 0:
        return 0
    return required_agents(
        calls=offered,
        interval_s=interval_s,
        aht_s=aht_s,
        target_sl=target_sl,
        threshold_s=threshold_s,
        max_occupancy=max_occupancy,
        patience_s=patience_s,
    )


def scheduled_agents(*, required: int, shrinkage: float) -> int:
    """Agents to schedule so that ``required`` remain after shrinkage (breaks, meetings, training,
    absence — a fraction 0–1 of scheduled time): ``⌈required ÷ (1 − shrinkage)⌉``."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be at least 0 and less than 1")
    return math.ceil(required / (1.0 - shrinkage) - 1e-9)


def _check_agents(agents: int) -> None:
    if agents < 0 or agents != int(agents):
        raise ValueError("agents must be a whole number ≥ 0")
    if agents > MAX_AGENTS:
        raise ValueError(f"agents must be at most {MAX_AGENTS}")


def _check_fraction(name: str, value: float, *, upper_open: bool) -> None:
    if not (0 < value < 1 if upper_open else 0 < value <= 1):
        bound = "less than 1" if upper_open else "at most 1"
        raise ValueError(f"{name} must be a fraction above 0 and {bound}")


def staffing(
    *,
    calls: float,
    interval_s: float,
    aht_s: float,
    target_sl: float,
    threshold_s: float,
    patience_s: float | None = None,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
    agents: int | None = None,
    around: int = 5,
) -> dict:
    """Everything the Erlang calculator shows: the agents required for the target (Erlang C, or Erlang A
    when ``patience_s`` is given), the agents to schedule after shrinkage, the figures for ``agents``
    (default: the required number) and the same figures for a few agent counts either side of it."""
    required = required_agents(
        calls=calls,
        interval_s=interval_s,
        aht_s=aht_s,
        target_sl=target_sl,
        threshold_s=threshold_s,
        max_occupancy=max_occupancy,
        patience_s=patience_s,
    )
    scheduled = scheduled_agents(required=required, shrinkage=shrinkage)
    shown = required if agents is None else agents
    common = {"calls": calls, "interval_s": interval_s, "aht_s": aht_s, "threshold_s": threshold_s}
    perf = performance(agents=shown, patience_s=patience_s, **common)
    lowest = max(0, shown - around)
    table = [
        _public(performance(agents=n, patience_s=patience_s, **common), patience_s)
        for n in range(lowest, max(shown, required) + around + 1)
    ]
    return {
        "model": "erlang_a" if patience_s is not None else "erlang_c",
        "traffic_erlangs": perf.traffic,
        "required_agents": required,
        "scheduled_agents": scheduled,
        **_public(perf, patience_s),
        "by_agents": table,
    }


def _public(perf: Performance, patience_s: float | None) -> dict:
    out = perf.as_dict()
    out.pop("traffic_erlangs")
    if patience_s is None:
        out.pop("p_abandon")
    return out


# --- Expected wait of a contact joining a queue now --------------------------------------------------

EWT_METHODS = ("agent_free", "erlang_c", "position", "no_agents", "no_aht")


@dataclass(frozen=True)
class ExpectedWait:
    """``ewt_s``: the expected wait of a contact that joins the queue now (None when it cannot be said);
    ``method``: how it was found (one of ``EWT_METHODS``)."""

    ewt_s: float | None
    method: str

    def as_dict(self) -> dict:
        return {"ewt_s": self.ewt_s, "method": self.method}


def expected_wait(
    *, waiting: int, available: int, staffed: int, aht_s: float | None, offered_per_s: float | None
) -> ExpectedWait:
    """Expected wait (EWT) of a contact that would join a queue now: for an IVR announcement or a callback
    offer. ``waiting``: contacts waiting now; ``available``: agents idle now; ``staffed``: agents working
    the queue (available, on a contact or in after-call work; paused and logged-out agents take nothing);
    ``aht_s``: today's average handle time; ``offered_per_s``: the arrival rate of late (today's last 30
    minutes), None when unknown.

    * ``agent_free`` — more agents idle than contacts waiting: answered at once, 0 s.
    * ``position`` — the contacts ahead of it (``waiting − available``) and itself are answered as agents
      finish: with exponential handle times and ``staffed`` agents busy, one finishes every
      ``aht_s ÷ staffed`` seconds on average, so the wait is ``(ahead + 1) × aht_s ÷ staffed``. Exact for
      the M/M/n queue given its state; used when the queue is not in equilibrium (the traffic
      ``A = offered_per_s × aht_s`` is at or above the staffed agents: the queue grows, Erlang C has no
      steady state), when the rate is unknown, and when the queue is longer than Erlang C expects.
    * ``erlang_c`` — in equilibrium (A < staffed), the wait Erlang C predicts for an arrival,
      ``C(n, A) × aht_s ÷ (n − A)``, when it is the larger of the two: a queue of 0–2 contacts changes
      every few seconds, and the model's steady state is a better guide than the moment's count.

    Taking the larger keeps the estimate growing with the number waiting, and never below what the
    contacts already ahead take. Agents skilled on several queues count fully on each (as on the tiles):
    where they serve other queues too, the estimate is low. (Koole, "Call Center Optimization", ch. 5;
    Ibrahim & Whitt, "Real-time delay estimation in overloaded multiserver queues", 2011, for the
    queue-length-based predictor.)
    """
    if min(waiting, available, staffed) < 0:
        raise ValueError("waiting, available and staffed must not be negative")
    if available > staffed:
        raise ValueError("available agents are part of the staffed agents: available must not exceed staffed")
    if offered_per_s is not None and offered_per_s < 0:
        raise ValueError("offered_per_s must not be negative")
    if available > waiting:
        return ExpectedWait(0.0, "agent_free")
    if staffed == 0:
        return ExpectedWait(None, "no_agents")
    if aht_s is None or aht_s <= 0:
        return ExpectedWait(None, "no_aht")
    ahead = waiting - available
    by_position = (ahead + 1) * aht_s / staffed
    if offered_per_s:
        traffic = offered_per_s * aht_s
        if traffic < staffed:
            by_model = erlang_c(staffed, traffic) * aht_s / (staffed - traffic)
            if by_model > by_position:
                return ExpectedWait(by_model, "erlang_c")
    return ExpectedWait(by_position, "position")
