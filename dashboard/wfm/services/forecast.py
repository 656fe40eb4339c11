"""Writes of the contact forecast: import it from a WFM tool's CSV, or build it from history.

A forecast row is one queue's expected offered contacts and average handle time in one 15-minute
interval (``ForecastInterval``). Both ways are idempotent upserts on (queue, interval start): importing
the same file twice, or building the same days twice, leaves the same rows.

The builder takes, for every local quarter-hour of a day, the same quarter-hour on the same weekday of
the last ``weeks`` weeks, weighted (the most recent week weighs most, by default), with the calendar of
known events divided out of each history day and multiplied into the day forecast. See docs/wfm.md.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dashboard.core import metrics
from dashboard.core.audit import audit_record
from dashboard.core.errors import FieldError
from dashboard.core.models import ClosedDay, Queue
from dashboard.core.periods import INTERVAL_S, centre_tz, day_bounds, interval_starts
from dashboard.intervals.public import interval_rows, queues_filtered
from dashboard.wfm.models import ForecastEvent, ForecastInterval, ForecastSource

IMPORT_COLUMNS = ("queue", "interval_start", "offered", "aht_s")
MAX_ERRORS_LISTED = 200
DEFAULT_WEEKS = 6
MAX_WEEKS = 52


# --- import ------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    lines: int = 0
    imported: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0

    def error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_LISTED:
            self.errors.append({"line": line, "error": message})

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "imported": self.imported,
            "created": self.created,
            "updated": self.updated,
            "rejected": self.error_count,
            "errors": self.errors,
        }


def forecast_import(*, data: bytes | str) -> ImportResult:
    """Import a forecast CSV (``queue, interval_start, offered, aht_s``), keeping every good row.

    * UTF-8 (a byte-order mark is fine), comma- or semicolon-separated; with semicolons a decimal comma
      is accepted (``12,5``), as Dutch spreadsheets write it. A header row naming the columns is optional;
      with one, the columns may come in any order.
    * ``queue``: a queue's name as configured. ``interval_start``: ISO 8601, e.g.
      ``2026-03-30T09:15:00+02:00``; without an offset it is local time in the centre's time zone (then the
      repeated hour of the night DST ends is ambiguous and refused: give the offset). It must be the start
      of a local quarter-hour. ``offered`` ≥ 0 (decimals allowed: a forecast is an expectation);
      ``aht_s`` > 0 seconds (0 only with offered 0).
    * A bad line is reported with its line number and the field, and skipped; the others are imported.
      A queue and interval given twice is an error on the later line.
    * Upsert on (queue, interval start): the source becomes ``imported``.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    result = ImportResult()
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
    queues = {q.name: q for q in Queue.objects.all()}
    queue_names = {q.id: q.name for q in queues.values()}
    tz = centre_tz()
    columns = dict(zip(IMPORT_COLUMNS, range(4), strict=True))
    rows: dict[tuple[int, datetime], tuple[float, float]] = {}
    seen_at: dict[tuple[int, datetime], int] = {}
    header_checked = False
    for record in _records(reader, result):
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if not header_checked:
            header_checked = True
            names = [cell.strip().lower() for cell in record]
            if "queue" in names or "interval_start" in names:
                missing = [c for c in IMPORT_COLUMNS if c not in names]
                if missing:
                    result.error(
                        line, f"header: missing column(s) {', '.join(missing)}; need {', '.join(IMPORT_COLUMNS)}"
                    )
                    result.lines = max(0, len(lines) - 1)
                    return result
                columns = {c: names.index(c) for c in IMPORT_COLUMNS}
                continue
        result.lines += 1
        try:
            key, values = _parse_row(record, columns, queues, tz, delimiter)
        except ValueError as exc:
            result.error(line, str(exc))
            continue
        if key in seen_at:
            result.error(line, f"queue and interval_start: the same as line {seen_at[key]}")
            continue
        seen_at[key] = line
        rows[key] = values
    if rows:
        result.created, result.updated = _upsert(rows, ForecastSource.IMPORTED)
        result.imported = len(rows)
    counts = result.as_dict()
    del counts["errors"]
    audit_record(
        operation="import",
        model=ForecastInterval,
        what=f"forecast: {result.imported} intervals imported of {result.lines} lines",
        details={**counts, "queues": sorted({queue_names[q] for q, _ in rows})},
    )
    return result


def _records(reader, result: ImportResult) -> Iterator[list[str]]:
    """The reader's records; a file the csv module cannot read on (a broken quote, a stray line end)
    stops with an error naming the line, and the rows before it are kept."""
    try:
        yield from reader
    except csv.Error as exc:
        result.error(reader.line_num, f"not readable as CSV from here on: {exc}")


def _parse_row(record, columns, queues, tz: ZoneInfo, delimiter: str):
    if len(record) < 4:
        raise ValueError(f"{len(record)} column(s); need {len(IMPORT_COLUMNS)}: {', '.join(IMPORT_COLUMNS)}")
    cell = {name: record[i].strip() if i < len(record) else "" for name, i in columns.items()}
    queue = queues.get(cell["queue"])
    if queue is None:
        raise FieldError("queue", f"unknown queue {cell['queue']!r}")
    start = parse_interval_start(cell["interval_start"], tz)
    offered = _number("offered", cell["offered"], delimiter)
    aht = _number("aht_s", cell["aht_s"], delimiter)
    if offered < 0:
        raise FieldError("offered", f"{cell['offered']!r} is negative")
    if aht < 0 or (aht == 0 and offered > 0):
        raise FieldError("aht_s", f"{cell['aht_s']!r} must be more than 0 seconds when contacts are offered")
    return (queue.id, start), (offered, aht)


def parse_interval_start(text: str, tz: ZoneInfo) -> datetime:
    """An interval start as a UTC instant; a FieldError of ``interval_start`` says what is wrong."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError("interval_start", f"{text!r} is not an ISO 8601 date and time, e.g. 2026-03-30T09:15:00+02:00")
    if at.tzinfo is None:
        earlier, later = at.replace(tzinfo=tz, fold=0), at.replace(tzinfo=tz, fold=1)
        if earlier.utcoffset() != later.utcoffset():
            if earlier.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != at:
                raise FieldError("interval_start", f"{text} does not exist in {tz.key} (the clock skips it)")
            raise FieldError("interval_start", f"{text} happens twice in {tz.key} (DST ends); add the UTC offset")
        at = earlier
    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        raise FieldError("interval_start", f"{text} is outside the calendar in UTC") from None
    now = timezone.now()
    earliest = now - timedelta(days=settings.KCC_FORECAST_MAX_AGE_DAYS)
    latest = now + timedelta(days=settings.KCC_FORECAST_MAX_AHEAD_DAYS)
    if not earliest <= utc <= latest:
        raise FieldError(
            "interval_start",
            f"{text} is outside the window a forecast may cover: {settings.KCC_FORECAST_MAX_AGE_DAYS} days back "
            f"to {settings.KCC_FORECAST_MAX_AHEAD_DAYS} days ahead",
        )
    if utc.second or utc.microsecond or (utc.timestamp() % INTERVAL_S):
        raise FieldError("interval_start", f"{text} is not the start of a quarter-hour (:00, :15, :30, :45)")
    return utc


def _number(name: str, text: str, delimiter: str) -> float:
    value = text.replace(",", ".") if delimiter == ";" else text
    try:
        number = float(value)
    except ValueError:
        raise FieldError(name, f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise FieldError(name, f"{text!r} is not a finite number")
    return number


def _upsert(rows: dict[tuple[int, datetime], tuple[float, float]], source: str) -> tuple[int, int]:
    """Insert or update forecast rows; returns (created, updated)."""
    starts = [start for _q, start in rows]
    existing = set(
        ForecastInterval.objects.filter(
            start__gte=min(starts), start__lte=max(starts), queue_id__in={q for q, _s in rows}
        ).values_list("queue_id", "start")
    )
    now = timezone.now()
    objects = [
        ForecastInterval(queue_id=q, start=s, offered=o, aht_s=a, source=source, updated_at=now)
        for (q, s), (o, a) in rows.items()
    ]
    with transaction.atomic():
        ForecastInterval.objects.bulk_create(
            objects,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["queue", "start"],
            update_fields=["offered", "aht_s", "source", "updated_at"],
        )
    updated = sum(1 for key in rows if key in existing)
    return len(rows) - updated, updated


# --- the calendar ---------------------------------------------------------------------------------------


def calendar_factors(*, queues: Iterable[Queue], first_day: date, last_day: date) -> dict[tuple[int, date], float]:
    """The volume factor of every queue on every day from ``first_day`` to ``last_day``: the product of
    the calendar events covering it (1 when none), and 0 on the queue's closed days. Only days whose
    factor is not 1 are in the result."""
    queues = list(queues)
    factors: dict[tuple[int, date], float] = {}
    events = ForecastEvent.objects.filter(first_day__lte=last_day, last_day__gte=first_day)
    for event in events:
        for queue in queues:
            if not event.applies_to(queue):
                continue
            day = max(event.first_day, first_day)
            while day <= min(event.last_day, last_day):
                factors[(queue.id, day)] = factors.get((queue.id, day), 1.0) * event.volume_factor
                day += timedelta(days=1)
    closed = ClosedDay.objects.filter(date__gte=first_day, date__lte=last_day).values_list("queue_id", "date")
    for queue_id, day in closed:
        for queue in queues:
            if queue_id is None or queue_id == queue.id:
                factors[(queue.id, day)] = 0.0
    return factors


# --- the builder -------------------------------------------------------------------------------------------


def default_weights(weeks: int) -> list[float]:
    """Linearly falling weights, the most recent week first: weeks=4 gives 4, 3, 2, 1."""
    return [float(weeks - k) for k in range(weeks)]


@dataclass
class _SlotHistory:
    """Weighted sums for one local quarter-hour of one queue."""

    offered: float = 0.0
    handle_ms: float = 0.0
    handled: float = 0.0


@dataclass
class BuildResult:
    days: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    weeks: int = 0
    without_history: list[dict] = field(default_factory=list)
    short_history: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "days": self.days,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "weeks": self.weeks,
            "without_history": self.without_history,
            "short_history": self.short_history,
        }


def forecast_build(
    *,
    first_day: date,
    last_day: date,
    queue: str | None = None,
    team: str | None = None,
    channel: str | None = None,
    weeks: int = DEFAULT_WEEKS,
    weights: list[float] | None = None,
) -> BuildResult:
    """Build the forecast of every selected queue for the local days ``first_day``–``last_day`` from
    the interval store, and upsert it (source ``built``; it replaces an imported forecast of those days).

    For a day D, the history days are D − 7, D − 14, … D − 7·weeks, with ``weights`` (default
    ``weeks, weeks − 1, …, 1``: the most recent weighs most). A history day counts only if the interval
    store has rows for the queue that day and its calendar factor is above 0; its volume is divided by
    that factor first. Per local quarter-hour (wall clock, so a DST day lines up with ordinary days):
    offered = Σ w·offered ÷ Σ w × factor(D); AHT = Σ w·handle time ÷ Σ w·handled (the queue's AHT over
    all history days where a quarter-hour had none). Queue-days without any usable history day are
    reported and left alone (``without_history``); those built from fewer history days than ``weeks``
    asked for are built and reported with the days they were built from (``short_history``), so nobody
    mistakes a forecast from one week for a six-week average.
    """
    if last_day < first_day:
        raise FieldError("end", "is before start")
    if not 1 <= weeks <= MAX_WEEKS:
        raise FieldError("weeks", f"must be 1 to {MAX_WEEKS}")
    weights = list(weights) if weights is not None else default_weights(weeks)
    if len(weights) != weeks:
        raise FieldError("weights", f"{len(weights)} given for {weeks} weeks")
    if any(w < 0 for w in weights) or not any(w > 0 for w in weights):
        raise FieldError("weights", "must not be negative, and at least one above 0")
    if (last_day - first_day).days > 366:
        raise FieldError("end", "build at most 367 days at a time")
    queues = queues_filtered(queue=queue, team=team, channel=channel)
    if not queues:
        raise FieldError("queue/team/channel", "no queue matches")
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    history_days = sorted({d - timedelta(days=7 * k) for d in days for k in range(1, weeks + 1)})
    factors = calendar_factors(queues=queues, first_day=history_days[0], last_day=last_day)
    history = _history(history_days, queues, queue=queue, team=team, channel=channel)
    tz = centre_tz()
    wanted = sum(1 for w in weights if w > 0)  # a week weighted 0 is left out on purpose, not missing
    result = BuildResult(days=len(days), weeks=wanted)
    rows: dict[tuple[int, datetime], tuple[float, float]] = {}
    for q in queues:
        overall_handle = sum(s.handle_ms for per_day in history[q.id].values() for s in per_day.values())
        overall_handled = sum(s.handled for per_day in history[q.id].values() for s in per_day.values())
        # Stored as 0 when the queue's history handled nothing (the column holds a number).
        fallback_aht = metrics.aht_of_handle_s(handle_ms=overall_handle, handled=overall_handled) or 0.0
        for day in days:
            slots: dict[time, _SlotHistory] = defaultdict(_SlotHistory)
            total_weight = 0.0
            found = []
            for k, weight in enumerate(weights, start=1):
                past = day - timedelta(days=7 * k)
                factor = factors.get((q.id, past), 1.0)
                if weight <= 0 or factor <= 0 or past not in history[q.id]:
                    continue
                found.append(past.isoformat())
                total_weight += weight
                for slot, s in history[q.id][past].items():
                    acc = slots[slot]
                    acc.offered += weight * s.offered / factor
                    acc.handle_ms += weight * s.handle_ms
                    acc.handled += weight * s.handled
            if total_weight <= 0:
                result.without_history.append({"queue": q.name, "day": day.isoformat()})
                continue
            if len(found) < wanted:
                result.short_history.append(
                    {"queue": q.name, "day": day.isoformat(), "weeks_found": len(found), "history_days": found}
                )
            factor = factors.get((q.id, day), 1.0)
            start, end = day_bounds(day)
            for at in interval_starts(start, end):
                s = slots.get(_wall_slot(at, tz))
                offered = s.offered / total_weight * factor if s else 0.0
                aht = metrics.aht_of_handle_s(handle_ms=s.handle_ms, handled=s.handled) if s else None
                if aht is None:
                    aht = fallback_aht
                rows[(q.id, at)] = (offered, aht)
    if rows:
        result.created, result.updated = _upsert(rows, ForecastSource.BUILT)
        result.rows = len(rows)
    return result


def _wall_slot(at: datetime, tz: ZoneInfo) -> time:
    local = at.astimezone(tz)
    return time(local.hour, local.minute)


def _history(days: list[date], queues: list[Queue], **filters) -> dict[int, dict[date, dict[time, _SlotHistory]]]:
    """Per queue, per history day present in the interval store, per local quarter-hour: offered,
    handle time (ms) and handled. A quarter-hour that occurs twice (the night DST ends) is averaged."""
    tz = centre_tz()
    wanted = {q.id for q in queues}
    out: dict[int, dict[date, dict[time, _SlotHistory]]] = {q.id: {} for q in queues}
    for day in days:
        start, end = day_bounds(day)
        seen: dict[tuple[int, time], int] = defaultdict(int)
        for row in interval_rows(start=start, end=end, length=15, **filters):
            if row["queue_id"] not in wanted:
                continue
            slot = _wall_slot(row["start"], tz)
            per_day = out[row["queue_id"]].setdefault(day, {})
            acc = per_day.setdefault(slot, _SlotHistory())
            acc.offered += row["offered"]
            acc.handle_ms += metrics.handle_ms(talk_ms=row["talk_ms"], hold_ms=row["hold_ms"], acw_ms=row["acw_ms"])
            acc.handled += row["handled"]
            seen[(row["queue_id"], slot)] += 1
        for (queue_id, slot), n in seen.items():
            if n > 1:
                acc = out[queue_id][day][slot]
                acc.offered, acc.handle_ms, acc.handled = acc.offered / n, acc.handle_ms / n, acc.handled / n
    return out


__all__ = [
    "BuildResult",
    "ImportResult",
    "calendar_factors",
    "default_weights",
    "forecast_build",
    "forecast_import",
    "parse_interval_start",
]
