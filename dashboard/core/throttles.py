"""Throttling of the API: people (session or personal token) per user, anonymous requests per address.
Event sources are left alone: their batches are the product's input, bounded by the events API itself.

The rates are read from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` on each request (DRF binds them at
import), so settings and tests can change them. The counts live in Django's cache: per process with the
default local-memory cache, shared when CACHES points at Redis."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonThrottle(AnonRateThrottle):
    """Requests without a user, per client address (a guessed token fails before throttling; these are
    the rest: the schema, a login-less call)."""

    scope = "anon"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class PersonThrottle(UserRateThrottle):
    """A person's API calls, per user, whether by session or by personal API token."""

    scope = "person"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if request.user.is_authenticated and request.user.pk is None:
            return None  # an event source (SourceUser, no user row): its throughput is not limited here
        return super().get_cache_key(request, view)
