"""What the endpoints that manage apps read and how the schema shows them, shared by the
management, list, transfer and preview endpoints (which must not import one another): a
YAML source body, a list of uids, the schema's tag and its problem responses."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, OpenApiTypes
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.request import Request

from api.serializers import BulkRequestSerializer, ProblemSerializer

TAG = "Apps"
INVALID = OpenApiResponse(ProblemSerializer, "Not a valid app (app-error, issues with lines).")
YAML_BODY = {"application/x-yaml": OpenApiTypes.STR}


def yaml_source(request: Request) -> str:
    """The request's YAML body as text; an empty body is an empty document."""
    if not (request.content_type or "").split(";")[0].strip().endswith("yaml"):
        raise UnsupportedMediaType(request.content_type or "none")
    return request.data if isinstance(request.data, str) else ""


def bulk_uids(request: Request) -> list[str]:
    """The uids a bulk request names, each once, in the order given."""
    serializer = BulkRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return list(dict.fromkeys(serializer.validated_data.get("uids") or []))
