"""Workforce-management pages (issue: WFM)."""

urlpatterns: list = []
