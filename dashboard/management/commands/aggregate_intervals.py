"""``manage.py aggregate_intervals``: aggregate (again) the intervals of a stretch of days and, with
``--reports``, build their daily and weekly reports (after a bulk load, or to repair history)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboard.core.periods import day_bounds, floor_interval, local_date
from dashboard.intervals.services import intervals_aggregate
from dashboard.reports.services import reports_build_range


class Command(BaseCommand):
    help = "Aggregate the queue and team intervals of local days FROM to TO (default: the last 7 days)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="Last day, included (default: yesterday).")
        parser.add_argument("--reports", action="store_true", help="Also build the daily and weekly reports.")

    def handle(self, *args, first, last, reports, **options):
        now = timezone.now()
        try:
            last_day = date.fromisoformat(last) if last else local_date(now) - timedelta(days=1)
            first_day = date.fromisoformat(first) if first else last_day - timedelta(days=6)
        except ValueError as error:
            raise CommandError(f"--from/--to: {error}") from None
        if first_day > last_day:
            raise CommandError(f"--from {first_day} is after --to {last_day}")
        end = min(day_bounds(last_day)[1], floor_interval(now))  # closed intervals only
        done = intervals_aggregate(start=day_bounds(first_day)[0], end=end, now=now)
        self.stdout.write(
            f"{first_day} to {last_day}: {done['queue_intervals']} queue and {done['team_intervals']} team intervals"
        )
        if reports:
            built = reports_build_range(first_day=first_day, last_day=last_day, now=now)
            self.stdout.write(f"built {built['daily']} daily and {built['weekly']} weekly reports")
