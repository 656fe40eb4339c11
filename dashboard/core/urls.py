"""The core's API under /api/v1/: the audit log."""

from django.urls import path

from dashboard.core import api

api_urlpatterns = [
    path("audit/", api.AuditListView.as_view(), name="api-audit"),
]
