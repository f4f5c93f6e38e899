"""The REST API's guards, judged by what a caller and Kestra would notice: an execution of
one app is out of reach through another app, a decision is taken once, a SECRET decided
on never comes back, the submission limit holds, and the catalog lists exactly what each
person may use.

Only public doors: the API through Django's test client, the emulator over HTTP, and the
rows of App, Execution and Decision. Dispatch and stream tokens for a crafted target are
signed as the API signs them (api.tokens), as the permission matrix does.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from guardian.shortcuts import assign_perm

from accounts.models import ApiToken
from api.tokens import dispatch_token, stream_token
from apps_catalog.services import app_save_source
from executions import services
from executions.models import Decision, Execution
from tests import kestra_http

from .conftest import PERSONAS, TENANT, Persona, listed, names

pytestmark = pytest.mark.django_db

BASE = f"/api/v1/{TENANT}/apps"
APP_ERROR = "https://kestra.io/docs/api-reference/problems/app-error"
NOT_PAUSED = "This request is not waiting for a decision any more."
NOT_CANCELLABLE = "This request can no longer be cancelled."
OPEN_VACATION = """id: open_vacation
type: io.kestra.plugin.ee.apps.Execution
displayName: Vacation requests (public)
namespace: demo
flowId: vacation_request
access: PUBLIC
"""


def _token_of(user: User) -> dict[str, str]:
    _, raw = ApiToken.objects.issue(user=user, name="tests")
    return {"Authorization": f"Bearer {raw}"}


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _block(view: dict, name: str) -> dict:
    return next(b for b in view["layout"]["blocks"] if b["type"].rsplit(".", 1)[-1] == name)


def _view_of(headers: dict, app, kestra_id: str) -> dict:
    response = Client().get(f"{BASE}/view/{app.uid}", {"executionId": kestra_id}, headers=headers)
    assert response.status_code == 200, response.content
    return dict(response.json())


@pytest.fixture
def world(kestra: str, personas: dict[str, Persona], apps: dict[str, Any]) -> dict:
    """A: the private vacation app (group HR, which the member is in). B: a public app on
    the same flow, and Bea, who is granted B and nothing else."""
    app_b, _ = app_save_source(source=OPEN_VACATION)
    bea = User.objects.create_user("bea", password="pw-bea-12")
    assign_perm("apps_catalog.use_app", bea, app_b)
    return {
        "A": apps["private"],
        "B": app_b,
        "bea": _token_of(bea),
        "member": personas["member"].headers,
        "kestra": kestra,
    }


def _paused_of_a(world: dict) -> Execution:
    """A vacation request waiting in Kestra, opened once through the API by its approver."""
    kestra_id = kestra_http.start_paused(
        world["kestra"], "demo", "vacation_request", kestra_http.VACATION
    )
    view = _view_of(world["member"], world["A"], kestra_id)
    assert view["stage"] == "PAUSE" and view["executionId"] == kestra_id
    execution = Execution.objects.get(kestra_id=kestra_id, app=world["A"], stage="PAUSE")
    services.execution_poll(execution_id=execution.pk)  # what a worker does next
    execution.refresh_from_db()
    return execution


# --- 1. An execution of app A is out of reach through app B --------------------------------


@pytest.mark.parametrize("persona", ["anonymous", "bea"])
def test_it_refuses_an_execution_of_another_app_on_every_endpoint(world, settings, persona) -> None:
    settings.API_STREAM_SECONDS = 0.5  # a stream that wrongly opens still ends
    settings.API_STREAM_POLL_SECONDS = 0.05
    execution = _paused_of_a(world)
    before = kestra_http.history(world["kestra"], execution.kestra_id)
    app_b, kestra_id = world["B"], execution.kestra_id
    summary = execution.task_outputs["summary"]["uri"]
    view = f"{BASE}/view/{app_b.uid}"
    headers = {} if persona == "anonymous" else world["bea"]
    client = Client()
    answers = {}
    for method, path, data in [
        ("get", view, {"executionId": kestra_id}),
        ("get", f"{view}/streams/{stream_token(app_b, execution)}", {}),
        ("get", f"{view}/logs/download", {"executionId": kestra_id}),
        ("get", f"{view}/file/meta", {"path": summary}),
        ("get", f"{view}/file/meta", {"path": summary, "executionId": kestra_id}),
        ("get", f"{view}/file/preview", {"path": summary, "executionId": kestra_id}),
        ("get", f"{view}/file/download", {"path": summary, "executionId": kestra_id}),
        (
            "post",
            f"{view}/dispatch/{dispatch_token('resume', app_b, execution)}",
            {"approved": "false", "comment": "no"},
        ),
        ("post", f"{view}/dispatch/{dispatch_token('cancel', app_b, execution)}", {}),
    ]:
        response = getattr(client, method)(path, data, headers=headers)
        answers[f"{method} {path.removeprefix(view)[:20]} {sorted(data)}"] = (
            response.status_code,
            b"Zebulon" in _body(response),
        )
    assert answers == dict.fromkeys(answers, (404, False))
    assert kestra_http.history(world["kestra"], kestra_id) == before
    assert before[-1] == "PAUSED"
    assert not Decision.objects.exists()
    execution.refresh_from_db()
    assert execution.stage == "PAUSE" and execution.app == world["A"]


# --- 2. A second decision ------------------------------------------------------------------


def _dispatch(world: dict, view: dict, button: str, data: dict[str, str]) -> Any:
    token = _block(view, button)["dispatch"]
    url = f"{BASE}/view/{world['A'].uid}/dispatch/{token}"
    return Client().post(url, data, headers=world["member"])


def _refusal(response: Any) -> str:
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["type"] == APP_ERROR
    return str(problem["detail"])


def test_it_refuses_a_second_resume_and_kestra_resumes_once(world) -> None:
    execution = _paused_of_a(world)
    paused = _view_of(world["member"], world["A"], execution.kestra_id)
    approve = {"approved": "true", "comment": "Fine"}
    first = _dispatch(world, paused, "ResumeExecutionButton", approve)
    assert first.status_code == 200 and first.json()["stage"] == "RESUME"
    again = _dispatch(world, paused, "ResumeExecutionButton", {"approved": "false"})
    assert NOT_PAUSED in _refusal(again)
    kestra_http.wait_for(world["kestra"], execution.kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(world["kestra"], execution.kestra_id)
    decision = Decision.objects.get()
    assert (decision.action, decision.label, decision.values) == ("RESUME", "Approve", approve)


def test_it_refuses_a_cancel_or_resume_once_the_request_is_over(world) -> None:
    execution = _paused_of_a(world)
    paused = _view_of(world["member"], world["A"], execution.kestra_id)
    approve = {"approved": "true", "comment": "Fine"}
    assert _dispatch(world, paused, "ResumeExecutionButton", approve).status_code == 200
    # The portal hears of the end as its worker's next poll would store it.
    state = kestra_http.wait_for(world["kestra"], execution.kestra_id, {"SUCCESS"})
    Execution.objects.filter(pk=execution.pk).update(state=state, stage=state)
    before = kestra_http.history(world["kestra"], execution.kestra_id)

    assert NOT_CANCELLABLE in _refusal(_dispatch(world, paused, "CancelExecutionButton", {}))
    assert NOT_PAUSED in _refusal(_dispatch(world, paused, "ResumeExecutionButton", approve))

    assert kestra_http.history(world["kestra"], execution.kestra_id) == before
    assert list(Decision.objects.values_list("action", flat=True)) == ["RESUME"]


def test_it_refuses_a_stale_resume_when_kestra_paused_again(own_kestra) -> None:
    """A flow with two pauses: the first decision's token sent again must not answer the
    second pause, which the portal has not shown anyone yet."""
    app, _ = app_save_source(source=kestra_http.app_on("two_step"))
    root = _token_of(User.objects.create_superuser("root", password="pw-root-12"))
    kestra_id = kestra_http.start_paused(own_kestra, "test", "two_step", {})
    resume = _block(_view_of(root, app, kestra_id), "ResumeExecutionButton")["dispatch"]
    url = f"{BASE}/view/{app.uid}/dispatch/{resume}"
    assert Client().post(url, {"approved": "true"}, headers=root).status_code == 200
    kestra_http.wait_for(own_kestra, kestra_id, {"PAUSED"})
    before = kestra_http.history(own_kestra, kestra_id)
    assert before.count("PAUSED") == 2 and before.count("RESTARTED") == 1

    assert NOT_PAUSED in _refusal(Client().post(url, {"approved": "true"}, headers=root))
    assert kestra_http.history(own_kestra, kestra_id) == before
    assert Decision.objects.count() == 1


# --- 3. A SECRET decided on ----------------------------------------------------------------

PASSPHRASE = kestra_http.PASSPHRASE


def test_it_keeps_a_secret_decided_on_out_of_the_record_and_the_answers(own_kestra) -> None:
    app, _ = app_save_source(source=kestra_http.app_on("signed_approval", button="Sign"))
    root = _token_of(User.objects.create_superuser("root", password="pw-root-12"))
    kestra_id = kestra_http.start_paused(own_kestra, "test", "signed_approval", {})
    paused = _view_of(root, app, kestra_id)
    sign = _block(paused, "ResumeExecutionButton")["dispatch"]

    resumed = Client().post(
        f"{BASE}/view/{app.uid}/dispatch/{sign}",
        {"approved": "true", "passphrase": PASSPHRASE},
        headers=root,
    )
    assert resumed.status_code == 200 and PASSPHRASE not in resumed.content.decode()
    # Kestra got the value itself, not the mask: the flow's check passed.
    assert kestra_http.wait_for(own_kestra, kestra_id, {"SUCCESS", "FAILED"}) == "SUCCESS"
    decision = Decision.objects.get()
    assert (decision.label, decision.values) == (
        "Sign",
        {"approved": "true", "passphrase": "******"},
    )
    again = Client().get(f"{BASE}/view/{app.uid}", {"executionId": kestra_id}, headers=root)
    assert again.status_code == 200 and PASSPHRASE not in again.content.decode()


# --- 4. The submission limit ---------------------------------------------------------------


def test_it_refuses_a_dispatch_past_the_limit_and_says_when_to_come_back(
    settings, kestra, apps
) -> None:
    settings.SUBMISSION_RATE_LIMIT = "1/h"
    cache.clear()
    uid = apps["public"].uid
    client = Client()
    create = client.get(f"{BASE}/view/{uid}").json()["dispatch"]
    url = f"{BASE}/view/{uid}/dispatch/{create}"
    data = {"dataset": "stores", "since": "2025-03-04", "rows": "5"}
    assert client.post(url, data).status_code == 200
    earliest = 3600 - int(time.time()) % 3600
    refused = client.post(url, data)
    latest = 3600 - int(time.time()) % 3600
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    # The rest of the hour the first submission opened, counted in whole seconds.
    assert latest <= wait <= earliest
    assert refused.json()["detail"] == f"Too many submissions; try again in {wait} s."
    assert Execution.objects.count() == 1


# --- 5. What the catalog and the tags list, persona by persona -----------------------------


def _guarded(app_id: str, access: str, tag: str, extra: str = "") -> str:
    return (
        f"id: {app_id}\n"
        "type: io.kestra.plugin.ee.apps.Execution\n"
        f"displayName: Guarded {app_id}\n"
        "description: A guarded app\n"
        "namespace: demo\n"
        "flowId: data_request\n"
        f"access: {access}\n"
        f"tags: [{tag}]\n"
        f"{extra}"
    )


EXTRA_APPS = {
    "gone": _guarded("gone", "PUBLIC", "Gone", "disabled: true\n"),
    "past": _guarded("past", "PUBLIC", "Past", "expiration: {endDate: 2020-01-01T00:00:00Z}\n"),
    "future": _guarded(
        "future", "PUBLIC", "Future", "expiration: {startDate: 2999-01-01T00:00:00Z}\n"
    ),
    "hidden": _guarded("hidden", "{type: PUBLIC, catalog: false}", "Hidden"),
    "mine": _guarded("mine", "PRIVATE", "Mine"),  # granted to `direct` only
    "locked": _guarded("locked", "PRIVATE", "Locked"),  # granted to nobody
    "quiet": _guarded("quiet", "{type: PRIVATE, groups: [HR], catalog: false}", "Quiet"),
    "shelved": _guarded("shelved", "{type: PRIVATE, groups: [HR]}", "Shelved", "disabled: true\n"),
}
EVERY_TAG = [
    "Analytics", "Future", "Gone", "HR", "Hidden", "Locked", "Mine", "Past", "Quiet",
    "Reporting", "Shelved",
]  # fmt: skip
# public = data_request ("Request a dataset"), private = vacation_approval (group HR).
CATALOG = {
    "outsider": ["Request a dataset"],
    "member": ["Request a dataset", "Vacation requests"],
    "direct": ["Guarded mine", "Request a dataset", "Vacation requests"],
    "manager": ["Request a dataset"],
    "superuser": ["Guarded locked", "Guarded mine", "Request a dataset", "Vacation requests"],
}
TAGS = {
    "outsider": ["Analytics", "Reporting"],
    "member": ["Analytics", "HR", "Reporting"],
    "direct": ["Analytics", "HR", "Mine", "Reporting"],
    "manager": EVERY_TAG,  # managers tag apps, so they pick from every tag
    "superuser": EVERY_TAG,
}


@pytest.fixture
def catalog_world(apps: dict[str, Any], personas: dict[str, Persona]) -> dict[str, Any]:
    made = {name: app_save_source(source=source)[0] for name, source in EXTRA_APPS.items()}
    direct = personas["direct"].user
    assert direct is not None
    assign_perm("apps_catalog.use_app", direct, made["mine"])
    return {**apps, **made}


@pytest.mark.parametrize("name", [p for p in PERSONAS if p != "anonymous"])
def test_it_lists_exactly_the_apps_and_tags_each_person_may_use(
    catalog_world, personas, name
) -> None:
    persona = personas[name]
    assert names(listed(persona, "catalog")) == CATALOG[name]
    assert listed(persona, "tags") == {"tags": TAGS[name]}
    # Searching finds nothing more than the catalog holds.
    guarded = [n for n in CATALOG[name] if n.startswith("Guarded")]
    assert names(listed(persona, "catalog", {"q": "guarded"})) == guarded
    for tag in EVERY_TAG:
        found = names(listed(persona, "catalog", {"tags": tag}))
        assert set(found) <= set(CATALOG[name]), tag
    expected_locked = ["Guarded locked"] if name == "superuser" else []
    assert names(listed(persona, "catalog", {"tags": "Locked"})) == expected_locked


def test_it_lists_nothing_to_an_anonymous_caller(catalog_world, personas) -> None:
    for path in ("catalog", "tags", "catalog?q=guarded", "search"):
        response = Client().get(f"{BASE}/{path}")
        assert response.status_code == 401 and b"Guarded" not in response.content, path


@pytest.mark.parametrize("name", [p for p in PERSONAS if p != "anonymous"])
def test_the_api_catalog_is_the_web_catalog(catalog_world, personas, name) -> None:
    persona = personas[name]
    api = {item["uid"] for item in listed(persona, "catalog")["results"]}
    browser = Client()
    assert persona.user is not None
    browser.force_login(persona.user)
    html = browser.get("/apps/").content.decode()
    known = {app.uid for app in catalog_world.values()}
    web = set(re.findall(r'href="/apps/([A-Za-z0-9]+)/"', html)) & known
    assert api == web and len(api) == len(CATALOG[name])


@pytest.mark.parametrize("name", [p for p in PERSONAS if p != "anonymous"])
def test_the_managers_search_lists_every_app_and_no_one_elses(
    catalog_world, personas, name
) -> None:
    response = Client().get(f"{BASE}/search", {"size": "50"}, headers=personas[name].headers)
    if name not in {"manager", "superuser"}:
        assert response.status_code == 403 and b"Guarded" not in response.content
        return
    found = {app["id"] for app in response.json()["results"]}
    assert found == {app.app_id for app in catalog_world.values()}
    assert response.json()["total"] == len(catalog_world)
