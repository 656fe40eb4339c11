"""Scopes of the live screens: ``all``, ``team:<id>``, ``queue:<id>``, ``channel:<name>``, and who may
see which."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.core.models import Channel, Queue

# A team or queue id in a scope: a bigint holds 18 digits safely; a longer one names no row.
MAX_ID_DIGITS = 18


class ScopeError(ValueError):
    pass


@dataclass(frozen=True)
class LiveScope:
    kind: str  # all | team | queue | channel
    key: str = ""

    @property
    def name(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{self.key}"

    @property
    def group(self) -> str:
        """The Channels group of the scope's updates (ASCII letters, digits, '.', '-', '_')."""
        return f"live.{self.kind}.{self.key}" if self.key else f"live.{self.kind}"


def parse_scope(text: str) -> LiveScope:
    """``all``, ``team:3``, ``queue:12`` or ``channel:voice``; raises ScopeError saying what is wrong."""
    text = (text or "").strip()
    if text == "all":
        return LiveScope("all")
    kind, sep, key = text.partition(":")
    if not sep or kind not in ("team", "queue", "channel") or not key:
        raise ScopeError(f"scope {text[:40]!r}: write all, team:<id>, queue:<id> or channel:<name>")
    # isdigit() alone lets '²' through, which int() and a Channels group name both refuse; and an id
    # longer than a bigint's 18 safe digits fits no row (int() refuses 4,300 digits, the database 20).
    if kind in ("team", "queue") and not (key.isascii() and key.isdigit()):
        raise ScopeError(f"scope {text[:40]!r}: {kind} id must be a number")
    if kind in ("team", "queue") and len(key) > MAX_ID_DIGITS:
        raise ScopeError(f"scope {text[:40]!r}: {kind} id has more than {MAX_ID_DIGITS} digits")
    if kind == "channel" and key not in Channel.values:
        raise ScopeError(f"scope {text[:40]!r}: unknown channel; one of {', '.join(Channel.values)}")
    return LiveScope(kind, key)


def scope_allowed(scope: LiveScope, team_ids: set[int] | None) -> bool:
    """May someone who sees ``team_ids`` (None: every team) watch ``scope``? Supervisors see their teams
    and their teams' queues; the channel and centre totals span every team, so only those who see all."""
    if team_ids is None:
        return True
    if scope.kind == "team":
        return int(scope.key) in team_ids
    if scope.kind == "queue":
        return Queue.objects.filter(pk=int(scope.key), team_id__in=team_ids).exists()
    return False


def display_allows(display_scopes: list[str], scope: LiveScope) -> bool:
    """A wall screen's token opens the scopes it lists; one that lists ``all`` opens every scope."""
    return "all" in display_scopes or scope.name in display_scopes
