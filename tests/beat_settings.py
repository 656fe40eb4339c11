"""Settings for tests that run Celery beat as real processes: the product's, with a schedule of seconds
sent to a queue of the test's own (``KCC_TEST_BEAT_QUEUE``), which no worker reads, so the test counts
what beat sent."""

import os

from kcc.settings import *  # noqa: F403

_QUEUE = os.environ["KCC_TEST_BEAT_QUEUE"]
CELERY_BEAT_SCHEDULE = {
    "every-second": {
        "task": "dashboard.tasks.live_state_ensure",
        "schedule": 1.0,
        "options": {"queue": _QUEUE, "expire_seconds": 60},
    },
    "every-five-seconds": {
        "task": "dashboard.tasks.intervals_aggregate",
        "schedule": 5.0,
        "options": {"queue": _QUEUE, "expire_seconds": 60},
    },
}
