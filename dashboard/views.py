"""Pages. Thin: each gathers what a selector returns and renders it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dashboard.permissions import user_roles, visible_team_ids
from dashboard.selectors.live import live_snapshot


@login_required
def home(request):
    roles = user_roles(request.user)
    snapshot = live_snapshot(team_ids=visible_team_ids(request.user)) if roles else None
    return render(request, "dashboard/home.html", {"roles": sorted(roles), "snapshot": snapshot})
