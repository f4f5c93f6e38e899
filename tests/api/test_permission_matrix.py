"""Every API endpoint × every persona: the status each one gets and what it does, as data.

Each cell asserts the status, then the effect: for a case with an `effect` carried out
(2xx), the App rows, the emulator's execution and the Decision rows it leaves (EFFECTS);
for every other cell, refused or read-only, that the App, Execution and Decision rows and
the emulator's paused executions are as they were. The listings (catalog, tags, search)
assert exactly what they list, with the expectations of tests/api/test_guards.py.

The same data is rendered into docs/permissions-api.md; a test fails (and writes the new
table) when the document and the matrix differ, so the document cannot drift.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import policy
from api.tokens import dispatch_token, stream_token
from apps_catalog.models import App
from apps_catalog.services import app_save_source, app_set_enabled
from executions import services
from executions.adoption import execution_adopt
from executions.models import Decision, Execution
from tests import kestra_http
from tests.personas import grant_use

from .conftest import PERSONAS, TENANT, Persona, app_yaml
from .test_guards import CATALOG, OPEN_VACATION, TAGS

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions-api.md"
BASE = f"/api/v1/{TENANT}/apps"
MANAGE = {"anonymous": 401, "outsider": 403, "member": 403, "direct": 403}
VISITORS = dict.fromkeys(PERSONAS, 200)
LOGGED_IN = {**VISITORS, "anonymous": 401}
PRIVATE_USE = {
    "anonymous": 401, "outsider": 404, "member": 200, "direct": 200, "manager": 404,
    "superuser": 200,
}  # fmt: skip
# On a public app, someone else's execution: only those granted the app open it.
SOMEONE_ELSES = {
    "anonymous": 404, "outsider": 404, "member": 404, "direct": 200, "manager": 404,
    "superuser": 200,
}  # fmt: skip
OPENS_EVERY = (
    "`use_app` granted, or the person (or browser session) who submitted it, or a signed"
    " link (`link`) naming it; else 404, as if it did not exist"
)


@dataclass(frozen=True)
class Case:
    action: str
    method: str
    path: str  # {public}, {private}, {create_public}, ... filled in from the data
    expected: dict[str, int]
    body: str = ""  # "yaml", "yaml_public", "uids", "upload", "vacation", "dataset",
    # "decision" or ""
    rule: str = ""
    effect: str = ""  # a key of EFFECTS: what a 2xx does; "" for what changes nothing


def managing(code: int) -> dict[str, int]:
    return {**MANAGE, "manager": code, "superuser": code}


CASES = [
    Case("Create an app", "POST", "", managing(200), "yaml", "`add_app`", "created"),
    Case(
        "Get an app's source", "GET", "/{public}", managing(200), rule="`view_app` or `change_app`"
    ),
    Case(
        "Update an app", "PUT", "/{public}", managing(200), "yaml_public", "`change_app`", "updated"
    ),
    Case(
        "Delete an app", "DELETE", "/{public}", managing(204), rule="`delete_app`", effect="deleted"
    ),
    Case("Enable an app", "POST", "/{public}/enable", managing(200), "", "`change_app`", "enabled"),
    Case(
        "Disable an app", "POST", "/{public}/disable", managing(200), "", "`change_app`", "disabled"
    ),
    Case("Delete apps (bulk)", "DELETE", "", managing(200), "uids", "`delete_app`", "deleted"),
    Case("Enable apps (bulk)", "POST", "/enable", managing(200), "uids", "`change_app`", "enabled"),
    Case(
        "Disable apps (bulk)", "POST", "/disable", managing(200), "uids", "`change_app`", "disabled"
    ),
    Case("Export apps", "POST", "/export", managing(200), "uids", "`view_app` or `change_app`"),
    Case(
        "Import apps",
        "POST",
        "/import",
        managing(200),
        "upload",
        "`add_app` and `change_app`",
        "imported",
    ),
    Case(
        "Search apps",
        "GET",
        "/search",
        managing(200),
        rule="`view_app` or `change_app`",
        effect="search",
    ),
    Case("Preview an unsaved app", "POST", "/preview", managing(200), "yaml", "`add_app`"),
    Case(
        "Catalog",
        "GET",
        "/catalog",
        LOGGED_IN,
        rule="logged in; lists what they may use",
        effect="catalog",
    ),
    Case("Tags", "GET", "/tags", LOGGED_IN, rule="logged in", effect="tags"),
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
        "submitted",
    ),
    Case(
        "Submit to a private app (dispatch create)",
        "POST",
        "/view/{private}/dispatch/{create_private}",
        PRIVATE_USE,
        "vacation",
        "`use_app` on it",
        "submitted",
    ),
    Case(
        "Resume a paused request on a private app",
        "POST",
        "/view/{private}/dispatch/{resume_paused_private}",
        PRIVATE_USE,
        "decision",
        "`use_app` on it",
        "resumed",
    ),
    Case(
        "Cancel a paused request on a private app",
        "POST",
        "/view/{private}/dispatch/{cancel_paused_private}",
        PRIVATE_USE,
        rule="`use_app` on it",
        effect="cancelled",
    ),
    Case(
        "Resume someone else's paused request on a public app",
        "POST",
        "/view/{open}/dispatch/{resume_paused_open}",
        SOMEONE_ELSES,
        "decision",
        "`use_app` granted, or the person (or browser session) who submitted it",
        "resumed",
    ),
    Case(
        "Cancel someone else's paused request on a public app",
        "POST",
        "/view/{open}/dispatch/{cancel_paused_open}",
        SOMEONE_ELSES,
        rule="`use_app` granted, or the person (or browser session) who submitted it",
        effect="cancelled",
    ),
    Case(
        "Cancel someone else's request on a public app",
        "POST",
        "/view/{public}/dispatch/{cancel_public}",
        {**SOMEONE_ELSES, "direct": 422, "superuser": 422},
        rule="`use_app` granted, or the person (or browser session) who submitted it",
    ),
    Case(
        "View someone else's execution on a public app",
        "GET",
        "/view/{public}?executionId={public_execution}",
        SOMEONE_ELSES,
        rule=OPENS_EVERY,
    ),
    Case(
        "View someone else's execution on a public app through its signed link",
        "GET",
        "/view/{public}?executionId={public_execution}&link={public_link}",
        VISITORS,
        rule=OPENS_EVERY,
    ),
    Case(
        "Follow someone else's stream on a public app",
        "GET",
        "/view/{public}/streams/{stream_public}",
        SOMEONE_ELSES,
        rule=OPENS_EVERY,
    ),
    Case(
        "Download someone else's logs on a public app",
        "GET",
        "/view/{public}/logs/download?executionId={public_execution}",
        SOMEONE_ELSES,
        rule=OPENS_EVERY,
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


DECISION = {"approved": "true", "comment": "Fine"}
# What each create body sends, as the form's fields.
SUBMITTED = {
    "dataset": {"dataset": "stores", "rows": "3"},
    "vacation": {
        "request.name": "Ada",
        "request.start_date": "2025-07-01",
        "request.end_date": "2025-07-02",
    },
}
UPDATED = "Request a dataset, updated"
# The matrix's own apps, a subset of tests/api/test_guards.py's catalog world: what the
# guards list of them is what the matrix lists.
MATRIX_APPS = {"Request a dataset", "Vacation requests"}
MATRIX_TAGS = {"Analytics", "HR", "Reporting"}


class Places(dict[str, str]):
    """The values a case's path names, each made when a path first names it: a paused
    execution costs a run in the emulator, so only the cells that act on one start it."""

    def __init__(self, apps: dict[str, Any], kestra: str, grantee: User | None) -> None:
        super().__init__()
        self.apps, self.kestra, self.grantee = apps, kestra, grantee
        self.made: dict[str, Execution] = {}
        self.makers: dict[str, Callable[[], str]] = {
            "public": lambda: apps["public"].uid,
            "private": lambda: apps["private"].uid,
            "open": lambda: self.app_open().uid,
            "create_public": lambda: dispatch_token("create", apps["public"], None),
            "create_private": lambda: dispatch_token("create", apps["private"], None),
            "cancel_public": lambda: self.token("cancel", "public", self.finished),
            "cancel_private": lambda: self.token("cancel", "private", self.finished),
            "stream_private": lambda: stream_token(apps["private"], self.finished("private")),
            "private_execution": lambda: self.finished("private").kestra_id or "",
            "stream_public": lambda: stream_token(apps["public"], self.finished("public")),
            "public_execution": lambda: self.finished("public").kestra_id or "",
            "public_link": lambda: policy.execution_link(self.finished("public")),
            "resume_paused_private": lambda: self.token("resume", "private", self.paused),
            "cancel_paused_private": lambda: self.token("cancel", "private", self.paused),
            "resume_paused_open": lambda: self.token("resume", "open", self.paused),
            "cancel_paused_open": lambda: self.token("cancel", "open", self.paused),
        }

    def __missing__(self, key: str) -> str:
        value = self[key] = self.makers[key]()
        return value

    def app_open(self) -> App:
        """A public app on the vacation flow, which pauses; granted to `direct` only."""
        if "open" not in self.apps:
            self.apps["open"], _ = app_save_source(source=OPEN_VACATION)
            grant_use(self.grantee, self.apps["open"])
        return self.apps["open"]

    def token(self, action: str, app: str, execution: Callable[[str], Execution]) -> str:
        return dispatch_token(action, self.apps[app], execution(app))

    def finished(self, app: str) -> Execution:
        """A request of someone else's on the app that is over."""
        if f"finished {app}" not in self.made:
            self.made[f"finished {app}"] = Execution.objects.create(
                app=self.apps[app],
                kestra_id=f"{app.capitalize()}Done".ljust(20, "0"),
                delivery=Execution.Delivery.DELIVERED,
                state="SUCCESS",
                stage="SUCCESS",
                session_key="someone-elses-session",
            )
        return self.made[f"finished {app}"]

    def paused(self, app: str) -> Execution:
        """A vacation request started in Kestra, waiting there for a decision, tracked as a
        worker tracks it (one poll, in-process)."""
        if f"paused {app}" not in self.made:
            kestra_id = kestra_http.start_paused(
                self.kestra, "demo", "vacation_request", kestra_http.VACATION
            )
            execution = execution_adopt(
                app=self.app_open() if app == "open" else self.apps[app], kestra_id=kestra_id
            )
            assert execution is not None
            services.execution_poll(execution_id=execution.pk)
            execution.refresh_from_db()
            assert execution.stage == "PAUSE"
            self.made[f"paused {app}"] = execution
        return self.made[f"paused {app}"]


@pytest.fixture
def places(apps: dict[str, Any], personas: dict[str, Persona], kestra: str) -> Places:
    return Places(apps, kestra, personas["direct"].user)


def _request(client: Client, case: Case, path: str, apps: dict[str, Any], headers: dict) -> Any:
    body = case.body
    if body in {"yaml", "yaml_public"}:
        source = app_yaml() if body == "yaml" else _updated(apps["public"].source)
        return client.generic(case.method, path, source, "application/x-yaml", headers=headers)
    if body == "uids":
        data = json.dumps({"uids": [apps["public"].uid]})
        return client.generic(case.method, path, data, "application/json", headers=headers)
    if body == "upload":
        upload = SimpleUploadedFile("apps.yml", app_yaml("imported").encode())
        return client.post(path, {"fileUpload": upload}, headers=headers)
    if body in SUBMITTED:
        return client.post(path, SUBMITTED[body], headers=headers)
    if body == "decision":
        return client.post(path, DECISION, headers=headers)
    response = client.generic(case.method, path, headers=headers)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _updated(source: str) -> str:
    return source.replace("displayName: Request a dataset", f"displayName: {UPDATED}")


# --- What a cell leaves behind --------------------------------------------------------------


def _snapshot(places: Places) -> dict[str, Any]:
    """The rows an action could change, and the emulator's paused executions."""
    return {
        "apps": {
            app_id: (enabled, *_said(source))
            for app_id, enabled, source in App.objects.values_list("app_id", "enabled", "source")
        },
        "executions": sorted(Execution.objects.values_list("token", "stage", "state")),
        "decisions": list(Decision.objects.values_list("pk", flat=True)),
        "kestra": {
            execution.kestra_id: kestra_http.history(places.kestra, execution.kestra_id or "")
            for key, execution in places.made.items()
            if key.startswith("paused")
        },
    }


def _said(source: str) -> tuple[bool, dict[str, Any]]:
    """Whether the source says `disabled`, and the rest of what it says."""
    definition = yaml.safe_load(source)
    return bool(definition.pop("disabled", False)), definition


def _flat(inputs: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Kestra's nested inputs ({"request": {"name": ...}}) as the form sent them."""
    flat: dict[str, str] = {}
    for key, value in inputs.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


@dataclass(frozen=True)
class Effect:
    said: str  # what docs/permissions-api.md says it does
    check: Callable[[Case, Persona, Places, dict[str, Any], Any], None]


def _apps_then(change: Callable[[dict, Places], None]) -> Callable[..., None]:
    """An effect on App rows only: the snapshot before, changed by `change`, is the after."""

    def check(case: Case, persona: Persona, places: Places, before: dict, response: Any) -> None:
        expected = {**before, "apps": dict(before["apps"])}
        change(expected["apps"], places)
        assert _snapshot(places) == expected

    return check


def _public_id(places: Places) -> str:
    return str(places.apps["public"].app_id)


def _created(apps: dict, places: Places) -> None:
    apps["api_made"] = (True, *_said(app_yaml()))


def _imported(apps: dict, places: Places) -> None:
    apps["imported"] = (True, *_said(app_yaml("imported")))


def _updated_app(apps: dict, places: Places) -> None:
    enabled, disabled, definition = apps[_public_id(places)]
    apps[_public_id(places)] = (enabled, disabled, {**definition, "displayName": UPDATED})
    assert App.objects.get(app_id=_public_id(places)).display_name == UPDATED


def _deleted(apps: dict, places: Places) -> None:
    del apps[_public_id(places)]


def _switched(enabled: bool) -> Callable[[dict, Places], None]:
    def change(apps: dict, places: Places) -> None:
        apps[_public_id(places)] = (enabled, not enabled, apps[_public_id(places)][2])

    return change


def _submitted(case: Case, persona: Persona, places: Places, before: dict, response: Any) -> None:
    """One new request, by this person, that reaches Kestra with what was sent once a worker
    delivers it (in-process here)."""
    new = Execution.objects.exclude(token__in=[t for t, _, _ in before["executions"]])
    execution = new.get()
    app = places.apps["private" if case.body == "vacation" else "public"]
    assert (execution.app, execution.submitted_by) == (app, persona.user)
    delivered = services.execution_deliver(execution_id=execution.pk)
    assert delivered is not None and delivered.kestra_id
    in_kestra = kestra_http.execution(places.kestra, delivered.kestra_id)
    assert (in_kestra["namespace"], in_kestra["flowId"]) == (app.namespace, app.flow_id)
    sent = SUBMITTED[case.body]
    assert {k: v for k, v in _flat(in_kestra["inputs"]).items() if k in sent} == sent


def _decided(action: str) -> Callable[..., None]:
    """Kestra moved on once (resumed) or killed it (cancelled); one Decision says who."""

    def check(case: Case, persona: Persona, places: Places, before: dict, response: Any) -> None:
        [execution] = [e for key, e in places.made.items() if key.startswith("paused")]
        kestra_id = execution.kestra_id or ""
        if action == "RESUME":
            kestra_http.wait_for(places.kestra, kestra_id, {"SUCCESS"})
            assert kestra_http.moved_on_once(places.kestra, kestra_id)
            values = DECISION
        else:
            kestra_http.wait_for(places.kestra, kestra_id, {"KILLED"})
            assert "RESTARTED" not in kestra_http.history(places.kestra, kestra_id)
            values = {}
        decision = Decision.objects.get()
        assert persona.user is not None
        assert (decision.execution, decision.action, decision.values) == (execution, action, values)
        assert (decision.user, decision.username) == (persona.user, persona.user.username)

    return check


def _listing(case: Case, persona: Persona, places: Places, before: dict, response: Any) -> None:
    """Exactly what tests/api/test_guards.py says this person's catalog or tags list, of
    the matrix's own apps; a manager's search, every app."""
    body = response.json()
    if case.effect == "catalog":
        names = [item["name"] for item in body["results"]]
        assert body["total"] == len(names)
        assert names == [n for n in CATALOG[persona.name] if n in MATRIX_APPS]
    elif case.effect == "tags":
        assert body == {"tags": [t for t in TAGS[persona.name] if t in MATRIX_TAGS]}
    else:
        assert {app["id"] for app in body["results"]} == set(before["apps"])
    assert _snapshot(places) == before


EFFECTS = {
    "created": Effect("the app is stored, enabled, as sent", _apps_then(_created)),
    "imported": Effect("the file's app is stored, enabled", _apps_then(_imported)),
    "updated": Effect("the app's source is the one sent", _apps_then(_updated_app)),
    "deleted": Effect("the app is gone", _apps_then(_deleted)),
    "enabled": Effect("the (disabled) app is enabled", _apps_then(_switched(True))),
    "disabled": Effect("the app is disabled", _apps_then(_switched(False))),
    "submitted": Effect(
        "one request by this person; delivered, Kestra runs it with the inputs sent", _submitted
    ),
    "resumed": Effect(
        "Kestra resumes it exactly once; a RESUME decision names the person and the values",
        _decided("RESUME"),
    ),
    "cancelled": Effect(
        "Kestra kills it, never resumed; a CANCEL decision names the person", _decided("CANCEL")
    ),
    "catalog": Effect("exactly the apps they may use (as tests/api/test_guards.py)", _listing),
    "tags": Effect("exactly the tags of those apps (as tests/api/test_guards.py)", _listing),
    "search": Effect("every app", _listing),
}
NOTHING = "nothing changes"


@pytest.mark.django_db
@pytest.mark.parametrize("persona_name", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=[c.action for c in CASES])
def test_matrix(
    case: Case, persona_name: str, personas: dict[str, Persona], apps, places, kestra, settings
) -> None:
    settings.API_STREAM_POLL_SECONDS = 0.01
    persona = personas[persona_name]
    if case.effect == "enabled":
        app_set_enabled(app=apps["public"], enabled=False)
    path = BASE + case.path.format_map(places)
    before = _snapshot(places)
    response = _request(Client(), case, path, apps, persona.headers)
    assert response.status_code == case.expected[persona_name], f"{case.action} as {persona_name}"
    if case.effect and response.status_code < 300:
        EFFECTS[case.effect].check(case, persona, places, before, response)
    else:
        assert _snapshot(places) == before, f"{case.action} as {persona_name} changed something"


def _generic(path: str) -> str:
    """The path as the API documents it: {uid}, {dispatch}, {stream}."""
    path = path.split("?")[0]
    path = re.sub(r"\{(public|private|open)\}", "{uid}", path)
    path = re.sub(r"\{(create|cancel|resume)_\w+\}", "{dispatch}", path)
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
        "`data_request`, the private one `vacation_approval`; the paused requests are the",
        "vacation flow's, on the private app or on a public app on the same flow granted to",
        "**direct** only, started in Kestra by someone else.",
        "",
        "Codes: 200/204 done; 401 credentials needed; 403 known but not allowed; 404 an app",
        "this person may not use is not found (as on the web pages); 422 allowed, but the",
        "request is over and cannot be cancelled any more (Kestra's app-error).",
        "",
        "On a public app, someone not granted it opens (views, follows, downloads from, acts",
        "on) only the executions they submitted, as this user or from this browser session,",
        "or one a signed link names (`link`, as on the execution's page): anything else is",
        "404, as if it did not exist, and nothing is adopted from Kestra for them.",
        "",
        "Effect: what every 200/204 cell checks it did, in the App, Execution and Decision",
        "rows and in Kestra (the emulator); every other cell checks that nothing changed,",
        "and so do the cells of actions without an effect, which only read.",
        "",
        "| action | endpoint | rule | effect | " + " | ".join(PERSONAS) + " |",
        "| --- | --- | --- | --- | " + " | ".join("---" for _ in PERSONAS) + " |",
    ]
    for case in CASES:
        endpoint = f"`{case.method} /api/v1/{{tenant}}/apps{_generic(case.path)}`"
        effect = EFFECTS[case.effect].said if case.effect else NOTHING
        cells = " | ".join(str(case.expected[p]) for p in PERSONAS)
        lines.append(f"| {case.action} | {endpoint} | {case.rule} | {effect} | {cells} |")
    return "\n".join(lines) + "\n"


def test_the_doc_is_the_matrix() -> None:
    expected = render_doc()
    if not DOC.exists() or DOC.read_text() != expected:
        DOC.write_text(expected)
        pytest.fail(f"{DOC} did not match the matrix; it has been rewritten: commit it")
