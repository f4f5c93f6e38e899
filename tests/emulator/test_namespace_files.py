"""Namespace files: `GET namespaces/{namespace}/files?path=/x` (Kestra's
NamespaceFileController#file, the same path in 1.3 and 2.0), read from the flows' `_files`
folder (`<namespace>/<path>`) or `--namespace-files`."""

from __future__ import annotations

from pathlib import Path

import requests

from kestra_emulator.server import create_app, start_in_thread

from .conftest import Kestra

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"/>'


def _put(kestra: Kestra, namespace: str, path: str, content: bytes) -> None:
    file = kestra.emulator.namespace_files.root / namespace / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content)


def test_a_namespace_file_is_served_as_bytes_in_both_dialects(any_kestra: Kestra) -> None:
    _put(any_kestra, "company.team", "img/logo.svg", SVG)

    response = any_kestra.get("/namespaces/company.team/files", params={"path": "/img/logo.svg"})

    assert response.status_code == 200
    assert response.content == SVG
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_a_missing_file_or_another_namespace_s_is_404(any_kestra: Kestra) -> None:
    _put(any_kestra, "company.team", "logo.svg", SVG)

    missing = any_kestra.get("/namespaces/company.team/files", params={"path": "/none.svg"})
    elsewhere = any_kestra.get("/namespaces/other/files", params={"path": "/logo.svg"})

    assert (missing.status_code, elsewhere.status_code) == (404, 404)


def test_paths_out_of_the_namespace_and_the_flows_folder_are_refused(kestra: Kestra) -> None:
    _put(kestra, "company.team", "logo.svg", SVG)
    _put(kestra, "company", "secret.txt", b"not yours")

    for path in ("/../company/secret.txt", "/_flows/x.yml", "/"):
        response = kestra.get("/namespaces/company.team/files", params={"path": path})
        assert response.status_code == 422, path
        assert b"not yours" not in response.content
    assert kestra.get("/namespaces/company.team/files").status_code == 400  # no path


def test_a_yaml_namespace_file_is_not_taken_for_a_flow(tmp_path: Path) -> None:
    flow = "id: hidden\nnamespace: demo\ntasks: []\n"
    (tmp_path / "_files" / "demo").mkdir(parents=True)
    (tmp_path / "_files" / "demo" / "flow.yml").write_text(flow)
    emulator = create_app(flows_dir=tmp_path)
    server, base_url = start_in_thread(emulator)
    try:
        api = f"{base_url}/api/v1/main"
        assert requests.get(f"{api}/flows/demo/hidden", timeout=5).status_code == 404
        served = requests.get(f"{api}/namespaces/demo/files?path=/flow.yml", timeout=5)
        assert served.content == flow.encode()
    finally:
        server.shutdown()
        emulator.shutdown()
