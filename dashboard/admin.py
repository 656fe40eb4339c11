"""The app's admin registry: Django's autodiscovery imports ``<app>/admin.py``; each capability registers
its own models in its package's ``admin.py``, gathered here."""

from dashboard.core import admin as core_admin  # noqa: F401
from dashboard.intervals import admin as intervals_admin  # noqa: F401
from dashboard.live import admin as live_admin  # noqa: F401
from dashboard.reports import admin as reports_admin  # noqa: F401
from dashboard.wfm import admin as wfm_admin  # noqa: F401
