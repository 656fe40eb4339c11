"""``manage.py import_contacts FILE.csv``: import contact records (history) through the ingest service."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.ingest.imports import IMPORT_COLUMNS, ImportFileError, contacts_import_csv


class Command(BaseCommand):
    help = (
        "Import contact records from a CSV file with a header row and the columns "
        + ", ".join(IMPORT_COLUMNS)
        + " (times ISO-8601 with offset; empty when it did not happen). Idempotent on contact_id; bad rows "
        "are reported with their line number and field, good rows are kept. See docs/reports.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8; comma or semicolon separated)")

    @audited_command
    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"file: {file} does not exist")
        with path.open(newline="", encoding="utf-8-sig") as stream:
            try:
                result = contacts_import_csv(stream=stream)
            except ImportFileError as error:
                raise CommandError(f"{path.name}: {error}") from None
        for e in result.errors:
            self.stderr.write(f"{path.name}: {e['error']}")
        if result.error_count > len(result.errors):
            self.stderr.write(f"… and {result.error_count - len(result.errors)} more errors")
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.rows} rows, {result.imported} contacts imported, {result.duplicates} "
                f"imported before, {result.error_count} rejected; intervals aggregated again: {result.reaggregated}"
            )
        )
        if result.error_count and not (result.imported or result.duplicates):
            raise CommandError("no row could be imported")
