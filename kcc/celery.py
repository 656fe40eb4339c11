import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcc.settings")

app = Celery("kcc")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each capability keeps its tasks in its own package (dashboard/<capability>/tasks.py).
app.autodiscover_tasks(["dashboard.live", "dashboard.intervals", "dashboard.reports", "dashboard.wfm"])
