"""Preview an app that is not saved: one stage of its layout, drawn with sample data, as
the admin's stage preview draws it (executions.stage_preview). Nothing is stored, nothing
is sent to Kestra but a read of the flow (for the real form fields)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import permissions
from api.app_response import decision_json
from api.apps_io import INVALID, TAG, YAML_BODY, yaml_source
from api.media import YAML_PARSERS
from api.problems import app_error, issue_errors
from api.query import bad_request
from api.serializers import AppResponseSerializer
from api.views.base import TenantView
from apps_catalog.definition import STAGES, AppDefinition, DefinitionError, parse_app
from apps_catalog.models import site_url
from executions import stages
from executions.blocks import CANCEL, CREATE, RESUME, ApiTarget
from executions.kestra import KestraError, get_client
from executions.stage_preview import PREVIEW_UID, SAMPLE_EXECUTION_ID, stage_previews


def _flow(definition: AppDefinition) -> dict[str, Any] | None:
    try:
        return get_client().flow(definition.namespace, definition.flow_id, definition.flow_revision)
    except KestraError:
        return None  # sample fields instead


class StagePreviewView(TenantView):
    permission_classes = [permissions.CanAddApps]
    parser_classes = YAML_PARSERS

    @extend_schema(
        tags=[TAG],
        operation_id="previewApp",
        summary="One stage of an unsaved app's layout, drawn with a sample execution",
        request=YAML_BODY,
        parameters=[OpenApiParameter("state", str, enum=list(STAGES), default=stages.OPEN)],
        responses={200: AppResponseSerializer, 422: INVALID},
    )
    def post(self, request: Request, tenant: str) -> Response:
        stage = request.query_params.get("state") or stages.OPEN
        if stage not in STAGES:
            raise bad_request(
                _("state must be one of %(states)s") % {"states": ", ".join(STAGES)}, "state"
            )
        try:
            definition = parse_app(yaml_source(request))
        except DefinitionError as error:
            raise app_error(
                _("The app definition is not valid."), issue_errors(error.issues)
            ) from error
        (preview,) = stage_previews(
            definition,
            uid=PREVIEW_UID,
            base_url=site_url(request),
            flow=_flow(definition),
            only=(stage,),
        )
        # Every button and form is shown; no token: a preview runs nothing.
        target = ApiTarget(tokens=dict.fromkeys((CREATE, RESUME, CANCEL)), fields=preview.fields)
        return Response(
            {
                "dispatch": None,
                "stream": None,
                "layout": {"blocks": preview.shown.api(target)},
                "stage": stage,
                "executionId": SAMPLE_EXECUTION_ID if preview.execution else None,
                "state": preview.execution.state or None if preview.execution else None,
                "final": stages.is_final(stage),
                "origin": preview.origin,
                "decision": decision_json(preview.decision),
            }
        )
