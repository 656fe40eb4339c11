from django.core.management.base import BaseCommand

from dashboard.ingest.sources import source_token_create


class Command(BaseCommand):
    help = "Create an event source (or give an existing one a new token) and print its token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The source's name, e.g. 'acd' or 'cti-link'.")

    def handle(self, *args, name, **options):
        source, token, created = source_token_create(name=name)
        verb = "Created source" if created else "New token for existing source (the old token no longer works):"
        self.stdout.write(f"{verb} {source.name!r}. Post events with 'Authorization: Bearer <token>'. Token:")
        self.stdout.write(token)
