"""Workforce-management pages (under /wfm/) and the WFM API (under /api/v1/). The interval and forecast
exports read the database's replica when one is configured (``reads_replica``)."""

from django.urls import path

from dashboard.core.replica import reads_replica
from dashboard.wfm import api, views

urlpatterns = [
    path("", views.index, name="wfm-index"),
    path("intervals/", views.intervals, name="wfm-intervals"),
    path("intervals/exports/<uuid:export_id>/", views.export_progress, name="wfm-export"),
    path("erlang/", views.erlang_calculator, name="wfm-erlang"),
    path("staffing/", views.staffing, name="wfm-staffing"),
    path("forecast/", views.forecast, name="wfm-forecast"),
    path("intraday/", views.intraday, name="wfm-intraday"),
]

api_urlpatterns = [
    path("intervals/", reads_replica(api.IntervalExportView.as_view()), name="api-intervals"),
    path("intervals/exports/", api.BackgroundExportCreateView.as_view(), name="api-intervals-exports"),
    path("intervals/exports/<uuid:export_id>/", api.BackgroundExportView.as_view(), name="api-intervals-export"),
    path(
        "intervals/exports/<uuid:export_id>/file/",
        api.BackgroundExportFileView.as_view(),
        name="api-intervals-export-file",
    ),
    path("wfm/erlang/", api.ErlangView.as_view(), name="api-wfm-erlang"),
    path("wfm/staffing/", api.StaffingView.as_view(), name="api-wfm-staffing"),
    path("wfm/forecast/", api.ForecastDayView.as_view(), name="api-wfm-forecast"),
    path("wfm/forecast/accuracy/", api.ForecastAccuracyView.as_view(), name="api-wfm-forecast-accuracy"),
    path("wfm/forecast/import/", api.ForecastImportView.as_view(), name="api-wfm-forecast-import"),
    path("wfm/forecast/build/", api.ForecastBuildView.as_view(), name="api-wfm-forecast-build"),
    path("wfm/forecast/export/", reads_replica(api.ForecastExportView.as_view()), name="api-wfm-forecast-export"),
    path("wfm/intraday/", api.IntradayView.as_view(), name="api-wfm-intraday"),
    path("wfm/schedule/import/", api.ScheduleImportView.as_view(), name="api-wfm-schedule-import"),
    path("wfm/adherence/", api.AdherenceView.as_view(), name="api-wfm-adherence"),
]
