from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.core.errors import FieldError
from dashboard.core.models import NewNames, SourceKind
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
        parser.add_argument(
            "--kind",
            choices=list(SourceKind.values),
            help="What delivers the events: generic (our events API), queue_log, connect or twilio.",
        )
        parser.add_argument("--auth-token", help="Twilio: the account's auth token that signs its callbacks.")

    @audited_command
    def handle(self, *args, name, **options):
        settings = {
            key: options.get(key)
            for key in (
                "new_queues",
                "max_new_queues",
                "new_agents",
                "max_new_agents",
                "contact_namespace",
                "kind",
                "auth_token",
            )
        }
        try:
            source, token, created = source_token_create(name=name, **settings)
        except (FieldError, ValidationError) as error:
            raise CommandError(str(error)) from None
        verb = "Created source" if created else "New token for existing source (the old token no longer works):"
        if source.kind == SourceKind.TWILIO:
            # TaskRouter signs its callbacks with the auth token; the bearer token below is not used by it.
            self.stdout.write(
                f"Twilio: set the Workspace's Event Callback URL to https://<host>/api/v1/adapters/twilio/{source.name}/"
                + ("" if source.auth_token else " and give the source the account's auth token (--auth-token)")
            )
        if source.kind == SourceKind.CONNECT:
            self.stdout.write(
                "Amazon Connect: give a Kinesis Data Firehose stream the HTTP endpoint destination "
                "https://<host>/api/v1/adapters/firehose/ with the token below as its access key (or import the "
                "files it writes to S3: manage.py import_connect_ctr DIR --source " + source.name + ")"
            )
        self.stdout.write(f"{verb} {source.name!r}. Post events with 'Authorization: Bearer <token>'. Token:")
        self.stdout.write(token)
