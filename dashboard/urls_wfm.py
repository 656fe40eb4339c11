"""Workforce-management pages (issue: WFM), under /wfm/."""

from django.urls import path

from dashboard import views_wfm

urlpatterns = [
    path("", views_wfm.index, name="wfm-index"),
    path("intervals/", views_wfm.intervals, name="wfm-intervals"),
    path("intervals/exports/<uuid:export_id>/", views_wfm.export_progress, name="wfm-export"),
    path("erlang/", views_wfm.erlang_calculator, name="wfm-erlang"),
    path("staffing/", views_wfm.staffing, name="wfm-staffing"),
    path("forecast/", views_wfm.forecast, name="wfm-forecast"),
]
