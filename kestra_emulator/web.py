"""Helpers shared by the API handlers: JSON responses, forms, filters, lookups."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .errors import ApiError
from .inputs import Upload
from .model import Execution

if TYPE_CHECKING:
    from .server import Emulator

_FILTER_RE = re.compile(r"^filters\[(?P<field>[^\]]+)\]\[(?P<op>[^\]]+)\](?:\[(?P<key>.+)\])?$")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def execution_or_404(emu: Emulator, execution_id: str, *, empty_13: bool = False) -> Execution:
    execution = emu.engine.get(execution_id)
    if execution is None:
        raise ApiError(
            "not-found", f"Execution '{execution_id}' not found.", empty_body_in_13=empty_13
        )
    return execution


def execution_json(emu: Emulator, execution: Execution, *, light: bool = False) -> dict[str, Any]:
    with emu.engine.lock:
        return execution.to_json(dialect=emu.dialect, light=light)


def form_parts(request: Request) -> tuple[dict[str, list[str]], dict[str, Upload]]:
    """Text parts by name, and file parts by input id.

    Since 0.24 a file part's name is the input id and its filename the real file name. The
    older form (part ``files``, filename = input id) is still accepted, as Kestra does.
    """
    submitted: dict[str, list[str]] = {k: request.form.getlist(k) for k in request.form}
    uploads: dict[str, Upload] = {}
    for name, storage in request.files.items(multi=True):
        content = storage.read()
        filename = storage.filename or name
        if name == "files":
            uploads[filename] = Upload(filename=filename, content=content)
        else:
            uploads[name] = Upload(filename=filename, content=content)
    return submitted, uploads


def parse_filters(request: Request) -> dict[str, list[tuple[str, str | None, str]]]:
    """``filters[field][OP]=v`` and ``filters[labels][EQUALS][key]=v`` → field → (op, key, v)."""
    out: dict[str, list[tuple[str, str | None, str]]] = defaultdict(list)
    for name in request.args:
        match = _FILTER_RE.match(name)
        if match:
            for value in request.args.getlist(name):
                out[match["field"]].append((match["op"].upper(), match["key"], value))
    return out


def split_label(text: str) -> tuple[str, str]:
    """``key:value`` split on the first colon (``RequestUtils.toMap``)."""
    key, sep, value = text.partition(":")
    if not sep or not key:
        raise ApiError("invalid-argument", f"Invalid queryString parameter: {text}")
    return key, value
