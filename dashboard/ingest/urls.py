"""Ingest API routes (included under /api/v1/)."""

from django.urls import path

from dashboard.ingest import api

api_urlpatterns = [
    path("events/", api.EventsView.as_view(), name="api-events"),
]
