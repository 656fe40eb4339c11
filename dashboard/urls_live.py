"""Live pages: wallboard and supervisor view."""

from django.urls import path

from dashboard import views_live

urlpatterns = [
    path("wallboard/", views_live.wallboard, name="wallboard"),
    path("supervisor/", views_live.supervisor, name="supervisor"),
]
