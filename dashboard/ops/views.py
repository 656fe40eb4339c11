"""The operator's endpoints: ``/healthz`` (the process is up), ``/readyz`` (every component, as JSON) and
``/metrics`` (Prometheus). No login: a load balancer and Prometheus call them. ``/metrics`` answers on
loopback only, or to ``Authorization: Bearer $KCC_METRICS_TOKEN`` when that is set."""

from __future__ import annotations

import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dashboard.ops.exposition import CONTENT_TYPE, exposition
from dashboard.ops.health import readiness

log = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    ready, checks = readiness()
    body = {
        "ready": ready,
        "not_ready": [name for name, check in checks.items() if not check.ok],
        "components": {name: check.as_dict() for name, check in checks.items()},
    }
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        # An answer, not a server error: one warning naming the parts, not Django's error for each 5xx.
        log.warning("not ready: %s", ", ".join(f"{n} ({checks[n].detail})" for n in body["not_ready"]))
        response._has_been_logged = True
    return response


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@never_cache
@require_GET
def metrics(request):
    token = settings.KCC_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JsonResponse(
                {"error": "/metrics wants the header Authorization: Bearer <KCC_METRICS_TOKEN>"}, status=401
            )
    elif not _loopback(request.META.get("REMOTE_ADDR", "")):
        return JsonResponse(
            {"error": "/metrics answers on loopback only; set KCC_METRICS_TOKEN to scrape it from elsewhere"},
            status=403,
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
