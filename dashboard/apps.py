from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("KCC Live")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Signal receivers and Celery tasks register themselves on import: every process (web, worker, beat,
        # commands) imports them here, once the models are loaded.
        from dashboard.core.audit import audit_register
        from dashboard.intervals import tasks as intervals_tasks  # noqa: F401
        from dashboard.live import signals, tasks  # noqa: F401
        from dashboard.reports import tasks as reports_tasks  # noqa: F401
        from dashboard.wfm import tasks as wfm_tasks  # noqa: F401

        audit_register()
