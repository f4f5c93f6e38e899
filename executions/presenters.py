"""An execution's files as the pages and the API show them: which ones a viewer may reach,
and Kestra's preview of one (a FilePreview; not the admin's stage preview)."""

from __future__ import annotations

import csv
import io
import mimetypes
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from executions.models import Execution

FILE_SCHEME = "kestra:///"
PREVIEW_ROWS = 100


def file_paths(value: Any) -> Iterator[str]:
    """Every kestra:// file named in a value, however deeply nested."""
    if isinstance(value, str) and value.startswith(FILE_SCHEME):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from file_paths(item)
    elif isinstance(value, list):
        for item in value:
            yield from file_paths(item)


def known_files(execution: Execution) -> set[str]:
    """Files a viewer of this execution may download: those its inputs and outputs name."""
    return (
        set(file_paths(execution.outputs))
        | set(file_paths(execution.task_outputs))
        | set(file_paths(execution.snapshot.get("inputs")))
    )


def file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def attachment(name: str) -> str:
    """A Content-Disposition that saves the download under this name, whatever it holds."""
    return content_disposition_header(True, name) or "attachment"


def download_headers(path: str) -> dict[str, str]:
    """The headers that hand an execution's file over as a download, the page's and the
    API's alike: its name, the type its name suggests, and no sniffing by the browser."""
    name = file_name(path)
    return {
        "Content-Type": mimetypes.guess_type(name)[0] or "application/octet-stream",
        # Quotes and escapes what a name could smuggle in (`"; filename*=...`).
        "Content-Disposition": attachment(name),
        "X-Content-Type-Options": "nosniff",
    }


@dataclass(frozen=True)
class FilePreview:
    kind: str  # "table", "text", "image", "markdown" or "none"
    columns: list[str]
    rows: list[list[Any]]
    text: str = ""
    truncated: bool = False


def file_preview(path: str, rendered: Mapping[str, Any]) -> FilePreview:
    """Kestra's FileRender as something a page can show: CSV and row lists as tables, text as
    text, images inline, anything else not previewed."""
    kind = str(rendered.get("type") or "")
    content = rendered.get("content")
    truncated = bool(rendered.get("truncated"))
    if kind == "IMAGE" and isinstance(content, str):
        return FilePreview("image", [], [], text=content, truncated=truncated)
    if kind == "LIST" and isinstance(content, list):
        return _table([row for row in content if isinstance(row, dict)], truncated)
    if kind == "MARKDOWN" and isinstance(content, str):
        return FilePreview("markdown", [], [], text=content, truncated=truncated)
    if kind == "TEXT" and isinstance(content, str):
        if file_name(path).lower().endswith(".csv"):
            rows = list(csv.reader(io.StringIO(content)))
            header, body = (rows[0], rows[1 : PREVIEW_ROWS + 1]) if rows else ([], [])
            return FilePreview(
                "table", header, body, truncated=truncated or len(rows) > PREVIEW_ROWS + 1
            )
        return FilePreview("text", [], [], text=content, truncated=truncated)
    return FilePreview("none", [], [])


def columns_of(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """A table's columns for rows of mappings: every key, in order of first appearance."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return columns


def _table(rows: list[dict[str, Any]], truncated: bool) -> FilePreview:
    columns = columns_of(rows)
    body = [[row.get(c, "") for c in columns] for row in rows[:PREVIEW_ROWS]]
    return FilePreview("table", columns, body, truncated=truncated or len(rows) > PREVIEW_ROWS)


def failure_text(execution: Execution) -> str:
    """Why the execution failed, for the person reading, in their language: the portal's
    reason when it gave up (with Kestra's words, if any), else what Kestra said."""
    failure, said = execution.failure, execution.error
    if failure == Execution.Failure.KEYS_CHANGED:
        return _("The form values can no longer be read: SECRET_KEY has changed.")
    if failure == Execution.Failure.UNREACHABLE:
        attempts = execution.attempts
        return ngettext(
            "Kestra could not be reached after %(attempts)s attempt.",
            "Kestra could not be reached after %(attempts)s attempts.",
            attempts,
        ) % {"attempts": attempts}
    if failure == Execution.Failure.REJECTED:
        return _("Kestra rejected the submission: %(reason)s") % {"reason": said}
    if failure == Execution.Failure.LOST:
        return _("Kestra no longer knows this execution: %(reason)s") % {"reason": said}
    return said
