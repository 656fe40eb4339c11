"""The page a locked-out login gets (django-axes calls ``locked_out``): why, and for how long, in the
user's language."""

from __future__ import annotations

from axes.helpers import get_cool_off, get_failure_limit
from django.shortcuts import render


def locked_out(request, response=None, credentials=None):
    """429 with the lockout page: the failure limit and the cool-off in whole minutes."""
    cool_off = get_cool_off(request)
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "lockout_minutes": int(cool_off.total_seconds() // 60) if cool_off else 0,
        },
        status=429,
    )
