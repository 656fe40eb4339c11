"""``manage.py import_queue_log FILE [--source NAME]``: import an Asterisk queue_log (see
dashboard/ingest/importers/queue_log.py for the format and the mapping) through the ingest service."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.ingest.queue_log_imports import SOURCE_NAME, queue_log_import


class Command(BaseCommand):
    help = (
        "Import an Asterisk queue_log file (FreePBX, Issabel, VitalPBX, plain Asterisk; usually "
        "/var/log/asterisk/queue_log) as contact and agent-state events. Idempotent: a file imported again "
        "changes nothing. Malformed lines are reported by number; unknown events are skipped and counted; a "
        "last line without its newline is left for the next run. See docs/adapters.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the queue_log file")
        parser.add_argument("--source", default=SOURCE_NAME,
                            help=f"the event source the lines come from (default {SOURCE_NAME}; created when missing)")  # fmt: skip

    @audited_command
    def handle(self, *args, file, source, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"file: {file} does not exist")
        if not source.strip():
            raise CommandError("--source: give a source name")
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
