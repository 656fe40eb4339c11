"""``manage.py import_connect_ctr FILE_OR_DIR [--source NAME]``: import Amazon Connect's contact records (and
agent events) as Kinesis Data Firehose writes them to S3 (see dashboard/ingest/importers/connect.py for the
formats and the mapping) through the ingest service."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.ingest.connect_records import SOURCE_NAME, connect_import


class Command(BaseCommand):
    help = (
        "Import Amazon Connect contact records (CTRs) and agent events from files as Kinesis Data Firehose "
        "writes them to S3: one JSON object per line, a JSON array, or objects back to back; plain or gzip; a "
        "directory is read recursively in sorted order. Idempotent: records imported again change nothing, and "
        "an updated contact record replaces the earlier one. Malformed records are reported by file and number; "
        "records not mapped are skipped and counted. See docs/adapters.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a file, or a directory (e.g. a copy of the Firehose S3 prefix)")
        parser.add_argument("--source", default=SOURCE_NAME,
                            help=f"the event source the records come from (default {SOURCE_NAME}; created when "
                                 "missing, of kind connect)")  # fmt: skip

    @audited_command
    def handle(self, *args, path, source, **options):
        where = Path(path)
        if not where.exists():
            raise CommandError(f"path: {path} does not exist")
        if not source.strip():
            raise CommandError("--source: give a source name")
        result = connect_import(path=where, source_name=source.strip())
        reading = result.reading
        for place, reason in reading.malformed:
            self.stderr.write(f"{place}: {reason}")
        if reading.malformed_count > len(reading.malformed):
            self.stderr.write(f"… and {reading.malformed_count - len(reading.malformed)} more malformed records")
        for r in result.rejections:
            self.stderr.write(f"{r['record']}, {r['field']}: {r['reason']}")
        if result.rejected > len(result.rejections):
            self.stderr.write(f"… and {result.rejected - len(result.rejections)} more rejected events")
        skipped = ", ".join(f"{why} {n}" for why, n in sorted(result.skipped.items())) or "none"
        unknown = ", ".join(f"{why} {n}" for why, n in sorted(result.unknown.items())) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"{path} into source {source.strip()}: {result.files} files, {reading.records} records read, "
                f"{result.mapped} mapped; events: {result.accepted} accepted, {result.duplicates} duplicate, "
                f"{result.rejected} rejected; skipped: {skipped}; unknown: {unknown}; "
                f"malformed records: {reading.malformed_count}; intervals aggregated again: {result.reaggregated}"
            )
        )
