"""Websocket authentication of wall screens: ``?display=<token>`` puts the Display in the scope."""

from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.utils import timezone

from dashboard.live.models import Display


def display_for_token(token: str | None) -> Display | None:
    """The active wall screen with this token (its last-seen time updated), or None."""
    if not token:
        return None
    display = Display.objects.filter(token_hash=Display.hash_token(token), active=True).first()
    if display is not None:
        Display.objects.filter(pk=display.pk).update(last_seen_at=timezone.now())
    return display


class DisplayTokenMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        token = parse_qs(scope.get("query_string", b"").decode()).get("display", [None])[0]
        scope = dict(scope, display=await sync_to_async(display_for_token)(token))
        return await self.app(scope, receive, send)
