"""Every API endpoint × every persona: the status each one gets, written as data.

The same data is rendered into docs/permissions-api.md; a test fails (and writes the new
table) when the document and the matrix differ, so the document cannot drift.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api.tokens import dispatch_token, stream_token
from executions.models import Execution

from .conftest import PERSONAS, TENANT, Persona, app_yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions-api.md"
BASE = f"/api/v1/{TENANT}/apps"
MANAGE = {"anonymous": 401, "outsider": 403, "member": 403, "direct": 403}
VISITORS = dict.fromkeys(PERSONAS, 200)
LOGGED_IN = {**VISITORS, "anonymous": 401}
PRIVATE_USE = {
    "anonymous": 401, "outsider": 404, "member": 200, "direct": 200, "manager": 404,
    "superuser": 200,
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    action: str
    method: str
    path: str  # {public}, {private}, {create_public}, ... filled in from the data
    expected: dict[str, int]
    body: str = ""  # "yaml", "uids", "upload", "vacation", "dataset" or ""
    rule: str = ""


def managing(code: int) -> dict[str, int]:
    return {**MANAGE, "manager": code, "superuser": code}


CASES = [
    Case("Create an app", "POST", "", managing(200), "yaml", "`add_app`"),
    Case(
        "Get an app's source", "GET", "/{public}", managing(200), rule="`view_app` or `change_app`"
    ),
    Case("Update an app", "PUT", "/{public}", managing(200), "yaml_public", "`change_app`"),
    Case("Delete an app", "DELETE", "/{public}", managing(204), rule="`delete_app`"),
    Case("Enable an app", "POST", "/{public}/enable", managing(200), rule="`change_app`"),
    Case("Disable an app", "POST", "/{public}/disable", managing(200), rule="`change_app`"),
    Case("Delete apps (bulk)", "DELETE", "", managing(200), "uids", "`delete_app`"),
    Case("Enable apps (bulk)", "POST", "/enable", managing(200), "uids", "`change_app`"),
    Case("Disable apps (bulk)", "POST", "/disable", managing(200), "uids", "`change_app`"),
    Case("Export apps", "POST", "/export", managing(200), "uids", "`view_app` or `change_app`"),
    Case("Import apps", "POST", "/import", managing(200), "upload", "`add_app` and `change_app`"),
    Case("Search apps", "GET", "/search", managing(200), rule="`view_app` or `change_app`"),
    Case("Preview an unsaved app", "POST", "/preview", managing(200), "yaml", "`add_app`"),
    Case("Catalog", "GET", "/catalog", LOGGED_IN, rule="logged in; lists what they may use"),
    Case("Tags", "GET", "/tags", LOGGED_IN, rule="logged in"),
    Case("States", "GET", "/states", VISITORS, rule="anyone"),
    Case("View a public app", "GET", "/view/{public}", VISITORS, rule="anyone"),
    Case("View a private app", "GET", "/view/{private}", PRIVATE_USE, rule="`use_app` on it"),
    Case(
        "Submit to a public app (dispatch create)",
        "POST",
        "/view/{public}/dispatch/{create_public}",
        VISITORS,
        "dataset",
        "anyone",
    ),
    Case(
        "Submit to a private app (dispatch create)",
        "POST",
        "/view/{private}/dispatch/{create_private}",
        PRIVATE_USE,
        "vacation",
        "`use_app` on it",
    ),
    Case(
        "Cancel someone else's request on a public app",
        "POST",
        "/view/{public}/dispatch/{cancel_public}",
        {
            "anonymous": 403,
            "outsider": 403,
            "member": 403,
            "direct": 422,
            "manager": 403,
            "superuser": 422,
        },  # fmt: skip
        rule="`use_app` granted, or the person (or browser session) who submitted it",
    ),
    Case(
        "Cancel a request on a private app",
        "POST",
        "/view/{private}/dispatch/{cancel_private}",
        {**PRIVATE_USE, "member": 422, "direct": 422, "superuser": 422},
        rule="`use_app` on it",
    ),
    Case(
        "Follow a private app's stream",
        "GET",
        "/view/{private}/streams/{stream_private}",
        PRIVATE_USE,
        rule="`use_app` on it",
    ),  # fmt: skip
    Case(
        "Download a private execution's logs",
        "GET",
        "/view/{private}/logs/download?executionId={private_execution}",
        PRIVATE_USE,
        rule="`use_app` on it",
    ),
]


def _finished(app: Any, kestra_id: str) -> Execution:
    return Execution.objects.create(
        app=app,
        kestra_id=kestra_id,
        delivery=Execution.Delivery.DELIVERED,
        state="SUCCESS",
        stage="SUCCESS",
        session_key="someone-elses-session",
    )


@pytest.fixture
def places(apps: dict[str, Any]) -> dict[str, str]:
    public, private = (
        _finished(apps["public"], "PublicDone0000000001"),
        _finished(apps["private"], "PrivateDone000000001"),
    )
    return {
        "public": apps["public"].uid,
        "private": apps["private"].uid,
        "create_public": dispatch_token("create", apps["public"], None),
        "create_private": dispatch_token("create", apps["private"], None),
        "cancel_public": dispatch_token("cancel", apps["public"], public),
        "cancel_private": dispatch_token("cancel", apps["private"], private),
        "stream_private": stream_token(apps["private"], private),
        "private_execution": private.kestra_id or "",
    }


def _request(client: Client, case: Case, path: str, apps: dict[str, Any], headers: dict) -> int:
    body = case.body
    if body in {"yaml", "yaml_public"}:
        source = app_yaml() if body == "yaml" else apps["public"].source
        return client.generic(
            case.method, path, source, "application/x-yaml", headers=headers
        ).status_code
    if body == "uids":
        data = json.dumps({"uids": [apps["public"].uid]})
        return client.generic(
            case.method, path, data, "application/json", headers=headers
        ).status_code
    if body == "upload":
        upload = SimpleUploadedFile("apps.yml", app_yaml("imported").encode())
        return client.post(path, {"fileUpload": upload}, headers=headers).status_code
    if body == "dataset":
        data = {"dataset": "stores", "rows": "3"}
        return client.post(path, data, headers=headers).status_code
    if body == "vacation":
        data = {
            "request.name": "Ada",
            "request.start_date": "2025-07-01",
            "request.end_date": "2025-07-02",
        }
        return client.post(path, data, headers=headers).status_code
    response = client.generic(case.method, path, headers=headers)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("persona_name", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=[c.action for c in CASES])
def test_matrix(
    case: Case, persona_name: str, personas: dict[str, Persona], apps, places, kestra, settings
) -> None:
    settings.API_STREAM_POLL_SECONDS = 0.01
    persona = personas[persona_name]
    path = BASE + case.path.format(**places)
    status = _request(Client(), case, path, apps, persona.headers)
    assert status == case.expected[persona_name], f"{case.action} as {persona_name}"


def _generic(path: str) -> str:
    """The path as the API documents it: {uid}, {dispatch}, {stream}."""
    path = path.split("?")[0]
    path = re.sub(r"\{(public|private)\}", "{uid}", path)
    path = re.sub(r"\{(create|cancel)_\w+\}", "{dispatch}", path)
    return re.sub(r"\{stream_\w+\}", "{stream}", path)


def render_doc() -> str:
    lines = [
        "# Who may call which API endpoint",
        "",
        "Generated from `tests/api/test_permission_matrix.py`, which checks every cell",
        "against the running API; edit the matrix there, not this file.",
        "",
        "Personas: **anonymous** (no credentials); **outsider** (logged in, no grant);",
        "**member** (in a group the private app's `access.groups` names); **direct** (granted",
        "`use_app` on both apps as a user); **manager** (Django's model permissions",
        "`add/change/delete/view_app`, no use grant); **superuser**. The public app is",
        "`data_request`, the private one `vacation_approval`.",
        "",
        "Codes: 200/204 done; 401 credentials needed; 403 known but not allowed; 404 an app",
        "this person may not use is not found (as on the web pages); 422 allowed, but the",
        "request is over and cannot be cancelled any more (Kestra's app-error).",
        "",
        "| action | endpoint | rule | " + " | ".join(PERSONAS) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in PERSONAS) + " |",
    ]
    for case in CASES:
        endpoint = f"`{case.method} /api/v1/{{tenant}}/apps{_generic(case.path)}`"
        cells = " | ".join(str(case.expected[p]) for p in PERSONAS)
        lines.append(f"| {case.action} | {endpoint} | {case.rule} | {cells} |")
    return "\n".join(lines) + "\n"


def test_the_doc_is_the_matrix() -> None:
    expected = render_doc()
    if not DOC.exists() or DOC.read_text() != expected:
        DOC.write_text(expected)
        pytest.fail(f"{DOC} did not match the matrix; it has been rewritten: commit it")
