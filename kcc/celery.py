import os

from celery import Celery
from celery.signals import worker_process_init
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcc.settings")

app = Celery("kcc")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each capability keeps its tasks in its own package (dashboard/<capability>/tasks.py).
app.autodiscover_tasks(["dashboard.live", "dashboard.intervals", "dashboard.reports", "dashboard.wfm"])


@worker_process_init.connect
def _close_inherited_database_pools(**_kwargs):
    """A prefork child must not use the connection pool it inherited from the worker's parent process
    (psycopg's pools cannot be shared across processes): close it, and the child opens its own."""
    for conn in connections.all(initialized_only=True):  # only those the parent used
        if hasattr(conn, "close_pool"):  # PostgreSQL's backend; a no-op without a pool
            conn.close_pool()
