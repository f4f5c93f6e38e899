"""Who may do what, for every page: personas × actions, on a private and a public app.

The table below is the rule. Each cell is a test that asserts the status code and, for the
actions, the database and the emulator afterwards; docs/permissions.md is rendered from the
same table and a test fails if the two differ (UPDATE_DOCS=1 rewrites the file).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests
from django.contrib.auth.models import Group
from django.test import Client

from apps_catalog.models import App
from apps_catalog.services import app_save_source
from executions import services
from executions.adoption import execution_adopt
from executions.models import Decision, Execution
from tests.conftest import EXAMPLES
from tests.personas import APPROVERS, grant_use, signed_in

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
PERSONAS = ["anonymous", "outsider", "member", "direct grant", "manager", "superuser"]
LOGIN = "→ login"  # a redirect to the login page, then back
ADMIN_LOGIN = "→ admin login"

# (app access, action) → the answer each persona gets. "ok" is 200 for a page, and for an
# action a redirect back to the execution with the action done.
MATRIX: dict[tuple[str, str], list[str]] = {
    ("PRIVATE", "catalog lists the app"): [LOGIN, "no", "yes", "yes", "no", "yes"],
    ("PRIVATE", "open app"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "submit"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "view execution"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "download a file"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "resume"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "cancel"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "catalog lists the app"): [LOGIN, "yes", "yes", "yes", "yes", "yes"],
    ("PUBLIC", "open app"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "submit"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "view execution"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "download a file"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "resume someone else's"): ["403", "403", "ok", "ok", "403", "ok"],
    ("PUBLIC", "cancel someone else's"): ["403", "403", "ok", "ok", "403", "ok"],
    ("PUBLIC", "resume own (same browser)"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("ADMIN", "read the audit record"): [
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        "ok",
        "ok",
    ],
    ("ADMIN", "change an app"): [ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, "ok", "ok"],
}

PUBLIC_VACATION = """id: open_vacation
type: io.kestra.plugin.ee.apps.Execution
displayName: Vacation requests (public)
namespace: demo
flowId: vacation_request
access: PUBLIC
"""
VACATION_INPUTS = {
    "request.name": "Lin",
    "request.start_date": "2027-01-04",
    "request.end_date": "2027-01-08",
}


def render_matrix() -> str:
    lines = [
        "# Permission matrix",
        "",
        "Generated from `tests/portal/test_permission_matrix.py`, where every cell is a test.",
        "`ok` is a 200 page or an action carried out; `→ login` a redirect to the login page;",
        "a member is granted use through a group, a manager may change apps but was granted",
        "no use of them. PRIVATE and PUBLIC are the app's `access.type`.",
        "",
        "| app | action | " + " | ".join(PERSONAS) + " |",
        "| --- | --- |" + " --- |" * len(PERSONAS),
    ]
    lines += [
        f"| {app} | {action} | " + " | ".join(row) + " |" for (app, action), row in MATRIX.items()
    ]
    return "\n".join(lines) + "\n"


def test_the_documented_matrix_is_the_tested_one():
    if os.environ.get("UPDATE_DOCS"):
        DOC.write_text(render_matrix())
    assert DOC.read_text() == render_matrix(), (
        "run with UPDATE_DOCS=1 to refresh docs/permissions.md"
    )


# The world each cell runs in


def _start_paused(kestra: str) -> str:
    response = requests.post(
        f"{kestra}/api/v1/main/executions/demo/vacation_request",
        files={key: (None, value) for key, value in VACATION_INPUTS.items()},
        timeout=5,
    )
    response.raise_for_status()
    kestra_id = response.json()["id"]
    _wait_state(kestra, kestra_id, {"PAUSED"})
    return kestra_id


def _state(kestra: str, kestra_id: str) -> str:
    body = requests.get(f"{kestra}/api/v1/main/executions/{kestra_id}", timeout=5).json()
    return body["state"]["current"]


def _wait_state(kestra: str, kestra_id: str, states: set[str]) -> None:
    deadline = time.monotonic() + 15
    while _state(kestra, kestra_id) not in states:
        assert time.monotonic() < deadline, f"never reached {states}"
        time.sleep(0.05)


@pytest.fixture
def world(kestra, anonymous, outsider, approver, grantee, manager, admin):
    """The private vacation app (for group HR) and a public one; the personas of
    tests/personas.py under the matrix's names: the member is the approver persona (in HR),
    the direct grant the grantee, granted use of both apps."""
    private, _ = app_save_source(source=(EXAMPLES / "apps" / "vacation_approval.yml").read_text())
    public, _ = app_save_source(source=PUBLIC_VACATION)
    grant_use(Group.objects.get(name=APPROVERS), public)
    grant_use(grantee, private, public)
    users = {
        "anonymous": anonymous,
        "outsider": outsider,
        "member": approver,
        "direct grant": grantee,
        "manager": manager,
        "superuser": admin,
    }
    return {"PRIVATE": private, "PUBLIC": public, "users": users, "kestra": kestra}


def _client(world, persona: str) -> Client:
    return signed_in(world["users"][persona])


def _paused_execution(world, app: App, submitter: Client | None = None) -> Execution:
    execution = execution_adopt(app=app, kestra_id=_start_paused(world["kestra"]))
    assert execution is not None and execution.stage == "PAUSE"
    services.execution_poll(execution_id=execution.pk)  # what the worker does next
    execution.refresh_from_db()
    if submitter is not None:
        submitter.get("/apps/requests/")  # gives an anonymous browser its session
        Execution.objects.filter(pk=execution.pk).update(session_key=submitter.session.session_key)
    return execution


def _answer(response) -> str:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    if response.status_code == 302 and "/admin/login/" in response["Location"]:
        return ADMIN_LOGIN
    if response.status_code in (200, 302):
        return "ok"
    return str(response.status_code)


# One test per cell


CELLS = [
    (app, action, persona, expected)
    for (app, action), row in MATRIX.items()
    for persona, expected in zip(PERSONAS, row, strict=True)
]


@pytest.mark.parametrize(("access", "action", "persona", "expected"), CELLS)
def test_cell(world, access, action, persona, expected):
    client = _client(world, persona)
    app = world.get(access)
    check = ACTIONS[action]
    check(world, client, app, expected)


def _catalog(world, client, app, expected):
    response = client.get("/apps/")
    if expected == LOGIN:
        assert _answer(response) == LOGIN
        return
    listed = f"/apps/{app.uid}/" in response.content.decode()
    assert response.status_code == 200 and listed == (expected == "yes")


def _open(world, client, app, expected):
    response = client.get(f"/apps/{app.uid}/")
    assert _answer(response) == expected
    if expected == "ok":
        assert 'name="input.request.name"' in response.content.decode()


def _submit(world, client, app, expected):
    values = {f"input.{k}": v for k, v in VACATION_INPUTS.items()}
    response = client.post(f"/apps/{app.uid}/", values)
    assert _answer(response) == expected
    assert Execution.objects.filter(app=app).count() == (1 if expected == "ok" else 0)


def _view(world, client, app, expected):
    execution = _paused_execution(world, app)
    response = client.get(f"/apps/{app.uid}/executions/{execution.kestra_id}/")
    assert _answer(response) == expected
    if expected == "ok":
        assert (
            "Approval needed" in response.content.decode() or "waiting" in response.content.decode()
        )


def _download(world, client, app, expected):
    execution = _paused_execution(world, app)
    path = execution.task_outputs["summary"]["uri"]
    response = client.get(
        f"/apps/{app.uid}/executions/{execution.kestra_id}/files/", {"path": path}
    )
    assert _answer(response) == expected
    if expected == "ok":
        assert b"Lin asks for 2027-01-04" in b"".join(response.streaming_content)


def _resume(world, client, app, expected, submitter: Client | None = None):
    execution = _paused_execution(world, app, submitter)
    url = f"/apps/{app.uid}/executions/{execution.kestra_id}/resume/"
    response = client.post(url, {"input.approved": "true", "input.comment": "ok"})
    assert _answer(response) == expected
    done = expected == "ok"
    assert Decision.objects.filter(execution=execution, action="RESUME").exists() == done
    if done:
        _wait_state(world["kestra"], execution.kestra_id, {"RESTARTED", "RUNNING", "SUCCESS"})
    else:
        assert _state(world["kestra"], execution.kestra_id) == "PAUSED"


def _resume_own(world, client, app, expected):
    _resume(world, client, app, expected, submitter=client)


def _cancel(world, client, app, expected):
    execution = _paused_execution(world, app)
    response = client.post(f"/apps/{app.uid}/executions/{execution.kestra_id}/cancel/")
    assert _answer(response) == expected
    done = expected == "ok"
    assert Decision.objects.filter(execution=execution, action="CANCEL").exists() == done
    if done:
        _wait_state(world["kestra"], execution.kestra_id, {"KILLING", "KILLED"})
    else:
        assert _state(world["kestra"], execution.kestra_id) == "PAUSED"


def _audit(world, client, app, expected):
    assert _answer(client.get("/admin/executions/decision/")) == expected


def _change_app(world, client, app, expected):
    private = world["PRIVATE"]
    url = f"/admin/apps_catalog/app/{private.pk}/change/"
    assert _answer(client.get(url)) == expected
    source = private.source.replace("displayName: Vacation requests", "displayName: Time off")
    response = client.post(url, {"source": source})
    assert _answer(response) == expected
    private.refresh_from_db()
    assert (private.display_name == "Time off") == (expected == "ok")


ACTIONS = {
    "catalog lists the app": _catalog,
    "open app": _open,
    "submit": _submit,
    "view execution": _view,
    "download a file": _download,
    "resume": _resume,
    "cancel": _cancel,
    "resume someone else's": _resume,
    "cancel someone else's": _cancel,
    "resume own (same browser)": _resume_own,
    "read the audit record": _audit,
    "change an app": _change_app,
}
