"""``manage.py import_queue_log FILE [--source NAME] [--follow]``: import an Asterisk queue_log (see
dashboard/ingest/importers/queue_log.py for the format and the mapping) through the ingest service; with
``--follow``, keep reading it as Asterisk writes it (dashboard/ingest/queue_log_follow.py)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.ingest.queue_log_follow import queue_log_follow
from dashboard.ingest.queue_log_imports import SOURCE_NAME, queue_log_import


class Command(BaseCommand):
    help = (
        "Import an Asterisk queue_log file (FreePBX, Issabel, VitalPBX, plain Asterisk; usually "
        "/var/log/asterisk/queue_log) as contact and agent-state events. Idempotent: a file imported again "
        "changes nothing. Malformed lines are reported by number; unknown events are skipped and counted; a "
        "last line without its newline is left for the next run. With --follow it keeps reading the file as "
        "it grows and is rotated (as tail -F does), resuming after a restart where it stopped; SIGTERM or "
        "Ctrl-C stops it. See docs/adapters.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the queue_log file")
        parser.add_argument("--source", default=SOURCE_NAME,
                            help=f"the event source the lines come from (default {SOURCE_NAME}; created when missing)")  # fmt: skip
        parser.add_argument("--follow", action="store_true",
                            help="keep reading the file as it grows and is rotated, until SIGTERM or Ctrl-C; "
                                 "resumes where it stopped (the position is kept per source)")  # fmt: skip

    @audited_command
    def handle(self, *args, file, source, follow=False, **options):
        path = Path(file)
        if not source.strip():
            raise CommandError("--source: give a source name")
        if follow:
            return self._follow(path, source.strip())
        if not path.is_file():
            raise CommandError(f"file: {file} does not exist")
        with path.open(encoding="utf-8", errors="replace") as stream:
            result = queue_log_import(stream=stream, source_name=source.strip())
        reading = result.reading
        for line, reason in reading.malformed:
            self.stderr.write(f"{path.name}: line {line}: {reason}")
        if reading.malformed_count > len(reading.malformed):
            self.stderr.write(f"… and {reading.malformed_count - len(reading.malformed)} more malformed lines")
        for r in result.rejections:
            self.stderr.write(f"{path.name}: line {r['line']}, {r['field']}: {r['reason']}")
        if result.rejected > len(result.rejections):
            self.stderr.write(f"… and {result.rejected - len(result.rejections)} more rejected events")
        skipped = ", ".join(f"{n} {c}" for n, c in sorted(reading.skipped.items())) or "none"
        unknown = ", ".join(f"{n} {c}" for n, c in sorted(reading.unknown.items())) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name} into source {source.strip()}: {reading.lines} lines read, {reading.mapped} mapped; "
                f"events: {result.accepted} accepted, {result.duplicates} duplicate, {result.rejected} rejected; "
                f"skipped by event name: {skipped}; unknown events: {unknown}; "
                f"malformed lines: {reading.malformed_count}"
                + (f" ({', '.join(str(n) for n, _ in reading.malformed[:20])})" if reading.malformed else "")
                + ("; the last line has no newline yet: left for the next run" if reading.pending else "")
                + f"; intervals aggregated again: {result.reaggregated}"
            )
        )

    def _follow(self, path: Path, source: str) -> None:
        if path.is_dir():
            raise CommandError(f"file: {path} is a directory")
        if not path.parent.is_dir():
            raise CommandError(f"file: the directory {path.parent} does not exist")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"Following {path} into source {source}; SIGTERM or Ctrl-C stops.")
        self.stdout.flush()
        totals = queue_log_follow(path=path, source_name=source, stop=stop, say=self.stderr.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Stopped following {path.name} into source {source}: {totals.lines} lines read, {totals.mapped} "
                f"mapped; events: {totals.accepted} accepted, {totals.duplicates} duplicate, {totals.rejected} "
                f"rejected; malformed lines: {totals.malformed}; rotations followed: {totals.rotations}"
            )
        )
