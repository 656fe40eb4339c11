"""Websocket middleware of the live screens: the origin check on the full origin, and the wall screens'
display token, read from the HttpOnly cookie the wallboard page set (never from the query string, so
it stays out of access logs, browser history and Referer headers)."""

from __future__ import annotations

from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

from dashboard.live.models import Display

# The wall screen's token, set by the wallboard page from an old ``?display=`` link and sent with every
# request and websocket handshake of that browser.
DISPLAY_COOKIE = "kcc_display"
# Browsers keep a cookie at most 400 days; a wall screen opened once keeps working that long.
DISPLAY_COOKIE_MAX_AGE = 400 * 24 * 3600


def display_for_token(token: str | None) -> Display | None:
    """The active wall screen with this token (its last-seen time updated), or None."""
    if not token:
        return None
    display = Display.objects.filter(token_hash=Display.hash_token(token), active=True).first()
    if display is not None:
        Display.objects.filter(pk=display.pk).update(last_seen_at=timezone.now())
    return display


def set_display_cookie(response, token: str) -> None:
    """Keep a wall screen's token in an HttpOnly cookie (Secure in production): no script reads it."""
    response.set_cookie(
        DISPLAY_COOKIE,
        token,
        max_age=DISPLAY_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class DisplayTokenMiddleware:
    """Puts the wall screen of the handshake's display cookie (or None) in the scope as ``display``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        cookies = parse_cookie(_header(scope, b"cookie") or "")
        display = await sync_to_async(display_for_token)(cookies.get(DISPLAY_COOKIE))
        return await self.app(dict(scope, display=display), receive, send)


def _origin_matches(origin: str, pattern: str) -> bool:
    """``origin`` (scheme://host[:port]) against one entry of CSRF_TRUSTED_ORIGINS, which may start its
    host with ``*.`` for any subdomain, as Django's CSRF check allows."""
    pattern = pattern.lower().rstrip("/")
    if "://*." not in pattern:
        return origin == pattern
    scheme, _, rest = pattern.partition("://*.")
    wanted = urlsplit(origin)
    return wanted.scheme == scheme and wanted.netloc.endswith("." + rest)


def origin_allowed(scope) -> bool:
    """Does the handshake's ``Origin`` (scheme, host and port) name this site itself, or an entry of
    CSRF_TRUSTED_ORIGINS? This site is the Host header, when ALLOWED_HOSTS allows it, with the scheme the
    browser used: wss (or a proxy's X-Forwarded-Proto https, where SECURE_PROXY_SSL_HEADER trusts it)
    means https. No Origin (not a browser) is refused, like a page without CSRF token."""
    origin = _header(scope, b"origin")
    if not origin or origin == "null":
        return False
    origin = origin.lower().rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        return False
    if any(_origin_matches(origin, trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS):
        return True
    host = (_header(scope, b"host") or "").lower()
    if not host or not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return False
    secure = scope.get("scheme") == "wss"
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if proxy and not secure:
        header = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        forwarded = _header(scope, header)
        secure = forwarded is not None and forwarded.split(",")[0].strip() == proxy[1]
    return origin == f"{'https' if secure else 'http'}://{host}"


class FullOriginValidator:
    """Refuses a websocket handshake whose Origin is not this site (scheme, host and port) nor a trusted
    origin: Channels' AllowedHostsOriginValidator compares the host only, so http://host:9999 or a
    plain-http page of an https site passed."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            # Closed before accept: the handshake is answered 403, as by Channels' own validator.
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
