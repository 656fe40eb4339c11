"""Rebuilding every derived table and the live state from the event log."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from dashboard.core.models import AgentStateSpan, Contact, Event
from dashboard.ingest.services import agents_rederive, contact_keys_logged, contacts_rederive
from dashboard.live.public import live_rebuild, log_lock

CONTACTS_PER_STEP = 2000


def state_rebuild(*, now: datetime | None = None, progress=None) -> dict[str, int]:
    """Drop contacts and agent spans, fold them again from the whole log, then rebuild the live state.

    The same fold as live ingest, over all events at once: the result equals live processing
    whatever order the events came in. Runs in one transaction, so readers never see a half state.
    """
    now = now or timezone.now()
    with transaction.atomic():
        log_lock()
        Contact.objects.all().delete()
        AgentStateSpan.objects.all().delete()
        contact_ids = contact_keys_logged()
        visits = 0
        for start in range(0, len(contact_ids), CONTACTS_PER_STEP):
            visits += contacts_rederive(contact_ids[start : start + CONTACTS_PER_STEP], changes=None, now=now)
            if progress:
                progress(f"contacts {min(start + CONTACTS_PER_STEP, len(contact_ids))}/{len(contact_ids)}")
        logins = list(Event.objects.filter(type="agent.state").values_list("agent", flat=True).distinct())
        epoch = datetime(1900, 1, 1, tzinfo=UTC)
        spans = agents_rederive(dict.fromkeys(logins, epoch), changes=None) if logins else 0
        live = live_rebuild(now=now)
    return {"events": Event.objects.count(), "contacts": len(contact_ids), "visits": visits, "spans": spans, **live}
