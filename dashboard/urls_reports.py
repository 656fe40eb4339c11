"""Report pages for managers (issue: intervals and reports)."""

from django.urls import path

from dashboard import views_reports as views

urlpatterns = [
    path("", views.reports_index, name="reports-index"),
    path("daily/", views.report_daily, name="reports-daily"),
    path("daily/pdf/", views.report_daily_pdf, name="reports-daily-pdf"),
    path("weekly/", views.report_weekly, name="reports-weekly"),
    path("weekly/pdf/", views.report_weekly_pdf, name="reports-weekly-pdf"),
    path("import/", views.reports_import, name="reports-import"),
]
