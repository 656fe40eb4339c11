from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("KCC Live")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from dashboard import signals  # noqa: F401
