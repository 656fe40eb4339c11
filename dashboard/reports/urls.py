"""Report pages for managers (under /reports/) and the report API (under /api/v1/)."""

from django.urls import path

from dashboard.reports import api, views

urlpatterns = [
    path("", views.reports_index, name="reports-index"),
    path("daily/", views.report_daily, name="reports-daily"),
    path("daily/pdf/", views.report_daily_pdf, name="reports-daily-pdf"),
    path("weekly/", views.report_weekly, name="reports-weekly"),
    path("weekly/pdf/", views.report_weekly_pdf, name="reports-weekly-pdf"),
    path("import/", views.reports_import, name="reports-import"),
]

api_urlpatterns = [
    path("reports/daily/", api.DailyReportView.as_view(), name="api-reports-daily"),
    path("reports/weekly/", api.WeeklyReportView.as_view(), name="api-reports-weekly"),
    path("reports/imports/contacts/", api.ContactImportView.as_view(), name="api-contacts-import"),
]
