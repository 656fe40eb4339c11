"""Live pages (home, wallboard, supervisor view) and the live API (included under /api/v1/)."""

from django.urls import path

from dashboard.live import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("wallboard/", views.wallboard, name="wallboard"),
    path("supervisor/", views.supervisor, name="supervisor"),
]

api_urlpatterns = [
    path("live/", api.LiveView.as_view(), name="api-live"),
    path("alerts/<int:pk>/ack/", api.AlertAckView.as_view(), name="api-alert-ack"),
]
