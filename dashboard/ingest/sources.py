"""Event sources and their tokens."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dashboard.core.errors import FieldError
from dashboard.core.models import NewNames, Source

SOURCE_SETTINGS = (
    "new_queues",
    "max_new_queues",
    "new_agents",
    "max_new_agents",
    "contact_namespace",
    "kind",
    "auth_token",
    "state_names",
)


@transaction.atomic
def source_token_create(*, name: str, **settings) -> tuple[Source, str, bool]:
    """Create the source ``name`` (or replace its token). Returns the source, the token (shown only
    now: only its hash is stored) and whether the source is new. ``settings`` (``new_queues``,
    ``max_new_queues``, ``new_agents``, ``max_new_agents``, ``contact_namespace``, ``kind``, ``auth_token``,
    ``state_names``) are set when given."""
    name = name.strip()
    if not name:
        raise FieldError("name", "a source needs a name")
    source = Source.objects.select_for_update().filter(name=name).first()
    created = source is None
    if created:
        source = Source(name=name)
    for key, value in settings.items():
        if key not in SOURCE_SETTINGS:
            raise FieldError(key, f"not a source setting; one of {', '.join(SOURCE_SETTINGS)}")
        if value is not None:
            setattr(source, key, value)
    token = source.issue_token()
    source.full_clean(exclude=["token_hash"])
    source.save()
    return source, token, created


def source_for_internal_use(*, name: str) -> Source:
    """The source of an in-process feeder (simulator, importer), created without a usable token; it
    creates the queues and agents it names."""
    source = Source.objects.filter(name=name).first()
    if source is None:
        source, _token, _created = source_token_create(
            name=name, new_queues=NewNames.CREATE, new_agents=NewNames.CREATE
        )
    return source


def source_delivery_record(
    source_id: int, *, delivered: int = 0, rejected: int = 0, skipped: int = 0, at: datetime | None = None
) -> None:
    """Count what a source delivered (events accepted), had rejected and had skipped (lines or records an
    adapter did not map), and when it last delivered. One UPDATE with database-side sums, outside the
    caller's transaction, so concurrent batches of one source neither lose counts nor wait on each other
    for long. Duplicates are not counted: they deliver nothing new."""
    if not (delivered or rejected or skipped):
        return
    changes = {
        "delivered_count": F("delivered_count") + delivered,
        "rejected_count": F("rejected_count") + rejected,
        "skipped_count": F("skipped_count") + skipped,
    }
    if delivered:
        changes["last_delivered_at"] = at or timezone.now()
    Source.objects.filter(pk=source_id).update(**changes)
