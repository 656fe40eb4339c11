from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("KCC Live")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Signal receivers register themselves on import, once the models are loaded; the audit log
        # registers the models it follows. Celery tasks are not imported here: the worker finds them
        # (kcc/celery.py), and the web processes queue them by name, without loading what only the worker
        # needs (the PDF library alone is ~40 MB a process).
        from dashboard.core.audit import audit_register
        from dashboard.live import signals  # noqa: F401

        audit_register()
