from django.core.management.base import BaseCommand, CommandError

from dashboard.core.audit import audited_command
from dashboard.live.models import Display, public_base_url
from dashboard.live.scopes import ScopeError, parse_scope


class Command(BaseCommand):
    help = (
        "Create a wall screen (or give an existing one a new token) for fixed scopes; prints the wallboard "
        "address with its token on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--scope", action="append", default=[], help="all, team:<id>, queue:<id>, channel:<name>")
        parser.add_argument(
            "--base-url",
            default=None,
            help="The address the screen opens KCC Live at (default: the KCC_PUBLIC_URL setting, else "
            "http://127.0.0.1:$PORT).",
        )

    @audited_command
    def handle(self, *args, name, scope, base_url, **options):
        scopes = scope or ["all"]
        for text in scopes:
            try:
                parse_scope(text)
            except ScopeError as error:
                raise CommandError(str(error)) from None
        display = Display.objects.filter(name=name).first() or Display(name=name)
        display.scopes = ",".join(scopes)
        token = display.issue_token()
        display.active = True
        display.save()
        self.stdout.write(f"Wall screen {name!r} for {display.scopes}. Open this address on the screen (kiosk mode):")
        self.stdout.write(display.wallboard_url(token, base_url or public_base_url()))
