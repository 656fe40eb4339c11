from django.core.management.base import BaseCommand

from dashboard.core.audit import audited_command
from dashboard.ingest.rebuild import state_rebuild
from dashboard.live.services import live_rebuild


class Command(BaseCommand):
    help = "Rebuild contacts, agent state spans and the live state in Redis from the event log."

    def add_arguments(self, parser):
        parser.add_argument("--live-only", action="store_true", help="Only rebuild the live state in Redis.")

    @audited_command
    def handle(self, *args, live_only=False, **options):
        if live_only:
            result = live_rebuild()
        else:
            result = state_rebuild(progress=lambda msg: self.stdout.write(msg))
        self.stdout.write(self.style.SUCCESS("Rebuilt: " + ", ".join(f"{k} {v}" for k, v in result.items())))
