"""How a figure, a duration or a moment is written on a page, in one pure module (no Django, no I/O).

The pages' scripts write the figures the server sends (``static/js/formats.js``); each function here is
the definition its JavaScript twin follows, and ``tests/e2e/test_js_formats.py`` runs the real script in
Chromium against one table of figures so that the two cannot drift apart. The server's own pages use
the same functions through template filters (``dashboard/core/format_filters.py``: ``duration``,
``with_unit``, ``change``, ``local_moment``). ``moment`` and ``signed_duration`` have no twin: the
scripts show no dates and no changes.

JavaScript's ``Number.prototype.toFixed`` rounds the exact binary value of a number half away from zero
(``(2.5).toFixed(0)`` is ``"3"``, ``(1.005).toFixed(2)`` is ``"1.00"`` because 1.005 is stored as
1.00499…); Python's ``round`` and ``format`` round half to even, so ``fixed`` rounds the exact value with
``ROUND_HALF_UP`` (which in ``decimal`` means away from zero) instead.
"""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

EMPTY = "—"
NBSP = "\u00a0"  # inside a duration: "15 h 25 m" never wraps in a narrow column or tile


def fixed(value: float | None, digits: int | None = None, *, empty: str = EMPTY) -> str:
    """A number with ``digits`` decimals (JavaScript's ``toFixed``), or as it is (JavaScript's
    ``String``: an integral float without ``.0``) when ``digits`` is None; ``empty`` for None.

    Only for numbers below 10²¹, where ``toFixed`` does not switch to exponent notation."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return empty
    if digits is None:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if value == 0:
        value = 0.0  # -0.0: toFixed writes no minus sign
    quantum = Decimal(1).scaleb(-digits)
    return f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):f}"


def clock(seconds: float | None, *, empty: str = EMPTY) -> str:
    """A duration as a clock: ``m:ss`` below an hour, ``h:mm:ss`` from an hour on (hours are not
    wrapped at 24). Whole seconds, rounded down (a wait of 59.9 s has not reached a minute); a negative
    duration (clocks slightly apart) is ``0:00``; ``empty`` for None."""
    if seconds is None or math.isnan(seconds):
        return empty
    total = max(0, math.floor(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def duration(seconds: float | None, *, empty: str = EMPTY) -> str:
    """A duration as a person reads it at a glance: ``clock`` (``m:ss``) below an hour, where a wait
    ticks by the second; from an hour on hours and minutes (``15 h 05 m``), from a day on days and hours
    (``2 d 03 h``), joined by no-break spaces. Never ``h:mm:ss``: an age of 15:25:00 reads as a time of
    day. Whole units, rounded down (a wait of 3599.9 s has not reached an hour); negative is ``0:00``;
    ``empty`` for None."""
    if seconds is None or math.isnan(seconds):
        return empty
    total = max(0, math.floor(seconds))
    if total < 3600:
        return clock(total)
    hours, rest = divmod(total, 3600)
    if hours < 24:
        return f"{hours}{NBSP}h{NBSP}{rest // 60:02d}{NBSP}m"
    days, hours = divmod(hours, 24)
    return f"{days}{NBSP}d{NBSP}{hours:02d}{NBSP}h"


def signed_duration(seconds: float | None, *, empty: str = EMPTY) -> str:
    """A change of a duration (this period against the previous one): ``+15 h 37 m``, ``-0:12``, and
    ``0:00`` without a sign when it is less than a second either way; ``empty`` for None. Server-side
    only, like ``moment``."""
    if seconds is None or math.isnan(seconds):
        return empty
    shown = duration(abs(seconds))
    if math.floor(abs(seconds)) == 0:
        return shown
    return ("+" if seconds > 0 else "-") + shown


def moment(at: datetime | None, tz: tzinfo, *, seconds: bool = False, empty: str = EMPTY) -> str:
    """A moment (an aware datetime, or None) in the centre's time zone ``tz``, with the zone's name so
    that nobody takes it for UTC or their own zone: ``2026-12-01 09:31 CET`` (``09:31:05`` with
    ``seconds``). Server-side only: the pages' scripts show only durations and times of day."""
    if at is None:
        return empty
    local = at.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {local.tzname()}"


def percent(fraction: float | None, *, empty: str = EMPTY) -> str:
    """A fraction 0–1 (an Erlang service level, occupancy, probability) as a percentage with one
    decimal, without the sign: ``0.8234`` → ``"82.3"``; ``empty`` for None (unbounded)."""
    return empty if fraction is None else fixed(100 * fraction, 1)
