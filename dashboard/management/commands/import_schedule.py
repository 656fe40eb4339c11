"""``manage.py import_schedule FILE.csv``: import the agents' schedules (``agent,start,end,activity``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.wfm.services.schedule import IMPORT_COLUMNS, schedule_import


class Command(BaseCommand):
    help = (
        "Import agents' schedules from a CSV file with the columns "
        + ", ".join(IMPORT_COLUMNS)
        + " (agent: login id; start, end: ISO 8601 with offset, or local time in the centre's time zone; "
        "activity: shift, break, lunch, meeting, training, off or one added in the admin). Re-importing "
        "replaces the entries of the agents in the file that start within the file's period; bad lines are "
        "reported with their line number and field, good lines are kept. See docs/wfm.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8; comma or semicolon separated; header row optional)")

    @audited_command
    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"file: {file} does not exist")
        data = path.read_bytes()
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path.name}: not UTF-8 (byte {exc.start}); save the CSV as UTF-8") from None
        result = schedule_import(data=data)
        for e in result.errors:
            self.stderr.write(f"{path.name}: line {e['line']}: {e['error']}")
        if result.error_count > len(result.errors):
            self.stderr.write(f"… and {result.error_count - len(result.errors)} more errors")
        period = result.as_dict()["period"]
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.lines} lines, {result.imported} entries imported for {len(result.agents)} "
                f"agent(s), {result.replaced} earlier entries replaced, {result.error_count} rejected"
                + (f"; period {period['start']} – {period['end']}" if period else "")
            )
        )
        if not result.imported:
            raise CommandError("no line could be imported" if result.lines else "no lines in the file")
