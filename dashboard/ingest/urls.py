"""Ingest API routes (included under /api/v1/)."""

from django.urls import path

from dashboard.ingest import api

api_urlpatterns = [
    path("events/", api.EventsView.as_view(), name="api-events"),
    path("adapters/twilio/<str:source>/", api.TwilioCallbackView.as_view(), name="api-adapter-twilio"),
    path("adapters/firehose/", api.FirehoseView.as_view(), name="api-adapter-firehose"),
]
