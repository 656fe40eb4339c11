"""Report pages for managers (under /reports/) and the report API (under /api/v1/). The reports read the
database's replica when one is configured (``reads_replica``); the import writes, on the primary."""

from django.urls import path

from dashboard.core.replica import reads_replica
from dashboard.reports import api, views

urlpatterns = [
    path("", views.reports_index, name="reports-index"),
    path("daily/", reads_replica(views.report_daily), name="reports-daily"),
    path("daily/pdf/", reads_replica(views.report_daily_pdf), name="reports-daily-pdf"),
    path("weekly/", reads_replica(views.report_weekly), name="reports-weekly"),
    path("weekly/pdf/", reads_replica(views.report_weekly_pdf), name="reports-weekly-pdf"),
    path("import/", views.reports_import, name="reports-import"),
]

api_urlpatterns = [
    path("reports/daily/", reads_replica(api.DailyReportView.as_view()), name="api-reports-daily"),
    path("reports/weekly/", reads_replica(api.WeeklyReportView.as_view()), name="api-reports-weekly"),
    path("reports/imports/contacts/", api.ContactImportView.as_view(), name="api-contacts-import"),
]
