"""Event sources and their tokens."""

from django.db import transaction

from dashboard.core.errors import FieldError
from dashboard.core.models import Source


@transaction.atomic
def source_token_create(*, name: str) -> tuple[Source, str, bool]:
    """Create the source ``name`` (or replace its token). Returns the source, the token (shown only
    now: only its hash is stored) and whether the source is new."""
    name = name.strip()
    if not name:
        raise FieldError("name", "a source needs a name")
    source = Source.objects.select_for_update().filter(name=name).first()
    created = source is None
    if created:
        source = Source(name=name)
    token = source.issue_token()
    source.save()
    return source, token, created


def source_for_internal_use(*, name: str) -> Source:
    """The source of an in-process feeder (simulator, importer), created without a usable token."""
    source = Source.objects.filter(name=name).first()
    if source is None:
        source, _token, _created = source_token_create(name=name)
    return source
