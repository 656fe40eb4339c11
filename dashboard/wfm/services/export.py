"""The interval export's file formats, and the background export the WFM page starts for large ranges.

CSV (UTF-8, a header row, comma-separated, ``.`` as decimal point, empty for "no value"), CSV for Dutch Excel
(``csv-nl``: a byte-order mark, ``;``-separated, decimal comma) and JSON (an array of objects) are produced as a stream of chunks, one local day at a time, so memory stays flat however long
the range. XLSX is written with openpyxl's write-only workbook (rows go to disk as they come) with typed
cells: whole numbers as numbers, figures as numbers, interval starts as date-times.
"""

from __future__ import annotations

import csv
import io
import logging
import operator
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dashboard.core.audit import audit_record
from dashboard.core.errors import FieldError
from dashboard.core.replica import iter_on_replica
from dashboard.core.spreadsheet import csv_cells, xlsx_text
from dashboard.wfm.models import ForecastInterval, IntervalExport
from dashboard.wfm.selectors import (
    EXPORT_COLUMNS,
    FLOAT_COLUMNS,
    FORECAST_EXPORT_COLUMNS,
    FORECAST_FLOAT_COLUMNS,
    FORECAST_INTEGER_COLUMNS,
    INTEGER_COLUMNS,
    ExportQuery,
    interval_export_batches,
    interval_export_estimate,
)

log = logging.getLogger(__name__)

FORMATS = ("csv", "csv-nl", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "csv-nl": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
EXPORT_KEEP = timedelta(days=1)
EXPORT_TASK = "dashboard.tasks.wfm_interval_export"
EXTENSIONS = {"csv-nl": "nl.csv"}  # the file's name ends in what a spreadsheet recognises
FLOAT_DIGITS = 4


def export_dir() -> Path:
    """Where export files are written: ``settings.WFM_EXPORT_DIR`` if set, else var/exports."""
    path = Path(getattr(settings, "WFM_EXPORT_DIR", None) or Path(settings.VAR_DIR) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _decimal_comma(value: float) -> str:
    """A figure as Dutch spreadsheets write it: ``FLOAT_DIGITS`` decimals at most, a comma for the point,
    never an exponent (``12,5``; ``100``; ``0,0001``)."""
    text = f"{value:.{FLOAT_DIGITS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text.replace(".", ",")


def csv_chunks(columns: tuple[str, ...], batches: Iterable[list[dict]], *, dutch: bool = False) -> Iterator[bytes]:
    """CSV in UTF-8 with a header row: one chunk for the header, then one per batch. No value is an
    empty cell; figures are rounded to ``FLOAT_DIGITS`` decimals; text that a spreadsheet would run as a
    formula is quoted (``core.spreadsheet.csv_cell``).

    ``dutch``: the CSV Excel opens as columns in a Dutch locale — a byte-order mark (else Excel reads
    UTF-8 as Windows-1252), ``;`` between cells and a decimal comma in figures (``csv-nl``). The formula
    escaping applies the same way: it looks at text only, before figures are written with a comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if dutch else ",", lineterminator="\r\n")
    writer.writerow(columns)
    yield (("\ufeff" if dutch else "") + buffer.getvalue()).encode()
    floats = [i for i, c in enumerate(columns) if c in FLOAT_COLUMNS or c in FORECAST_FLOAT_COLUMNS]
    cells = operator.itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        for row in batch:
            values = csv_cells(cells(row))
            for i in floats:
                if values[i] is not None:
                    values[i] = _decimal_comma(values[i]) if dutch else round(values[i], FLOAT_DIGITS)
            writer.writerow(values)
        yield buffer.getvalue().encode()


def json_chunks(columns: tuple[str, ...], batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """A JSON array of objects with the columns as keys, streamed batch by batch."""
    yield b"["
    first = True
    for batch in batches:
        if not batch:
            continue
        body = b",".join(orjson.dumps({c: row[c] for c in columns}) for row in batch)
        yield body if first else b"," + body
        first = False
    yield b"]"


def xlsx_write(
    path: Path,
    columns: tuple[str, ...],
    batches: Iterable[list[dict]],
    *,
    integers: frozenset[str],
    floats: frozenset[str],
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Write an XLSX file with typed cells (write-only workbook: flat memory): text is always a text
    cell, never a formula. Returns rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("intervals")
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    written = 0
    for batch in batches:
        for row in batch:
            values = []
            for name in columns:
                value = row[name]
                if name in ("interval_start", "interval_start_utc") and value:
                    cell = WriteOnlyCell(ws, value=_excel_datetime(value))
                    cell.number_format = "yyyy-mm-dd hh:mm"
                    values.append(cell)
                elif value is None:
                    values.append(None)
                elif name in integers:
                    values.append(int(value))
                elif name in floats:
                    values.append(float(value))
                elif isinstance(value, str):
                    values.append(_text_cell(ws, value))
                else:
                    values.append(value)
            ws.append(values)
        written += len(batch)
        if on_batch:
            on_batch(written)
    wb.save(path)
    return written


def _text_cell(ws, value: str):
    """A cell that holds ``value`` as text: openpyxl would store text beginning with ``=`` as a formula,
    and refuses control characters (IllegalCharacterError)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=xlsx_text(value))
    cell.data_type = "s"
    return cell


def _excel_datetime(text: str) -> datetime:
    """Excel has no time zones: the wall-clock time of the ISO string (local or UTC as the column says)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def export_stream(kind: str, fmt: str, batches: Iterable[list[dict]]) -> Iterator[bytes]:
    """The chunks of an export of ``kind`` ('intervals' or 'forecast') in ``fmt`` (csv or json)."""
    columns = EXPORT_COLUMNS if kind == "intervals" else FORECAST_EXPORT_COLUMNS
    if fmt in ("csv", "csv-nl"):
        return csv_chunks(columns, batches, dutch=fmt == "csv-nl")
    if fmt == "json":
        return json_chunks(columns, batches)
    raise FieldError("format", f"{fmt!r} cannot be streamed; one of csv, csv-nl, json")


def export_xlsx_file(kind: str, batches: Iterable[list[dict]], *, on_batch=None) -> Path:
    """Write an XLSX export to a temporary file under var/exports and return its path (the caller
    removes it once sent)."""
    if kind == "intervals":
        columns, integers, floats = EXPORT_COLUMNS, INTEGER_COLUMNS, FLOAT_COLUMNS
    else:
        columns, integers, floats = FORECAST_EXPORT_COLUMNS, FORECAST_INTEGER_COLUMNS, FORECAST_FLOAT_COLUMNS
    fd, name = tempfile.mkstemp(prefix=f"{kind}-", suffix=".xlsx", dir=export_dir())
    os.close(fd)
    path = Path(name)
    xlsx_write(path, columns, batches, integers=integers, floats=floats, on_batch=on_batch)
    return path


def export_file_name(kind: str, query: ExportQuery, fmt: str) -> str:
    return f"{kind}_{query.first_day.isoformat()}_{query.last_day.isoformat()}_{query.length}min.{EXTENSIONS.get(fmt, fmt)}"


def export_audit(*, kind: str, query: ExportQuery, fmt: str, user=None, **details) -> None:
    """Record in the audit log who exported what (``kind``: intervals or forecast)."""
    audit_record(
        operation="export",
        model=IntervalExport if kind == "intervals" else ForecastInterval,
        what=export_file_name(kind, query, fmt),
        details={"kind": kind, **query.as_params(), "format": fmt, **details},
        actor=user,
    )


# --- the background export ---------------------------------------------------------------------------------


def interval_export_create(*, user, query: ExportQuery, fmt: str) -> IntervalExport:
    """Record a background export and queue its task once the record is committed."""
    if fmt not in FORMATS:
        raise FieldError("format", f"must be one of {', '.join(FORMATS)}")
    export = IntervalExport.objects.create(
        user=user, params={**query.as_params(), "format": fmt}, rows_total=interval_export_estimate(query)
    )
    export_audit(kind="intervals", query=query, fmt=fmt, user=user, background=str(export.id))
    # By the task's name, not its module: the task calls this module, and imports run one way.
    task = current_app.signature(EXPORT_TASK, args=(str(export.id),))
    transaction.on_commit(task.delay)
    return export


def _query_of(params: dict) -> ExportQuery:
    return ExportQuery(
        first_day=date.fromisoformat(params["start"]),
        last_day=date.fromisoformat(params["end"]),
        length=int(params.get("length", 15)),
        queue=params.get("queue"),
        team=params.get("team"),
        channel=params.get("channel"),
    )


EXPORT_STALL = timedelta(minutes=2)  # a running export without a heartbeat this long lost its worker
EXPORT_ATTEMPTS = 3  # runs an export gets before it is given up as failed


class _SupersededError(Exception):
    """Another run took the export over (this one's heartbeat stopped long enough to look dead)."""


def _claim(export_id, now: datetime) -> int | None:
    """Take the export for this run: queued, or running without a heartbeat for EXPORT_STALL (its worker
    died). Returns the run's attempt number, or None when the export is done, failed, or running
    elsewhere: a message delivered twice runs once."""
    claimable = Q(status=IntervalExport.Status.QUEUED) | Q(
        status=IntervalExport.Status.RUNNING, heartbeat_at__lt=now - EXPORT_STALL
    )
    with transaction.atomic():
        taken = IntervalExport.objects.filter(claimable, pk=export_id).update(
            status=IntervalExport.Status.RUNNING, rows_done=0, heartbeat_at=now, attempts=F("attempts") + 1
        )
        return IntervalExport.objects.values_list("attempts", flat=True).get(pk=export_id) if taken else None


def interval_export_run(*, export_id: str) -> IntervalExport:
    """Write the export's file, updating its progress and heartbeat after every day; idempotent (a run of
    an export that is finished, failed or running elsewhere does nothing; one whose worker died is taken
    again and starts over). Each run writes a file of its own and finishes only while the export is still
    its own, so a run that was only slow and wakes after another took over stops without a trace. Also
    removes export files and records older than a day."""
    interval_exports_cleanup()
    export = IntervalExport.objects.get(pk=export_id)
    attempt = _claim(export.pk, timezone.now())
    if attempt is None:
        return export
    mine = IntervalExport.objects.filter(pk=export.pk, attempts=attempt, status=IntervalExport.Status.RUNNING)
    params = export.params
    fmt = params["format"]
    name = f"{export.id}.{fmt}"
    target = export_dir() / name
    partial = target.with_suffix(f".{fmt}.{attempt}.part")
    try:
        query = _query_of(params)

        def progress(done: int) -> None:
            if not mine.update(rows_done=done, heartbeat_at=timezone.now()):
                raise _SupersededError

        batches = _counting(iter_on_replica(interval_export_batches(query)), progress)  # history: the replica
        if fmt == "xlsx":
            xlsx_write(partial, EXPORT_COLUMNS, batches, integers=INTEGER_COLUMNS, floats=FLOAT_COLUMNS)
        else:
            with partial.open("wb") as fh:
                for chunk in export_stream("intervals", fmt, batches):
                    fh.write(chunk)
        with transaction.atomic():
            if not mine.select_for_update().exists():
                raise _SupersededError
            partial.replace(target)
            mine.update(status=IntervalExport.Status.DONE, file_name=name, finished_at=timezone.now())
        for stale in export_dir().glob(f"{export.id}.{fmt}.*.part"):  # of runs whose worker died
            stale.unlink(missing_ok=True)
    except _SupersededError:
        log.warning("interval export %s: another run took it over; this one (attempt %d) stops", export.pk, attempt)
        partial.unlink(missing_ok=True)
    except Exception as exc:
        log.exception("interval export %s failed", export.pk)
        partial.unlink(missing_ok=True)
        mine.update(status=IntervalExport.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
    export.refresh_from_db()
    return export


def interval_exports_resume_stalled(*, now: datetime | None = None) -> list[str]:
    """Queue again every running export whose worker died (no heartbeat for EXPORT_STALL: killed, machine
    lost), so that another worker finishes it; one that lost its worker EXPORT_ATTEMPTS times is failed
    with the reason. Returns the ids queued again. Run every minute by beat."""
    now = now or timezone.now()
    stalled = IntervalExport.objects.filter(status=IntervalExport.Status.RUNNING, heartbeat_at__lt=now - EXPORT_STALL)
    given_up = stalled.filter(attempts__gte=EXPORT_ATTEMPTS).update(
        status=IntervalExport.Status.FAILED,
        error=f"the worker running it stopped {EXPORT_ATTEMPTS} times",
        finished_at=now,
    )
    if given_up:
        log.warning("%d interval export(s) given up after %d lost workers", given_up, EXPORT_ATTEMPTS)
    resumed = []
    for export_id in stalled.filter(attempts__lt=EXPORT_ATTEMPTS).values_list("pk", flat=True):
        # The run claims it (queued, or still stalled): a worker that was only slow and wakes keeps it.
        task = current_app.signature(EXPORT_TASK, args=(str(export_id),))
        transaction.on_commit(task.delay)
        resumed.append(str(export_id))
    if resumed:
        log.warning("interval export(s) %s lost their worker; queued again", ", ".join(resumed))
    return resumed


def _counting(batches: Iterable[list[dict]], progress: Callable[[int], None]) -> Iterator[list[dict]]:
    done = 0
    for batch in batches:
        yield batch
        done += len(batch)
        progress(done)


def interval_export_file_name(export: IntervalExport) -> str:
    """The name a download of a finished export gets."""
    return export_file_name("intervals", _query_of(export.params), export.params["format"])


def interval_exports_cleanup(*, now: datetime | None = None) -> int:
    """Remove background exports (records and files) older than a day; returns how many."""
    now = now or timezone.now()
    old = list(IntervalExport.objects.filter(created_at__lt=now - EXPORT_KEEP))
    for export in old:
        if export.file_name:
            (export_dir() / export.file_name).unlink(missing_ok=True)
        for partial in export_dir().glob(f"{export.pk}.*.part"):  # a run whose worker died
            partial.unlink(missing_ok=True)
    IntervalExport.objects.filter(pk__in=[e.pk for e in old]).delete()
    return len(old)
