from django.urls import path

from dashboard.api import views

urlpatterns = [
    path("events/", views.EventsView.as_view(), name="api-events"),
    path("live/", views.LiveView.as_view(), name="api-live"),
]
