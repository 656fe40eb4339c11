"""The live websocket: authenticate, check the scope, join its groups, send the latest snapshot, forward.

Protocol (JSON): the client connects to ``/ws/live/?scopes=team:3,queue:7`` (optionally ``&intervals=1``
for today's quarter-hours, ``&display=<token>`` for a wall screen), or sends
``{"type": "subscribe", "scope": "team:3", "intervals": true}`` later; ``{"type": "resync"}`` asks for
the latest envelope of every subscribed scope again (after a gap in ``seq`` or a reconnect). Every
envelope leaves stamped with the server's clock at that moment (``sent_at``, ``broadcast.stamp``), and so
does the ``pong`` to a ``ping``: the page's ticking clock follows it, not the envelope's ``ts``.
Close codes: 4401 not authenticated, 4403 a scope this user or screen may not see, 4400 a malformed scope.
No rules and no database access per message: permissions are settled on connect and subscribe, and
again only when a control message says they may have changed: each socket joins its user's, its login
session's or its wall screen's control group (``broadcast.user_group`` ...), where the signal handlers
send ``recheck`` (teams, roles or the screen's token changed: 4403 when a scope is no longer allowed,
4401 when the account or token is gone) and ``close`` (the session ended at logout: 4401).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from dashboard.core import observe
from dashboard.core.permissions import visible_team_ids
from dashboard.live import broadcast
from dashboard.live.models import Display
from dashboard.live.scopes import LiveScope, ScopeError, display_allows, parse_scope, scope_allowed

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.subscriptions: set[tuple[LiveScope, str]] = set()
        # The newest seq this socket got per "<kind>:<scope>": a snapshot stored just before the socket
        # joined its group reaches it both as the latest copy and from the group; it is sent once.
        self.sent_seq: dict[str, int] = {}
        self.control_groups: list[str] = []
        await self.accept()  # accept first, so that the close code reaches the browser
        observe.websocket_connections.inc()
        self.counted = True
        user, display = self.scope.get("user"), self.scope.get("display")
        if display is None and not (user and user.is_authenticated):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.display_scopes = display.scope_list() if display else None
        self.team_ids = None if display else await sync_to_async(visible_team_ids)(user)
        await self.join_control_groups(user, display)
        query = parse_qs(self.scope.get("query_string", b"").decode())
        intervals = query.get("intervals", ["0"])[0] in ("1", "true")
        for text in ",".join(query.get("scopes", [])).split(","):
            if text.strip() and not await self.subscribe(text, intervals=intervals):
                return

    async def subscribe(self, text: str, *, intervals: bool = False) -> bool:
        try:
            scope = parse_scope(text)
        except ScopeError:
            await self.close(code=CLOSE_BAD_REQUEST)
            return False
        if self.display_scopes is not None:
            allowed = display_allows(self.display_scopes, scope)
        else:
            allowed = await sync_to_async(scope_allowed)(scope, self.team_ids)
        if not allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        for kind in ("snapshot", "intervals") if intervals else ("snapshot",):
            await self.channel_layer.group_add(broadcast.group_name(scope, kind), self.channel_name)
            self.subscriptions.add((scope, kind))
            await self.send_latest(scope, kind)
        return True

    async def send_latest(self, scope: LiveScope, kind: str, *, again: bool = False) -> None:
        """The latest stored envelope of a scope: on subscribe, unless the group already brought it (or a
        newer one); ``again`` (a resync: the page asks for a fresh copy) always."""
        text = await sync_to_async(broadcast.latest)(scope, kind)
        if text is None:
            return
        seq, key = broadcast.envelope_seq(text), f"{kind}:{scope.name}"
        if seq is not None:
            if not again and seq <= self.sent_seq.get(key, 0):
                return
            self.sent_seq[key] = max(seq, self.sent_seq.get(key, 0))
        await self.send(text_data=broadcast.stamp(text))

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A binary frame, or text that is no JSON (or nests too deep to decode), is the client's mistake:
        # close 4400 rather than let the exception close the socket with 1011.
        if text_data is None:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "subscribe":
            await self.subscribe(str(content.get("scope", "")), intervals=bool(content.get("intervals")))
        elif kind == "resync":
            for scope, what in sorted(self.subscriptions, key=lambda s: (s[0].name, s[1])):
                await self.send_latest(scope, what, again=True)
        elif kind == "ping":
            await self.send_json({"type": "pong", "sent_at": round(time.time(), 3)})

    async def join_control_groups(self, user, display) -> None:
        if display is not None:
            self.display_id = display.pk
            self.control_groups = [broadcast.display_group(display.pk)]
        else:
            self.user_id = user.pk
            self.control_groups = [broadcast.user_group(user.pk)]
            session_key = getattr(self.scope.get("session"), "session_key", None)
            if session_key:
                self.control_groups.append(broadcast.session_group(session_key))
        for group in self.control_groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code):
        if getattr(self, "counted", False):
            observe.websocket_connections.dec()
            self.counted = False
        for scope, kind in getattr(self, "subscriptions", ()):
            await self.channel_layer.group_discard(broadcast.group_name(scope, kind), self.channel_name)
        for group in getattr(self, "control_groups", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def live_message(self, event):
        key = event.get("key")
        if key is not None:
            if event["seq"] <= self.sent_seq.get(key, 0):
                return  # this socket has it (or a newer one) already
            self.sent_seq[key] = event["seq"]
        await self.send(text_data=broadcast.stamp(event["text"]))

    async def live_recheck(self, event):
        """The user's teams or roles, or the screen's token, changed: check every subscribed scope again."""
        code = await sync_to_async(self.recheck)()
        if code is not None:
            await self.close(code=code)
        elif self.display_scopes is not None:
            # A wall screen's own layout may have changed with it: the page compares and reloads.
            await self.send_json({"type": "layout", "v": 1, "data": self.display_layout})

    async def live_close(self, event):
        await self.close(code=event["code"])

    def recheck(self) -> int | None:
        """The close code this socket now deserves, or None while it may keep every scope it has.
        (Sync, with the ORM: only on the rare control messages, never per update.)"""
        scopes = {scope for scope, _kind in self.subscriptions}
        if self.display_scopes is not None:
            display = Display.objects.filter(pk=self.display_id, active=True).first()
            if display is None:
                return CLOSE_FORBIDDEN
            self.display_scopes = display.scope_list()
            self.display_layout = display.layout()
            allowed = all(display_allows(self.display_scopes, scope) for scope in scopes)
        else:
            user = get_user_model().objects.filter(pk=self.user_id, is_active=True).first()
            if user is None:
                return CLOSE_UNAUTHENTICATED
            self.team_ids = visible_team_ids(user)
            allowed = all(scope_allowed(scope, self.team_ids) for scope in scopes)
        return None if allowed else CLOSE_FORBIDDEN
