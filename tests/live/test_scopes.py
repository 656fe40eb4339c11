"""Scopes of the live screens: what parse_scope accepts and every error it gives, which scopes a
supervisor, a manager and a user without a role may watch, and what a wall screen's token opens."""

from __future__ import annotations

import pytest

from dashboard.core.models import Channel
from dashboard.core.permissions import visible_team_ids
from dashboard.live.scopes import LiveScope, ScopeError, display_allows, parse_scope, scope_allowed
from tests.factories import QueueFactory, TeamFactory, UserFactory

CHANNELS = ", ".join(Channel.values)
SHAPE = "write all, team:<id>, queue:<id> or channel:<name>"


@pytest.mark.parametrize(
    ("text", "kind", "key", "name", "group"),
    [
        ("all", "all", "", "all", "live.all"),
        ("  all\n", "all", "", "all", "live.all"),
        ("team:3", "team", "3", "team:3", "live.team.3"),
        ("queue:12", "queue", "12", "queue:12", "live.queue.12"),
        (" queue:7 ", "queue", "7", "queue:7", "live.queue.7"),
        ("channel:voice", "channel", "voice", "channel:voice", "live.channel.voice"),
        ("channel:whatsapp", "channel", "whatsapp", "channel:whatsapp", "live.channel.whatsapp"),
        ("team:" + "9" * 18, "team", "9" * 18, "team:" + "9" * 18, "live.team." + "9" * 18),
    ],
)
def test_parse_scope(text, kind, key, name, group):
    scope = parse_scope(text)
    assert scope == LiveScope(kind, key)
    assert (scope.name, scope.group) == (name, group)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", f"scope '': {SHAPE}"),
        (None, f"scope '': {SHAPE}"),
        ("   ", f"scope '': {SHAPE}"),
        ("ALL", f"scope 'ALL': {SHAPE}"),
        ("team", f"scope 'team': {SHAPE}"),
        ("team:", f"scope 'team:': {SHAPE}"),
        ("agent:3", f"scope 'agent:3': {SHAPE}"),
        (":3", f"scope ':3': {SHAPE}"),
        ("team:abc", "scope 'team:abc': team id must be a number"),
        ("team:-1", "scope 'team:-1': team id must be a number"),
        ("queue:1.5", "scope 'queue:1.5': queue id must be a number"),
        ("queue:²", "scope 'queue:²': queue id must be a number"),  # a digit to isdigit(), not to int()
        ("team:1:2", "scope 'team:1:2': team id must be a number"),
        # longer than a bigint's safe 18 digits: no row has such an id (int() refuses 4,300 digits)
        ("team:" + "9" * 19, f"scope {('team:' + '9' * 19)!r}: team id has more than 18 digits"),
        ("queue:" + "1" * 5000, f"scope {('queue:' + '1' * 34)!r}: queue id has more than 18 digits"),
        ("channel:fax", f"scope 'channel:fax': unknown channel; one of {CHANNELS}"),
        ("channel:Voice", f"scope 'channel:Voice': unknown channel; one of {CHANNELS}"),
    ],
)
def test_parse_scope_errors(text, message):
    with pytest.raises(ScopeError) as caught:
        parse_scope(text)
    assert str(caught.value) == message


def test_the_channel_error_lists_the_channels():
    with pytest.raises(ScopeError, match="one of voice, .*chat"):
        parse_scope("channel:fax")


# --- who may watch what ------------------------------------------------------------------------------------


@pytest.fixture
def centre():
    """Two teams with a queue each; the supervisor supervises the first team only."""
    first, second = TeamFactory(name="1e lijn"), TeamFactory(name="Webcare")
    return {
        "first": first,
        "second": second,
        "first_queue": QueueFactory(name="Algemeen", team=first),
        "second_queue": QueueFactory(name="Chat", team=second, channel="chat"),
    }


def _scope(centre, text: str) -> LiveScope:
    """``team:first`` and ``queue:second_queue`` name the fixture's rows; ``queue:missing`` a queue that
    does not exist."""
    kind, _sep, key = text.partition(":")
    if kind in ("team", "queue"):
        key = "999999" if key == "missing" else str(centre[key].id)
    return parse_scope(f"{kind}:{key}" if key else kind)


def _user(role, centre):
    if role == "supervisor":
        return UserFactory(role="supervisor", teams=[centre["first"]])
    return UserFactory(role=role) if role else UserFactory()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "scope", "allowed"),
    [
        ("supervisor", "team:first", True),
        ("supervisor", "team:second", False),
        ("supervisor", "queue:first_queue", True),
        ("supervisor", "queue:second_queue", False),
        ("supervisor", "queue:missing", False),
        ("supervisor", "channel:voice", False),  # a channel spans every team
        ("supervisor", "all", False),
        ("manager", "team:first", True),
        ("manager", "team:second", True),
        ("manager", "queue:second_queue", True),
        ("manager", "queue:missing", True),  # sees everything; an unknown queue simply stays empty
        ("manager", "channel:chat", True),
        ("manager", "all", True),
        (None, "team:first", False),
        (None, "queue:first_queue", False),
        (None, "channel:voice", False),
        (None, "all", False),
    ],
)
def test_scope_allowed(centre, role, scope, allowed):
    team_ids = visible_team_ids(_user(role, centre))
    assert scope_allowed(_scope(centre, scope), team_ids) is allowed


@pytest.mark.parametrize(
    ("display_scopes", "scope", "allowed"),
    [
        (["all"], "all", True),
        (["all"], "team:3", True),
        (["all"], "channel:chat", True),
        (["team:3"], "team:3", True),
        (["team:3"], "team:4", False),
        (["team:3"], "queue:3", False),
        (["team:3"], "all", False),
        (["queue:1", "channel:voice"], "channel:voice", True),
        (["queue:1", "channel:voice"], "queue:1", True),
        (["queue:1", "channel:voice"], "channel:chat", False),
        ([], "all", False),
        ([], "team:3", False),
    ],
)
def test_display_allows(display_scopes, scope, allowed):
    assert display_allows(display_scopes, parse_scope(scope)) is allowed
