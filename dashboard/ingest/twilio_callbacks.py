"""Twilio TaskRouter event callbacks (``POST /api/v1/adapters/twilio/<source>/``): the signature check and
the ingest of what one callback maps to (see ``dashboard.ingest.importers.twilio`` for the format and the
mapping).

A callback is taken only when ``X-Twilio-Signature`` is the signature Twilio's own ``RequestValidator``
computes over the URL Twilio called and the form parameters, with the source's auth token; the source
must exist, be active and be of kind twilio. Every refusal is the same to the caller (it learns nothing
about which sources exist) and stores nothing. A signed callback of an event type that is not mapped is a
counted skip; one that lacks what its event type needs is counted as rejected.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.encoding import escape_uri_path
from twilio.request_validator import RequestValidator, get_signature_algorithm

from dashboard.core.models import Source, SourceKind
from dashboard.ingest.customer import customer_ref
from dashboard.ingest.importers.twilio import CallbackError, Mapped, callback_events
from dashboard.ingest.services import IngestResult, events_ingest
from dashboard.ingest.sources import source_delivery_record

log = logging.getLogger(__name__)

# A TaskRouter callback is a few kilobytes (task and worker attributes are capped in size by Twilio); a
# body beyond this is not one, and is refused before it is read.
MAX_BODY_BYTES = 1024 * 1024
REFUSED = (
    "X-Twilio-Signature does not match: the callback must be signed by Twilio with the auth token set on an "
    "active Twilio source of this name, for exactly this URL"
)


class CallbackRefusedError(Exception):
    """A callback that is not signed by Twilio for an active Twilio source: nothing of it is stored."""


@dataclass
class CallbackResult:
    mapped: Mapped
    ingest: IngestResult | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"event_type": self.mapped.event_type}
        if self.ingest is None:
            body.update(accepted=0, duplicates=0, rejected=0, skipped=1, reason=self.mapped.skipped)
            return body
        body.update(
            accepted=self.ingest.accepted,
            duplicates=self.ingest.duplicates,
            rejected=self.ingest.rejected,
            skipped=0,
            results=self.ingest.results,
        )
        return body


def callback_url(request) -> str:
    """The URL Twilio called, which it signed: behind a proxy the address the proxy was called at
    (``KCC_PUBLIC_URL``, path prefix included) and the path and query Django received."""
    if settings.KCC_PUBLIC_URL:
        query = request.META.get("QUERY_STRING", "")
        path = escape_uri_path(request.path_info)
        return settings.KCC_PUBLIC_URL.rstrip("/") + path + (f"?{query}" if query else "")
    return request.build_absolute_uri()


def callback_source_verify(
    *, name: str, url: str, params: Mapping[str, Any], signature: str | None, signature_settings: str | None = None
) -> Source:
    """The Twilio source ``name`` when ``signature`` is Twilio's signature of ``url`` and ``params`` with
    its auth token (the algorithm named in ``X-Twilio-Webhooks-Signature-Settings``, HMAC-SHA1 without it);
    else ``CallbackRefusedError``, the same whatever was wrong."""
    source = Source.objects.filter(name=name).first()
    if not signature:
        raise CallbackRefusedError("X-Twilio-Signature header is missing: only callbacks signed by Twilio are taken")
    usable = source is not None and source.active and source.kind == SourceKind.TWILIO and source.auth_token
    token = source.auth_token if usable else "no source: compare against a token nobody has"
    valid = RequestValidator(token).validate(url, params, signature, get_signature_algorithm(signature_settings))
    if not (usable and valid):
        why = (
            "no such source" if source is None
            else "inactive" if not source.active
            else f"kind {source.kind}" if source.kind != SourceKind.TWILIO
            else "no auth token" if not source.auth_token
            else "signature mismatch"
        )  # fmt: skip
        log.warning("Twilio callback for source %r refused (%s), url %s", name, why, url)
        raise CallbackRefusedError(REFUSED)
    return source


def callback_ingest(*, source: Source, params: Mapping[str, Any], now: datetime | None = None) -> CallbackResult:
    """Map one signed callback and ingest its events through the one ingest service. A callback whose
    event type is not mapped is a counted skip; a ``CallbackError`` (a parameter missing or wrong) is
    counted as rejected and raised for the caller to answer 400."""
    values = {key: params.get(key) for key in params}
    try:
        names = source.state_names if isinstance(source.state_names, dict) else {}
        mapped = callback_events(values, state_names=names, hash_customer=customer_ref)
    except CallbackError:
        source_delivery_record(source.pk, rejected=1)
        raise
    if not mapped.events:
        source_delivery_record(source.pk, skipped=1)
        return CallbackResult(mapped)
    return CallbackResult(mapped, events_ingest(source=source, events=mapped.events, now=now))
