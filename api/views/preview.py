"""Preview an app that is not saved: one stage of its layout, drawn with sample data, as
the admin's preview draws it. Nothing is stored, nothing is sent to Kestra but a read of
the flow (for the real form fields)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import permissions
from api.layouts import ACTION_OF_BUTTON, field_json
from api.media import YAML_PARSERS
from api.problems import app_error, issue_errors
from api.query import bad_request
from api.serializers import AppResponseSerializer
from api.views.base import TenantView
from api.views.manage import INVALID, YAML_BODY, yaml_source
from apps_catalog.blocks import BLOCKS
from apps_catalog.definition import STAGES, AppDefinition, DefinitionError, parse_app
from apps_catalog.preview import SAMPLE_EXECUTION_ID, StagePreview, stage_previews
from executions import layout, stages
from executions.kestra import KestraError, get_client
from executions.presenters import Value


def _flow(definition: AppDefinition) -> dict[str, Any] | None:
    try:
        return get_client().flow(definition.namespace, definition.flow_id, definition.flow_revision)
    except KestraError:
        return None  # sample fields instead


def _data_json(block: layout.ResolvedBlock, data: Any) -> dict[str, Any]:
    if block.type == "Logs":
        return {
            "logs": [
                {
                    "timestamp": log.timestamp.isoformat(),
                    "level": log.level,
                    "taskId": log.task_id,
                    "message": log.message,
                }
                for log in data or []
            ]
        }
    if block.type in {"Inputs", "Outputs", "TaskOutputs"}:
        return {
            "values": [{"key": v.key, "value": v.value} for v in data or [] if isinstance(v, Value)]
        }
    if block.type == "Table" and isinstance(data, dict):
        return data
    return {}


def _block_json(block: layout.ResolvedBlock, data: Any, preview: StagePreview) -> dict[str, Any]:
    spec = BLOCKS.get(block.type)
    item: dict[str, Any] = {"type": spec.class_name if spec else block.type, **block.props}
    if block.type in ACTION_OF_BUTTON:
        item["dispatch"] = None  # a preview shows its buttons and runs nothing
    if block.type in {"CreateExecutionForm", "ResumeExecutionForm"}:
        item["inputs"] = [field_json(field) for field in preview.fields]
    return {**item, **_data_json(block, data)}


class PreviewView(TenantView):
    permission_classes = [permissions.CanAddApps]
    parser_classes = YAML_PARSERS

    @extend_schema(
        tags=["Apps"],
        operation_id="previewApp",
        summary="One stage of an unsaved app's layout, drawn with a sample execution",
        request=YAML_BODY,
        parameters=[OpenApiParameter("state", str, enum=list(STAGES), default=stages.OPEN)],
        responses={200: AppResponseSerializer, 422: INVALID},
    )
    def post(self, request: Request, tenant: str) -> Response:
        stage = request.query_params.get("state") or stages.OPEN
        if stage not in STAGES:
            raise bad_request(f"state must be one of {', '.join(STAGES)}", "state")
        try:
            definition = parse_app(yaml_source(request))
        except DefinitionError as error:
            raise app_error(
                "The app definition is not valid.", issue_errors(error.issues)
            ) from error
        base = request.build_absolute_uri("/").rstrip("/")
        (preview,) = stage_previews(
            definition,
            uid="preview",
            app_url=f"{base}/apps/preview/",
            flow=_flow(definition),
            only=(stage,),
        )
        blocks = [_block_json(b["block"], b["data"], preview) for b in preview.blocks]
        return Response(
            {
                "dispatch": None,
                "stream": None,
                "layout": {"blocks": blocks},
                "stage": stage,
                "executionId": SAMPLE_EXECUTION_ID if preview.execution else None,
                "state": preview.execution.state or None if preview.execution else None,
                "final": stages.is_final(stage),
                "origin": preview.origin,
            }
        )
