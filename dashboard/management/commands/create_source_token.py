from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.core.errors import FieldError
from dashboard.core.models import NewNames
from dashboard.ingest.sources import source_token_create


class Command(BaseCommand):
    help = "Create an event source (or give an existing one a new token) and print its token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The source's name, e.g. 'acd' or 'cti-link'.")
        choices = list(NewNames.values)
        parser.add_argument("--new-queues", choices=choices, help="An unknown queue name: create, quarantine, reject.")
        parser.add_argument("--max-new-queues", type=int, help="At most this many queues created by this source.")
        parser.add_argument("--new-agents", choices=choices, help="An unknown agent: create, quarantine, reject.")
        parser.add_argument("--max-new-agents", type=int, help="At most this many agents created by this source.")
        parser.add_argument(
            "--contact-namespace", help="Share contact ids with the sources of this namespace (default: own name)."
        )

    @audited_command
    def handle(self, *args, name, **options):
        settings = {
            key: options.get(key)
            for key in ("new_queues", "max_new_queues", "new_agents", "max_new_agents", "contact_namespace")
        }
        try:
            source, token, created = source_token_create(name=name, **settings)
        except (FieldError, ValidationError) as error:
            raise CommandError(str(error)) from None
        verb = "Created source" if created else "New token for existing source (the old token no longer works):"
        self.stdout.write(f"{verb} {source.name!r}. Post events with 'Authorization: Bearer <token>'. Token:")
        self.stdout.write(token)
