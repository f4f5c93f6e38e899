from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from kestra_apps import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="apps_catalog:catalog", permanent=False)),
    path("apps/", include("apps_catalog.urls")),
    path("apps/", include("executions.urls")),
    path("accounts/", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    # The djangojs catalog of the active language, for static/portal/*.js (docs/i18n.md).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("branding.css", views.branding_css, name="branding_css"),
    # Browsers ask for it on every page that names no icon (the admin, the API's pages).
    path("favicon.ico", RedirectView.as_view(url=static("portal/icon.svg"), permanent=True)),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_scrape, name="metrics"),
]

handler404 = "kestra_apps.views.not_found"
handler500 = "kestra_apps.views.server_error"
