"""The README's description of the demo stays true (issue 9, point 7: it said supervisor1 sees the
1st-line team only, while the demo gave it Webcare & Chat too): the counts of teams, queues and agents,
and for each demo user its role and, for a supervisor, exactly the teams it supervises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from dashboard.core.models import Team
from dashboard.core.services import DEMO_USERS, demo_users_ensure
from dashboard.simulator.demo import demo_config_load

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_users() -> dict[str, tuple[str, str]]:
    """user -> (role, sees) from the README's table of demo users."""
    rows = {}
    for line in README.read_text().splitlines():
        match = re.fullmatch(r"\| `([a-z0-9]+)` \| ([a-z]+) \| (.+) \|", line.strip())
        if match:
            rows[match[1]] = (match[2], match[3])
    return rows


@pytest.mark.django_db
def test_readme_table_of_demo_users_and_teams_matches_the_demo(tmp_path):
    summary = demo_config_load()
    demo_users_ensure(tmp_path / "users.json")
    text = README.read_text()
    counts = re.search(r"loads the demo centre \((\d+) teams, (\d+) queues .*?, (\d+) agents,", text, re.S)
    assert counts, "the README no longer says what the demo centre holds"
    assert tuple(map(int, counts.groups())) == (summary["teams"], summary["queues"], summary["agents"])

    rows = readme_users()
    assert set(rows) == {username for username, *_ in DEMO_USERS}
    team_names = set(Team.objects.values_list("name", flat=True))
    for username, role, *_ in DEMO_USERS:
        shown_role, sees = rows[username]
        assert shown_role == role, username
        user = get_user_model().objects.get(username=username)
        supervised = set(user.supervised_teams.values_list("name", flat=True))
        named = {name for name in team_names if name in sees}
        if role == "supervisor":
            assert named == supervised, (username, sees, supervised)
        else:
            assert supervised == set() and named == set(), username
