from django.urls import include, path

from dashboard.api import views

urlpatterns = [
    path("events/", views.EventsView.as_view(), name="api-events"),
    path("live/", views.LiveView.as_view(), name="api-live"),
    path("alerts/<int:pk>/ack/", views.AlertAckView.as_view(), name="api-alert-ack"),
    path("", include("dashboard.api.urls_reports")),
    path("", include("dashboard.api.urls_wfm")),
]
