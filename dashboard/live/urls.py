"""Live pages (home, wallboard, supervisor view) and the live API (included under /api/v1/)."""

from django.urls import path

from dashboard.live import api, api_drilldown, views

urlpatterns = [
    path("", views.home, name="home"),
    path("wallboard/", views.wallboard, name="wallboard"),
    path("supervisor/", views.supervisor, name="supervisor"),
]

api_urlpatterns = [
    path("live/", api.LiveView.as_view(), name="api-live"),
    path("live/ewt/", api.EwtView.as_view(), name="api-live-ewt"),
    path("live/waiting/", api_drilldown.WaitingView.as_view(), name="api-live-waiting"),
    path("live/abandoned/", api_drilldown.AbandonedView.as_view(), name="api-live-abandoned"),
    path("live/callbacks/", api_drilldown.CallbacksView.as_view(), name="api-live-callbacks"),
    path("drilldown/interval/", api_drilldown.IntervalContactsView.as_view(), name="api-drilldown-interval"),
    path("alerts/<int:pk>/ack/", api.AlertAckView.as_view(), name="api-alert-ack"),
]
