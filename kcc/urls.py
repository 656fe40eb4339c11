from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dashboard.core import urls as core_urls
from dashboard.ingest import urls as ingest_urls
from dashboard.live import urls as live_urls
from dashboard.ops import urls as ops_urls
from dashboard.reports import urls as reports_urls
from dashboard.wfm import urls as wfm_urls

api_urlpatterns = (
    ingest_urls.api_urlpatterns
    + live_urls.api_urlpatterns
    + reports_urls.api_urlpatterns
    + wfm_urls.api_urlpatterns
    + core_urls.api_urlpatterns
)

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(ops_urls.urlpatterns)),
    path("admin/", admin.site.urls),
    path("", include(live_urls.urlpatterns)),
    path("reports/", include(reports_urls.urlpatterns)),
    path("wfm/", include(wfm_urls.urlpatterns)),
    path("api/v1/", include(api_urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs page for people: to the login page first; then, like the schema, for users with a role
    # (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]). The split view serves its script as a file (CSP).
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
]
