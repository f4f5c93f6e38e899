from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from api.problems import PROBLEM_JSON, problem_body


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    body = problem_body(404, "No such API endpoint.", instance=request.path)
    return JsonResponse(body, status=404, content_type=PROBLEM_JSON)
