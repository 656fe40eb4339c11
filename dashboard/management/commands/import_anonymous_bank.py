"""``manage.py import_anonymous_bank PATH``: convert the Anonymous Bank call records (Technion SEE
Center; see dashboard/importers/anonymous_bank.py for the source and the mapping) into contact records
and import them, or write the converted import CSV."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.core.models import Queue, Team
from dashboard.ingest.importers.anonymous_bank import SERVICES, TEAM, Conversion, bank_rows, queue_name
from dashboard.ingest.imports import IMPORT_COLUMNS, contacts_import


class Command(BaseCommand):
    help = (
        "Import the 'Anonymous Bank' call records (Israel, February 1999; Ilan Guedj and Avi Mandelbaum, "
        "Technion SEE Center) as contact records: one per call that reached a queue, queues per service type."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="data_anonymous_bank_february.txt (tab-separated, as published)")
        parser.add_argument("--day", action="append", default=[], metavar="YYYY-MM-DD",
                            help="Only this day (repeatable); default: the whole file.")  # fmt: skip
        parser.add_argument("--csv-out", metavar="FILE", help="Write the converted import CSV instead of importing.")

    @audited_command
    def handle(self, *args, path, day, csv_out, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"path: {path} does not exist")
        try:
            days = {date.fromisoformat(d) for d in day} or None
        except ValueError as error:
            raise CommandError(f"--day: {error}") from None
        conversion = Conversion()
        rows = bank_rows(source, days=days, conversion=conversion)
        if csv_out:
            with open(csv_out, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=IMPORT_COLUMNS)
                writer.writeheader()
                for _line, row in rows:
                    writer.writerow(row)
            self.stdout.write(self.style.SUCCESS(f"wrote {conversion.converted} contact records to {csv_out} "
                                                 f"(skipped: {conversion.skipped})"))  # fmt: skip
            return
        team, _ = Team.objects.get_or_create(name=TEAM)
        for service in SERVICES:
            Queue.objects.get_or_create(name=queue_name(service), defaults={"channel": "voice", "team": team})
        result = contacts_import(rows=rows)
        for e in result.errors[:50]:
            self.stderr.write(f"{source.name}: {e['error']}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{source.name}: {conversion.read} calls read, {conversion.converted} offered to a queue "
                f"(skipped: {conversion.skipped}); {result.imported} imported, {result.duplicates} imported "
                f"before, {result.error_count} rejected; intervals aggregated: {result.reaggregated}. "
                "Data: Technion SEE Center (Mandelbaum, Guedj)."
            )
        )
