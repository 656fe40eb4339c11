"""Settings for tests that run Celery beat as real processes: the product's, with a schedule of seconds
sent to a queue of the test's own (``KCC_TEST_BEAT_QUEUE``). tests/ops/test_beat_copies.py lets no worker
read it, and counts what beat sent; tests/e2e/test_production_shape.py runs workers on it."""

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

# Whatever these processes send besides the schedule (an export a user asks for, an export queued again)
# goes to the test's queue too, where the test's own workers read.
CELERY_TASK_DEFAULT_QUEUE = _QUEUE
if os.environ.get("KCC_TEST_BEAT_EXPORTS"):
    # With workers on the queue: the every-second task, and stalled exports queued again every second
    # (the interval aggregation stays out, as the test holds the interval table locked for a while).
    CELERY_BEAT_SCHEDULE = {
        "every-second": CELERY_BEAT_SCHEDULE["every-second"],
        "resume-stalled-exports": {
            "task": "dashboard.tasks.wfm_interval_exports_resume",
            "schedule": 1.0,
            "options": {"queue": _QUEUE, "expire_seconds": 60},
        },
    }
