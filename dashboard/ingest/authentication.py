"""Authentication of event sources: ``Authorization: Bearer <token>`` from create_source_token."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from dashboard.core.models import Source, SourceKind


class SourceUser(AnonymousUser):
    """The request's user when an event source is authenticated: a machine, not a person."""

    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    @property
    def is_authenticated(self):
        return True

    def __str__(self):
        return f"source:{self.source.name}"


class SourceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: write 'Bearer <token>', one token, no spaces.")
        token = header[1].decode(errors="replace")
        source = Source.objects.filter(token_hash=Source.hash_token(token)).first()
        if source is None:
            raise exceptions.AuthenticationFailed("Authorization header: unknown source token.")
        if not source.active:
            raise exceptions.AuthenticationFailed(f"Source {source.name!r} is deactivated.")
        return SourceUser(source), source

    def authenticate_header(self, request):
        return self.keyword


class IsSource:
    """Only an authenticated event source (not a person) may post events."""

    message = "Posting events needs a source token: Authorization: Bearer <token> (manage.py create_source_token NAME)."

    def has_permission(self, request, view):
        return isinstance(request.auth, Source)

    def has_object_permission(self, request, view, obj):
        return True


class SourceTokenScheme(OpenApiAuthenticationExtension):
    target_class = SourceTokenAuthentication
    name = "sourceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A source token printed by `python manage.py create_source_token NAME`.",
        }


FIREHOSE_KEY_HEADER = "X-Amz-Firehose-Access-Key"


class FirehoseAccessKeyAuthentication(authentication.BaseAuthentication):
    """Kinesis Data Firehose's HTTP endpoint delivery: the access key configured on the Firehose stream
    arrives in ``X-Amz-Firehose-Access-Key``; it is a source token, checked as the events API checks one."""

    def authenticate(self, request):
        token = request.headers.get(FIREHOSE_KEY_HEADER)
        if token is None:
            raise exceptions.AuthenticationFailed(
                f"{FIREHOSE_KEY_HEADER} header is missing: set a source token (kind connect) as the Firehose "
                "stream's access key."
            )
        source = Source.objects.filter(token_hash=Source.hash_token(token.strip())).first()
        if source is None:
            raise exceptions.AuthenticationFailed(f"{FIREHOSE_KEY_HEADER}: unknown source token.")
        if not source.active:
            raise exceptions.AuthenticationFailed(f"Source {source.name!r} is deactivated.")
        return SourceUser(source), source

    def authenticate_header(self, request):
        return FIREHOSE_KEY_HEADER


class IsConnectSource:
    """Only an active source of kind connect may deliver Amazon Connect's records."""

    message = (
        f"Delivering Amazon Connect records needs the token of a source of kind connect in {FIREHOSE_KEY_HEADER} "
        "(manage.py create_source_token NAME --kind connect; the Firehose stream's access key)."
    )

    def has_permission(self, request, view):
        return isinstance(request.auth, Source) and request.auth.kind == SourceKind.CONNECT

    def has_object_permission(self, request, view, obj):
        return True


class FirehoseAccessKeyScheme(OpenApiAuthenticationExtension):
    target_class = FirehoseAccessKeyAuthentication
    name = "firehoseAccessKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": FIREHOSE_KEY_HEADER,
            "description": "A source token of a source of kind connect, set as the Firehose stream's access key.",
        }
