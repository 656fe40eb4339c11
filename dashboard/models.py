"""The app's model registry. Django loads an app's models from ``<app>/models.py``; each capability keeps
its own models in its package, and this module only gathers them so that Django registers them all under
the one app label ``dashboard`` (one migration history, table names unchanged). Code imports models from
their capability (``dashboard.core.models``, ``dashboard.live.models``, ...), never from here.
"""

from dashboard.core.models import *  # noqa: F401,F403
from dashboard.intervals.models import *  # noqa: F401,F403
from dashboard.live.models import *  # noqa: F401,F403
from dashboard.reports.models import *  # noqa: F401,F403
from dashboard.wfm.models import *  # noqa: F401,F403
