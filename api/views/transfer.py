"""Apps as files: export a ZIP of YAML sources, import a ZIP or a multi-document YAML.

The same files as `manage.py export_apps` / `import_apps`: `<namespace>.<id>.yml`, each
source byte for byte; an import creates or updates by (namespace, id) and reports each
document that failed, with its issues.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api import permissions
from api.apps_io import TAG, bulk_uids
from api.media import ZipRenderer
from api.problems import Problem, issue_errors
from api.serializers import (
    BulkRequestSerializer,
    ImportRequestSerializer,
    ImportResponseSerializer,
    ProblemSerializer,
)
from api.views.base import TenantView
from apps_catalog.definition import MAX_IMPORT_BYTES, DefinitionError, read_documents
from apps_catalog.models import App
from apps_catalog.services import app_save_source, export_files

YAML_SUFFIXES = (".yml", ".yaml")
MAX_ZIP_MEMBERS = 1000


def zip_of(apps: list[App]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, app in export_files(apps):
            archive.writestr(name, app.source.encode("utf-8"))
    return buffer.getvalue()


class ExportView(TenantView):
    permission_classes = [permissions.CanReadApps]
    parser_classes = [JSONParser]
    renderer_classes = [ZipRenderer]

    @extend_schema(
        tags=[TAG],
        operation_id="bulkExportApps",
        summary="A ZIP of the apps' YAML sources (all apps when no uid is given)",
        request=BulkRequestSerializer,
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def post(self, request: Request, tenant: str) -> HttpResponse:
        uids = bulk_uids(request)
        apps = App.objects.order_by("namespace", "app_id").only(
            "namespace", "app_id", "uid", "source"
        )
        if uids:
            apps = apps.filter(uid__in=uids)
        response = HttpResponse(zip_of(list(apps)), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="apps.zip"'
        return response


@dataclass
class ImportReport:
    success: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, source: str, message: str, issues: list[dict[str, Any]] | None = None) -> None:
        self.errors.append({"source": source, "message": message, "issues": issues or []})


def _yaml_files(name: str, content: bytes) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each YAML file in the upload: the members of a ZIP, or the
    upload itself. A ZIP is measured before it is read: no bomb gets unpacked."""
    if not zipfile.is_zipfile(io.BytesIO(content)):
        return [(name, content)]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise Problem(
                413, _("The ZIP holds more than %(count)s files.") % {"count": MAX_ZIP_MEMBERS}
            )
        if sum(m.file_size for m in members) > MAX_IMPORT_BYTES:
            raise Problem(
                413,
                _("The ZIP unpacks to more than %(count)s bytes.") % {"count": MAX_IMPORT_BYTES},
            )
        return [
            (m.filename, archive.read(m))
            for m in sorted(members, key=lambda m: m.filename)
            if m.filename.lower().endswith(YAML_SUFFIXES)
        ]


def _import_file(report: ImportReport, name: str, content: bytes) -> None:
    try:
        text = content.decode("utf-8")  # not read_text: \r\n stays as written
    except UnicodeDecodeError as exc:
        report.fail(name, f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at {exc.start})")
        return
    documents = read_documents(text)
    if not documents:
        report.fail(name, "the file holds no app")
    for index, (source, result) in enumerate(documents):
        where = name if len(documents) == 1 else f"{name} [document {index + 1}]"
        if isinstance(result, DefinitionError):
            report.fail(where, str(result), issue_errors(result.issues))
            continue
        app, _ = app_save_source(source=source, definition=result)
        report.success.append(app.uid)


class ImportView(TenantView):
    permission_classes = [permissions.CanImportApps]
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=[TAG],
        operation_id="bulkImportApps",
        summary="Create or update apps from a ZIP of YAML files or a multi-document YAML",
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: ImportResponseSerializer,
            400: OpenApiResponse(ProblemSerializer, "No file uploaded."),
        },
    )
    def post(self, request: Request, tenant: str) -> Response:
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["fileUpload"]
        if upload.size > MAX_IMPORT_BYTES:
            raise Problem(
                413,
                _("The upload is larger than %(count)s bytes.") % {"count": MAX_IMPORT_BYTES},
            )
        report = ImportReport()
        for name, content in _yaml_files(upload.name or "fileUpload", upload.read()):
            _import_file(report, name, content)
        return Response({"success": report.success, "errors": report.errors})
