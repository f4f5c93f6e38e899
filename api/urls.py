"""Kestra's Apps API under /api/v1/<tenant>/apps/, its OpenAPI schema and its docs page.

Paths have no trailing slash, as Kestra's (and as kestrapy calls them). Fixed names
(search, catalog, ...) come before `<uid>`, which they would otherwise match.
"""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.views import files, lists, manage, runtime, stage_preview, transfer
from api.views.errors import not_found

app_name = "api"

APPS = "v1/<str:tenant>/apps"
# Swagger UI's page has a small inline style sheet; its scripts are files, as the CSP wants.
docs = csp_update({"style-src": [UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api:schema")
)
VIEW = f"{APPS}/view/<str:uid>"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs, name="docs"),
    path(APPS, manage.AppsView.as_view(), name="apps"),
    path(f"{APPS}/search", lists.SearchView.as_view(), name="search"),
    path(f"{APPS}/catalog", lists.CatalogView.as_view(), name="catalog"),
    path(f"{APPS}/tags", lists.TagsView.as_view(), name="tags"),
    path(f"{APPS}/states", lists.StatesView.as_view(), name="states"),
    path(f"{APPS}/enable", manage.BulkEnableAppsView.as_view(), name="bulk_enable"),
    path(f"{APPS}/disable", manage.BulkDisableAppsView.as_view(), name="bulk_disable"),
    path(f"{APPS}/export", transfer.ExportView.as_view(), name="export"),
    path(f"{APPS}/import", transfer.ImportView.as_view(), name="import"),
    path(f"{APPS}/preview", stage_preview.StagePreviewView.as_view(), name="stage_preview"),
    path(VIEW, runtime.AppViewView.as_view(), name="view"),
    path(f"{VIEW}/dispatch/<str:dispatch_token>", runtime.DispatchView.as_view(), name="dispatch"),
    path(f"{VIEW}/streams/<str:stream>", runtime.StreamView.as_view(), name="stream"),
    path(f"{VIEW}/file/meta", files.FileMetaView.as_view(), name="file_meta"),
    path(f"{VIEW}/file/preview", files.FilePreviewView.as_view(), name="file_preview"),
    path(f"{VIEW}/file/download", files.FileDownloadView.as_view(), name="file_download"),
    path(f"{VIEW}/logs/download", files.LogsDownloadView.as_view(), name="logs_download"),
    path(f"{APPS}/<str:uid>", manage.AppView.as_view(), name="app"),
    path(f"{APPS}/<str:uid>/enable", manage.EnableAppView.as_view(), name="enable"),
    path(f"{APPS}/<str:uid>/disable", manage.DisableAppView.as_view(), name="disable"),
    # Anything else under /api/ is a problem document too, not the HTML 404 page.
    re_path(r"^.*$", not_found, name="not_found"),
]
