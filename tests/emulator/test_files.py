"""Execution files: download, metas, preview and the path rules."""

from __future__ import annotations

import base64

from .conftest import Kestra

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _outputs(kestra: Kestra, execution: dict) -> dict[str, str]:
    """Task id → file URI of a finished 2.0 execution."""
    out = {}
    for run in execution["taskRunList"]:
        values = kestra.get(f"/outputs/tasks/{execution['id']}/{run['id']}").json()
        if "uri" in values:
            out[run["taskId"]] = values["uri"]
    return out


def test_preview_of_text_markdown_and_json(kestra: Kestra) -> None:
    done = kestra.wait_for(kestra.create("files")["id"])
    uris = _outputs(kestra, done)
    path = f"/executions/{done['id']}/file/preview"

    text = kestra.get(path, params={"path": uris["many_lines"]}).json()
    assert text["type"] == "TEXT" and text["extension"] == "txt"
    assert text["truncated"] is True
    assert text["content"].splitlines()[0] == "line 0"
    assert len(text["content"].splitlines()) == 100  # initial rows
    short = kestra.get(path, params={"path": uris["many_lines"], "maxRows": 3}).json()
    assert short["content"] == "line 0\nline 1\nline 2\n"

    markdown = kestra.get(path, params={"path": uris["doc"]}).json()
    assert markdown == {
        "extension": "md",
        "type": "MARKDOWN",
        "content": "# Title",
        "truncated": False,
    }
    data = kestra.get(path, params={"path": uris["data"]}).json()
    assert data["extension"] == "json" and data["content"] == '{"a": 1}'


def test_preview_of_an_image_is_base64(kestra: Kestra) -> None:
    created = kestra.create("basics", files={"upload": ("pixel.png", PNG)})
    preview = kestra.get(
        f"/executions/{created['id']}/file/preview", params={"path": created["inputs"]["upload"]}
    ).json()
    assert preview["type"] == "IMAGE" and preview["extension"] == "png"
    assert base64.b64decode(preview["content"]) == PNG


def test_download_and_metas(any_kestra: Kestra) -> None:
    created = any_kestra.create("basics", files={"upload": ("notes.txt", b"hello file")})
    uri = created["inputs"]["upload"]
    assert uri == f"kestra:///test/basics/executions/{created['id']}/inputs/upload/notes.txt"
    download = any_kestra.get(f"/executions/{created['id']}/file", params={"path": uri})
    assert download.status_code == 200 and download.content == b"hello file"
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"] == 'attachment; filename="notes.txt"'
    metas = any_kestra.get(f"/executions/{created['id']}/file/metas", params={"path": uri})
    assert metas.json() == {"size": 10}


def test_file_errors(any_kestra: Kestra) -> None:
    created = any_kestra.create("basics", files={"upload": ("a.txt", b"a")})
    other = any_kestra.create("basics", files={"upload": ("b.txt", b"b")})
    path = f"/executions/{created['id']}/file"
    missing = created["inputs"]["upload"].replace("a.txt", "zzz.txt")
    assert any_kestra.get(path, params={"path": missing}).status_code == 404
    foreign = any_kestra.get(path, params={"path": "kestra:///elsewhere/flow/x.txt"})
    assert foreign.status_code == 422 and "Invalid prefix path" in foreign.text
    assert any_kestra.get(path, params={"path": "file:///etc/passwd"}).status_code == 422
    unknown = any_kestra.get(
        "/executions/unknownExecution1234/file", params={"path": created["inputs"]["upload"]}
    )
    assert unknown.status_code == 404
    sibling = any_kestra.get(
        path, params={"path": other["inputs"]["upload"]}, allow_redirects=False
    )
    assert sibling.status_code == 301
    assert f"/executions/{other['id']}/file?path=" in sibling.headers["Location"]
    assert any_kestra.get(path, params={"path": other["inputs"]["upload"]}).content == b"b"
