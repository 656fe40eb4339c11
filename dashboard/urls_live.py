"""Live pages: wallboard and supervisor view (issue: live wallboards)."""

urlpatterns: list = []
