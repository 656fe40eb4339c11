"""The fuzz suite's tally: every generated input, counted per area by the class of its answer.

A websocket answer counts like HTTP: a message or a normal close is 2xx, a close 4400/4401/4403 is
4xx, a close 1011 or an exception out of the consumer is 5xx. ``tests/fuzz/conftest.py`` prints the
table at the end of the run (the closing note of issue 11 copies it)."""

from __future__ import annotations

from collections import Counter, defaultdict

COLUMNS = ("2xx", "3xx", "4xx", "5xx")
_counts: dict[str, Counter] = defaultdict(Counter)


def status_class(status: int) -> str:
    """``2xx`` … ``5xx`` for an HTTP status; a websocket close code 1011 is a server error, 4xxx a
    refusal, any other close (1000, 1001, …) a normal end."""
    if status == 1011 or 500 <= status < 600:
        return "5xx"
    if 4000 <= status < 5000 or 400 <= status < 500:
        return "4xx"
    if 300 <= status < 400:
        return "3xx"
    return "2xx"


def record(area: str, status: int) -> str:
    """Count one input of ``area`` answered with ``status``; returns its class."""
    kind = status_class(status)
    _counts[area]["inputs"] += 1
    _counts[area][kind] += 1
    return kind


def table() -> list[str]:
    """The tally as aligned lines: area, inputs, 2xx, 3xx, 4xx, 5xx, and a total row."""
    if not _counts:
        return []
    total: Counter = Counter()
    width = max(len(a) for a in [*_counts, "total"])
    lines = [f"{'area':<{width}}  {'inputs':>7}  " + "  ".join(f"{c:>6}" for c in COLUMNS)]
    for area in sorted(_counts):
        c = _counts[area]
        total.update(c)
        lines.append(f"{area:<{width}}  {c['inputs']:>7,}  " + "  ".join(f"{c[k]:>6,}" for k in COLUMNS))
    lines.append(f"{'total':<{width}}  {total['inputs']:>7,}  " + "  ".join(f"{total[k]:>6,}" for k in COLUMNS))
    return lines
