"""Managing app definitions: create from YAML, get, update, delete, enable, disable, and
the same in bulk. Needs Django's model permissions on App (or a superuser)."""

from __future__ import annotations

from contextlib import suppress

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from api import permissions
from api.apps_io import INVALID, TAG, YAML_BODY, bulk_uids, yaml_source
from api.media import YAML_PARSERS
from api.problems import app_error, issue_errors
from api.serializers import (
    AppSerializer,
    AppSourceSerializer,
    BulkRequestSerializer,
    BulkResponseSerializer,
    ProblemSerializer,
)
from api.views.base import TenantView, managed_app
from apps_catalog.definition import Issue
from apps_catalog.forms import AppSourceForm
from apps_catalog.models import App
from apps_catalog.services import app_save_source, app_set_enabled
from apps_catalog.sources import SourceEditError

NOT_FOUND = OpenApiResponse(ProblemSerializer, "No such app.")


def save_source(source: str, app: App | None) -> App:
    """Validate as the admin does (parser, unique id, the flow in Kestra), then save the
    source exactly as sent. Invalid: 422 app-error listing every issue with its line."""
    form = AppSourceForm(data={"source": source}, instance=app or App())
    if not form.is_valid() or form.definition is None:
        issues = form.issues or [Issue("", None, str(m)) for m in form.errors.get("source", [])]
        raise app_error(_("The app definition is not valid."), issue_errors(issues))
    saved, _created = app_save_source(
        source=source, definition=form.definition, app=app, flow=form.flow
    )
    return saved


class AppsView(TenantView):
    parser_classes = [*YAML_PARSERS, JSONParser]

    def get_permissions(self) -> list:
        if self.request.method == "DELETE":
            return [permissions.CanDeleteApps()]
        return [permissions.CanAddApps()]

    @extend_schema(
        tags=[TAG],
        operation_id="createApp",
        summary="Create an app from its YAML source",
        request=YAML_BODY,
        responses={200: AppSourceSerializer, 422: INVALID},
    )
    def post(self, request: Request, tenant: str) -> Response:
        app = save_source(yaml_source(request), None)
        return Response(AppSourceSerializer(app).data)

    @extend_schema(
        tags=[TAG],
        operation_id="bulkDeleteApps",
        summary="Delete apps by uid",
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer},
    )
    def delete(self, request: Request, tenant: str) -> Response:
        uids = bulk_uids(request)
        with transaction.atomic():
            found = list(App.objects.filter(uid__in=uids).values_list("uid", flat=True))
            App.objects.filter(uid__in=found).delete()
        return Response({"success": [uid for uid in uids if uid in set(found)]})


class AppView(TenantView):
    parser_classes = YAML_PARSERS

    def get_permissions(self) -> list:
        if self.request.method == "PUT":
            return [permissions.CanChangeApps()]
        if self.request.method == "DELETE":
            return [permissions.CanDeleteApps()]
        return [permissions.CanReadApps()]

    @extend_schema(
        tags=[TAG],
        operation_id="app",
        summary="An app with its YAML source",
        responses={200: AppSourceSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, tenant: str, uid: str) -> Response:
        return Response(AppSourceSerializer(managed_app(uid)).data)

    @extend_schema(
        tags=[TAG],
        operation_id="updateApp",
        summary="Replace an app's YAML source (its uid, URLs and grants stay)",
        request=YAML_BODY,
        responses={200: AppSourceSerializer, 404: NOT_FOUND, 422: INVALID},
    )
    def put(self, request: Request, tenant: str, uid: str) -> Response:
        app = save_source(yaml_source(request), managed_app(uid))
        return Response(AppSourceSerializer(app).data)

    @extend_schema(
        tags=[TAG],
        operation_id="deleteApp",
        summary="Delete an app, its grants and its executions' records",
        responses={204: None, 404: NOT_FOUND},
    )
    def delete(self, request: Request, tenant: str, uid: str) -> Response:
        managed_app(uid).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def set_enabled(app: App, enabled: bool) -> App:
    """Edit `disabled:` in the source, as the admin does; 422 when it cannot be done safely."""
    try:
        app_set_enabled(app=app, enabled=enabled)
    except SourceEditError as exc:
        raise app_error(
            _("App %(id)s cannot be changed by program: %(reason)s.")
            % {"id": repr(app.app_id), "reason": exc}
        ) from exc
    return app


def _toggle_views(enabled: bool) -> tuple[type[TenantView], type[TenantView]]:
    """The views that enable (or disable) one app, and apps by uid."""
    word = "Enable" if enabled else "Disable"

    class ToggleAppView(TenantView):
        permission_classes = [permissions.CanChangeApps]

        @extend_schema(
            tags=[TAG],
            operation_id=f"{word.lower()}App",
            summary=f"{word} an app (sets `disabled:` in its source)",
            request=None,
            responses={200: AppSerializer, 404: NOT_FOUND, 422: INVALID},
        )
        def post(self, request: Request, tenant: str, uid: str) -> Response:
            return Response(AppSerializer(set_enabled(managed_app(uid), enabled)).data)

    class BulkToggleView(TenantView):
        permission_classes = [permissions.CanChangeApps]

        @extend_schema(
            tags=[TAG],
            operation_id=f"bulk{word}Apps",
            summary=f"{word} apps by uid; those that cannot be are left out",
            request=BulkRequestSerializer,
            responses={200: BulkResponseSerializer},
        )
        def post(self, request: Request, tenant: str) -> Response:
            return Response({"success": _each(bulk_uids(request), enabled)})

    ToggleAppView.__name__ = f"{word}AppView"
    BulkToggleView.__name__ = f"Bulk{word}AppsView"
    return ToggleAppView, BulkToggleView


def _each(uids: list[str], enabled: bool) -> list[str]:
    """The uids of the apps enabled (or disabled); those whose source cannot be edited
    safely are left out."""
    done = set()
    for app in App.objects.filter(uid__in=uids):
        with suppress(SourceEditError):
            app_set_enabled(app=app, enabled=enabled)
            done.add(app.uid)
    return [uid for uid in uids if uid in done]


EnableAppView, BulkEnableAppsView = _toggle_views(True)
DisableAppView, BulkDisableAppsView = _toggle_views(False)
