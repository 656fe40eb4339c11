"""Writes of the agents' schedules: the CSV import (``manage.py import_schedule`` and ``POST
/api/v1/wfm/schedule/import/`` share it) and the replacement of a period's entries the simulator uses.
See docs/wfm.md §7."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dashboard.core.audit import audit_record
from dashboard.core.errors import FieldError
from dashboard.core.models import Agent
from dashboard.core.periods import centre_tz
from dashboard.wfm.models import ScheduleActivity, ScheduleEntry

IMPORT_COLUMNS = ("agent", "start", "end", "activity")
MAX_ERRORS_LISTED = 200
MAX_ENTRY = timedelta(days=7)  # one line: a shift, or at most a week off
MAX_PERIOD = timedelta(days=92)  # what one file may replace
MAX_LINES = 200_000
# The activities every centre starts with (migration 0014 seeds them; more are added in the admin).
DEFAULT_ACTIVITIES = (
    ("shift", "Shift", ScheduleActivity.CountsAs.WORKING),
    ("break", "Break", ScheduleActivity.CountsAs.AWAY),
    ("lunch", "Lunch", ScheduleActivity.CountsAs.AWAY),
    ("meeting", "Meeting", ScheduleActivity.CountsAs.AWAY),
    ("training", "Training", ScheduleActivity.CountsAs.AWAY),
    ("off", "Off", ScheduleActivity.CountsAs.OFF),
)


@dataclass
class ScheduleImportResult:
    """What an import did: ``lines`` read (without the header), entries ``imported``, entries of the
    period ``replaced`` (removed before), and each rejected line with its number, field and reason."""

    lines: int = 0
    imported: int = 0
    replaced: int = 0
    agents: list[str] = field(default_factory=list)
    period_start: datetime | None = None
    period_end: datetime | None = None
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0

    def error(self, line: int, field_name: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_LISTED:
            self.errors.append({"line": line, "field": field_name, "error": f"{field_name}: {message}"})

    def as_dict(self) -> dict:
        tz = centre_tz()
        return {
            "lines": self.lines,
            "imported": self.imported,
            "replaced": self.replaced,
            "rejected": self.error_count,
            "agents": len(self.agents),
            "period": {
                "start": self.period_start.astimezone(tz).isoformat(),
                "end": self.period_end.astimezone(tz).isoformat(),
            }
            if self.period_start
            else None,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class PlannedEntry:
    """An entry to write: the agent's login id, ``[start, end)`` (aware) and the activity's code."""

    agent: str
    start: datetime
    end: datetime
    activity: str


def default_activities_ensure() -> dict[str, ScheduleActivity]:
    """The default activities, created where missing (a database flushed by tests, a centre that removed
    one and runs the simulator); returns every activity by code."""
    for code, name, counts_as in DEFAULT_ACTIVITIES:
        ScheduleActivity.objects.get_or_create(code=code, defaults={"name": name, "counts_as": counts_as})
    return {a.code: a for a in ScheduleActivity.objects.all()}


def parse_moment(text: str, tz: ZoneInfo, field_name: str) -> datetime:
    """A start or end as an aware instant: ISO 8601 with a UTC offset, or local time in the centre's time
    zone (then a time the clock skips, or one that happens twice when DST ends, is refused by name)."""
    if not text:
        raise FieldError(field_name, "is empty; write ISO 8601, e.g. 2026-12-02T08:00:00+01:00 or 2026-12-02 08:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(
            field_name, f"{text!r} is not an ISO 8601 date and time, e.g. 2026-12-02T08:00:00+01:00"
        ) from None
    if at.tzinfo is None:
        earlier, later = at.replace(tzinfo=tz, fold=0), at.replace(tzinfo=tz, fold=1)
        if earlier.utcoffset() != later.utcoffset():
            if earlier.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != at:
                raise FieldError(field_name, f"{text} does not exist in {tz.key} (the clock skips it)")
            raise FieldError(field_name, f"{text} happens twice in {tz.key} (DST ends); add the UTC offset")
        at = earlier
    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        raise FieldError(field_name, f"{text} is outside the calendar in UTC") from None
    now = timezone.now()
    earliest = now - timedelta(days=settings.KCC_FORECAST_MAX_AGE_DAYS)
    latest = now + timedelta(days=settings.KCC_FORECAST_MAX_AHEAD_DAYS)
    if not earliest <= utc <= latest:
        raise FieldError(
            field_name,
            f"{text} is outside the window a schedule may cover: {settings.KCC_FORECAST_MAX_AGE_DAYS} days back "
            f"to {settings.KCC_FORECAST_MAX_AHEAD_DAYS} days ahead",
        )
    return utc


def _records(reader, result: ScheduleImportResult) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        result.error(reader.line_num, "file", f"not readable as CSV from here on: {exc}")


def schedule_import(*, data: bytes | str, user=None) -> ScheduleImportResult:
    """Import a schedule CSV (``agent, start, end, activity``), keeping every good line.

    * UTF-8 (a byte-order mark is fine), comma- or semicolon-separated; a header row naming the columns
      is optional (with one, the columns may come in any order).
    * ``agent``: the agent's login id, as the ACD's events name the agent (``Agent.login_id``; an
      unknown agent is an error, not created). ``start``, ``end``: ISO 8601 with offset, or local time in
      the centre's time zone; ``end`` after ``start``, at most 7 days later. ``activity``: the code of a
      schedule activity (shift, break, lunch, meeting, training, off, and those added in the admin),
      any case.
    * A bad line is reported with its line number and field, and skipped; the good ones are imported.
    * Re-importing replaces: the period is the file's span (earliest start to latest end of its good
      lines); for each agent the file names, every entry starting within the period is removed before the
      file's entries are written. Other agents, entries starting outside the period, and entries lying
      within a shift that started before it (a night shift's break after midnight), stay.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    result = ScheduleImportResult()
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
    activities = {a.code: a for a in ScheduleActivity.objects.all()}
    agents: dict[str, int] = {}
    tz = centre_tz()
    columns = dict(zip(IMPORT_COLUMNS, range(4), strict=True))
    entries: list[tuple[int, datetime, datetime, ScheduleActivity]] = []
    header_checked = False
    for record in _records(reader, result):
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if not header_checked:
            header_checked = True
            names = [cell.strip().lower() for cell in record]
            if any(c in names for c in IMPORT_COLUMNS):
                missing = [c for c in IMPORT_COLUMNS if c not in names]
                if missing:
                    result.error(
                        line, "header", f"missing column(s) {', '.join(missing)}; need {', '.join(IMPORT_COLUMNS)}"
                    )
                    return result
                columns = {c: names.index(c) for c in IMPORT_COLUMNS}
                continue
        result.lines += 1
        if result.lines > MAX_LINES:
            result.error(line, "file", f"more than {MAX_LINES} lines; split the file")
            break
        if len(record) < len(IMPORT_COLUMNS):
            result.error(
                line, "line", f"{len(record)} column(s); need {len(IMPORT_COLUMNS)}: {', '.join(IMPORT_COLUMNS)}"
            )
            continue
        cell = {name: record[i].strip() if i < len(record) else "" for name, i in columns.items()}
        try:
            entries.append(_parse_line(cell, activities, agents, tz))
        except FieldError as exc:
            result.error(line, exc.field, exc.message)
    if entries:
        start = min(e[1] for e in entries)
        end = max(e[2] for e in entries)
        if end - start > MAX_PERIOD:
            result.error(0, "file", f"spans {end - start} (more than {MAX_PERIOD.days} days); import it in parts")
            return result
        ids = sorted({e[0] for e in entries})
        with transaction.atomic():
            result.replaced = _replace(agent_ids=ids, start=start, end=end, rows=entries)
        result.imported = len(entries)
        result.period_start, result.period_end = start, end
        result.agents = sorted(login for login, pk in agents.items() if pk in set(ids))
    counts = result.as_dict()
    del counts["errors"]
    audit_record(
        operation="import",
        model=ScheduleEntry,
        what=f"schedule: {result.imported} entries imported of {result.lines} lines",
        details=counts,
        actor=user,
    )
    return result


def _parse_line(cell: dict, activities: dict, agents: dict[str, int], tz: ZoneInfo):
    for name in IMPORT_COLUMNS:
        if "\x00" in cell[name]:
            raise FieldError(name, "contains a NUL character")
    login = cell["agent"]
    if len(login) > 100:
        raise FieldError("agent", f"longer than 100 characters: {login[:40]!r}…")
    if not login:
        raise FieldError("agent", "is empty; give the agent's login id")
    if login not in agents:
        pk = Agent.objects.filter(login_id=login).values_list("pk", flat=True).first()
        if pk is None:
            raise FieldError("agent", f"unknown agent {login!r} (no agent has this login id)")
        agents[login] = pk
    start = parse_moment(cell["start"], tz, "start")
    end = parse_moment(cell["end"], tz, "end")
    if end <= start:
        raise FieldError("end", f"{cell['end']} is not after start {cell['start']}")
    if end - start > MAX_ENTRY:
        raise FieldError("end", f"{cell['end']} is more than {MAX_ENTRY.days} days after start; split the entry")
    code = cell["activity"].lower()
    activity = activities.get(code)
    if activity is None:
        known = ", ".join(sorted(activities)) or "none configured"
        raise FieldError("activity", f"unknown activity {cell['activity']!r}; one of {known} (add more in the admin)")
    return agents[login], start, end, activity


def _replace(*, agent_ids: Iterable[int], start: datetime, end: datetime, rows) -> int:
    """Remove the agents' entries starting within ``[start, end)`` — except those lying within a working
    entry (a shift) of the same agent that started before ``start`` (the break at 02:00 of a night shift that began at 23:00
    the day before belongs to that shift's day) — and write ``rows`` (agent id, start, end, activity);
    returns how many were removed."""
    ids = list(agent_ids)
    doomed = list(
        ScheduleEntry.objects.filter(agent_id__in=ids, start__gte=start, start__lt=end).values_list(
            "id", "agent_id", "start", "end"
        )
    )
    earlier: dict[int, list[tuple[datetime, datetime]]] = {}
    for agent_id, s, e in ScheduleEntry.objects.filter(
        agent_id__in=ids,
        start__lt=start,
        start__gte=start - MAX_ENTRY,
        end__gt=start,
        activity__counts_as=ScheduleActivity.CountsAs.WORKING,
    ).values_list("agent_id", "start", "end"):
        earlier.setdefault(agent_id, []).append((s, e))
    kept = {
        pk
        for pk, agent_id, s, e in doomed
        if any(e <= outer_end for _outer_start, outer_end in earlier.get(agent_id, ()))
    }
    removed, _ = ScheduleEntry.objects.filter(id__in=[d[0] for d in doomed if d[0] not in kept]).delete()
    ScheduleEntry.objects.bulk_create(
        [ScheduleEntry(agent_id=a, start=s, end=e, activity=act) for a, s, e, act in rows], batch_size=2000
    )
    return removed


def schedule_replace(*, agents: Iterable[str], start: datetime, end: datetime, entries: Iterable[PlannedEntry]) -> int:
    """Replace the schedule of ``agents`` (login ids) for the entries starting within ``[start, end)`` by
    ``entries`` (the simulator's plan of a day). Agents and activities not configured are an error.
    Returns the entries written."""
    activities = default_activities_ensure()
    logins = set(agents) | {e.agent for e in entries}
    ids = dict(Agent.objects.filter(login_id__in=logins).values_list("login_id", "pk"))
    unknown = sorted(logins - set(ids))
    if unknown:
        raise FieldError("agent", f"unknown agent(s) {', '.join(unknown[:5])}")
    rows = []
    for e in entries:
        if e.activity not in activities:
            raise FieldError("activity", f"unknown activity {e.activity!r}")
        rows.append((ids[e.agent], e.start, e.end, activities[e.activity]))
    with transaction.atomic():
        _replace(agent_ids=[ids[a] for a in agents if a in ids], start=start, end=end, rows=rows)
    return len(rows)


__all__ = [
    "DEFAULT_ACTIVITIES",
    "IMPORT_COLUMNS",
    "PlannedEntry",
    "ScheduleImportResult",
    "default_activities_ensure",
    "schedule_import",
    "schedule_replace",
]
