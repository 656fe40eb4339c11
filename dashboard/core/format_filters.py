"""Template filters for the server's pages, over the one formatting home (``dashboard.core.formats``):
``{% load kcc_formats %}`` (registered in ``TEMPLATES`` in ``kcc/settings.py``), then
``{{ seconds|duration }}``, ``{{ value|with_unit:unit }}``, ``{{ delta|change:unit }}`` and
``{{ moment|local_moment }}`` (``|local_moment:"seconds"``)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.formats import localize

from dashboard.core import formats
from dashboard.core.periods import centre_tz

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as ``formats.duration``: ``0:42``, ``15 h 25 m``, ``2 d 03 h``; "—" for none."""
    if seconds in (None, ""):
        return formats.EMPTY
    return formats.duration(float(seconds))


@register.filter
def local_moment(at, precision: str = "") -> str:
    """An aware datetime or ISO-8601 text in the centre's time zone, with the zone's name
    (``formats.moment``); ``"seconds"`` adds the seconds."""
    if at in (None, ""):
        return formats.EMPTY
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return formats.moment(at, centre_tz(), seconds=precision == "seconds")


@register.filter
def with_unit(value, unit: str) -> str:
    """A figure and its unit: seconds as a ``duration`` (``0:20``, ``12 h 21 m``), anything else as the
    localised number and its unit (``82,5 %``); "—" for none."""
    if value in (None, ""):
        return formats.EMPTY
    if unit == "s":
        return formats.duration(float(value))
    return f"{localize(value)} {unit}".strip()


@register.filter
def change(delta, unit: str) -> str:
    """A KPI's difference with the previous period: seconds as a signed duration (``+15 h 37 m``,
    ``-0:12``), anything else as the localised number with its sign (``+2.1``); "—" for none."""
    if delta in (None, ""):
        return formats.EMPTY
    if unit == "s":
        return formats.signed_duration(float(delta))
    return ("+" if delta > 0 else "") + localize(delta)
