from django.urls import path

from dashboard.api import views_reports

urlpatterns = [
    path("reports/daily/", views_reports.DailyReportView.as_view(), name="api-reports-daily"),
    path("reports/weekly/", views_reports.WeeklyReportView.as_view(), name="api-reports-weekly"),
    path("reports/imports/contacts/", views_reports.ContactImportView.as_view(), name="api-contacts-import"),
]
