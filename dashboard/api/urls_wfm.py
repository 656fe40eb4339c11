"""WFM API routes (included under /api/v1/)."""

from django.urls import path

from dashboard.api import views_wfm as v

urlpatterns = [
    path("intervals/", v.IntervalExportView.as_view(), name="api-intervals"),
    path("intervals/exports/", v.BackgroundExportCreateView.as_view(), name="api-intervals-exports"),
    path("intervals/exports/<uuid:export_id>/", v.BackgroundExportView.as_view(), name="api-intervals-export"),
    path(
        "intervals/exports/<uuid:export_id>/file/",
        v.BackgroundExportFileView.as_view(),
        name="api-intervals-export-file",
    ),
    path("wfm/erlang/", v.ErlangView.as_view(), name="api-wfm-erlang"),
    path("wfm/staffing/", v.StaffingView.as_view(), name="api-wfm-staffing"),
    path("wfm/forecast/", v.ForecastDayView.as_view(), name="api-wfm-forecast"),
    path("wfm/forecast/accuracy/", v.ForecastAccuracyView.as_view(), name="api-wfm-forecast-accuracy"),
    path("wfm/forecast/import/", v.ForecastImportView.as_view(), name="api-wfm-forecast-import"),
    path("wfm/forecast/build/", v.ForecastBuildView.as_view(), name="api-wfm-forecast-build"),
    path("wfm/forecast/export/", v.ForecastExportView.as_view(), name="api-wfm-forecast-export"),
]
