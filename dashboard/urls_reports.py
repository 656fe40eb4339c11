"""Report pages for managers (issue: intervals and reports)."""

urlpatterns: list = []
