"""The web pages' guards, judged by what a person and Kestra would notice: an execution of
one app is out of reach through another app, a decision is taken once, a SECRET decided
on never shows, and a refused submission says when to come back.

Only public doors: pages through Django's test client, the emulator over HTTP, and the
rows of Execution and Decision.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client
from guardian.shortcuts import assign_perm

from apps_catalog.services import app_save_source
from executions import services
from executions.models import Decision, Execution
from tests import kestra_http
from tests.conftest import import_example

pytestmark = pytest.mark.django_db

NOT_PAUSED = "This request is not waiting for a decision any more."
NOT_CANCELLABLE = "This request can no longer be cancelled."
OPEN_VACATION = """id: open_vacation
type: io.kestra.plugin.ee.apps.Execution
displayName: Vacation requests (public)
namespace: demo
flowId: vacation_request
access: PUBLIC
"""


@pytest.fixture
def world(kestra: str) -> dict:
    """A: the private vacation app (HR). B: a public app on the same flow, and Bea, who
    is granted B and nothing else. Mona approves for HR."""
    app_a = import_example("vacation_approval")
    app_b, _ = app_save_source(source=OPEN_VACATION)
    bea = User.objects.create_user("bea", password="pw-bea-12")
    assign_perm("apps_catalog.use_app", bea, app_b)
    mona = User.objects.create_user("mona", password="pw-mona-12")
    mona.groups.add(Group.objects.get(name="HR"))
    return {"A": app_a, "B": app_b, "bea": bea, "mona": mona, "kestra": kestra}


def _logged_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _paused_of_a(world: dict) -> Execution:
    """A vacation request waiting in Kestra, opened once by its approver (so tracked)."""
    kestra_id = kestra_http.start_paused(
        world["kestra"], "demo", "vacation_request", kestra_http.VACATION
    )
    page = _logged_in(world["mona"]).get(f"/apps/{world['A'].uid}/executions/{kestra_id}/")
    assert page.status_code == 200 and "Zebulon Quist" in page.content.decode()
    execution = Execution.objects.get(kestra_id=kestra_id, app=world["A"], stage="PAUSE")
    services.execution_poll(execution_id=execution.pk)  # what a worker does next
    execution.refresh_from_db()
    return execution


# --- 1. An execution of app A is out of reach through app B --------------------------------


@pytest.mark.parametrize("persona", ["anonymous", "bea"])
def test_it_refuses_an_execution_of_another_app_on_every_page(world, persona) -> None:
    execution = _paused_of_a(world)
    before = kestra_http.history(world["kestra"], execution.kestra_id)
    summary = execution.task_outputs["summary"]["uri"]
    through_b = f"/apps/{world['B'].uid}/executions/{execution.kestra_id}/"
    client = _logged_in(None if persona == "anonymous" else world["bea"])
    answers = {}
    for method, path, data in [
        ("get", "", {}),
        ("get", "live/", {}),
        ("get", "files/", {"path": summary}),
        ("get", "files/preview/", {"path": summary}),
        ("post", "resume/", {"input.approved": "false", "input.comment": "no"}),
        ("post", "cancel/", {}),
    ]:
        response = getattr(client, method)(through_b + path, data)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        answers[f"{method} {path}"] = (response.status_code, b"Zebulon" in body)
    assert answers == dict.fromkeys(answers, (404, False))
    assert kestra_http.history(world["kestra"], execution.kestra_id) == before
    assert before[-1] == "PAUSED"
    assert not Decision.objects.exists()
    execution.refresh_from_db()
    assert execution.stage == "PAUSE" and execution.app == world["A"]


# --- 2. A second decision ------------------------------------------------------------------


def _resume(client: Client, app, execution: Execution, approved: str = "true"):
    url = f"/apps/{app.uid}/executions/{execution.kestra_id}/resume/"
    return client.post(url, {"input.approved": approved, "input.comment": "Fine"})


def _cancel(client: Client, app, execution: Execution):
    return client.post(f"/apps/{app.uid}/executions/{execution.kestra_id}/cancel/")


def _as_the_worker_records_it(world: dict, execution: Execution) -> None:
    """The portal hears of the end as its worker's next poll would store it."""
    state = kestra_http.wait_for(world["kestra"], execution.kestra_id, {"SUCCESS", "FAILED"})
    Execution.objects.filter(pk=execution.pk).update(state=state, stage=state)


def test_it_refuses_a_second_resume_and_kestra_resumes_once(world) -> None:
    execution = _paused_of_a(world)
    mona = _logged_in(world["mona"])
    assert _resume(mona, world["A"], execution).status_code == 302
    again = _resume(mona, world["A"], execution, approved="false")
    assert again.status_code == 409 and NOT_PAUSED in again.content.decode()
    kestra_http.wait_for(world["kestra"], execution.kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(world["kestra"], execution.kestra_id)
    decision = Decision.objects.get()
    assert (decision.action, decision.user, decision.values) == (
        "RESUME",
        world["mona"],
        {"approved": "true", "comment": "Fine"},
    )


def test_it_refuses_a_cancel_or_resume_once_the_request_is_over(world) -> None:
    execution = _paused_of_a(world)
    mona = _logged_in(world["mona"])
    assert _resume(mona, world["A"], execution).status_code == 302
    _as_the_worker_records_it(world, execution)
    before = kestra_http.history(world["kestra"], execution.kestra_id)

    cancel = _cancel(mona, world["A"], execution)
    assert cancel.status_code == 409 and NOT_CANCELLABLE in cancel.content.decode()
    resume = _resume(mona, world["A"], execution)
    assert resume.status_code == 409 and NOT_PAUSED in resume.content.decode()

    assert kestra_http.history(world["kestra"], execution.kestra_id) == before
    assert before[-1] == "SUCCESS" and "KILLING" not in before
    assert list(Decision.objects.values_list("action", flat=True)) == ["RESUME"]


def test_it_refuses_a_stale_resume_when_kestra_paused_again(own_kestra) -> None:
    """A flow with two pauses: a second click on the first decision must not answer the
    second pause, which the portal has not shown anyone yet."""
    app, _ = app_save_source(source=kestra_http.app_on("two_step"))
    root = _logged_in(User.objects.create_superuser("root", password="pw-root-12"))
    kestra_id = kestra_http.start_paused(own_kestra, "test", "two_step", {})
    page = f"/apps/{app.uid}/executions/{kestra_id}/"
    assert root.get(page).status_code == 200  # tracked from here on
    assert root.post(f"{page}resume/", {"input.approved": "true"}).status_code == 302
    kestra_http.wait_for(own_kestra, kestra_id, {"PAUSED"})
    before = kestra_http.history(own_kestra, kestra_id)
    assert before.count("PAUSED") == 2 and before.count("RESTARTED") == 1

    again = root.post(f"{page}resume/", {"input.approved": "true"})
    assert again.status_code == 409 and NOT_PAUSED in again.content.decode()
    assert kestra_http.history(own_kestra, kestra_id) == before
    assert Decision.objects.count() == 1


def test_it_refuses_a_cancel_once_kestra_finished_before_the_portal_heard(world) -> None:
    """Kestra answers a kill of a finished execution as if it had worked: the portal must
    not record a cancel that never happened, even before its worker saw the end."""
    execution = _paused_of_a(world)
    mona = _logged_in(world["mona"])
    assert _resume(mona, world["A"], execution).status_code == 302
    kestra_http.wait_for(world["kestra"], execution.kestra_id, {"SUCCESS"})
    assert not Execution.objects.get(pk=execution.pk).is_final  # no poll has seen it yet

    cancel = _cancel(mona, world["A"], execution)
    assert cancel.status_code == 409 and NOT_CANCELLABLE in cancel.content.decode()
    assert "KILLING" not in kestra_http.history(world["kestra"], execution.kestra_id)
    assert list(Decision.objects.values_list("action", flat=True)) == ["RESUME"]


def test_it_refuses_a_second_cancel(world) -> None:
    execution = _paused_of_a(world)
    mona = _logged_in(world["mona"])
    assert _cancel(mona, world["A"], execution).status_code == 302
    assert _cancel(mona, world["A"], execution).status_code == 409
    assert Decision.objects.count() == 1


# --- 3. A SECRET decided on ----------------------------------------------------------------

PASSPHRASE = kestra_http.PASSPHRASE


def test_it_keeps_a_secret_decided_on_out_of_the_record_and_the_pages(own_kestra) -> None:
    app, _ = app_save_source(source=kestra_http.app_on("signed_approval"))
    root = _logged_in(User.objects.create_superuser("root", password="pw-root-12"))
    kestra_id = kestra_http.start_paused(own_kestra, "test", "signed_approval", {})
    page = f"/apps/{app.uid}/executions/{kestra_id}/"
    assert root.get(page).status_code == 200  # tracked from here on

    resumed = root.post(
        f"{page}resume/", {"input.approved": "true", "input.passphrase": PASSPHRASE}
    )
    assert resumed.status_code == 302
    # Kestra got the value itself, not the mask: the flow's check passed.
    assert kestra_http.wait_for(own_kestra, kestra_id, {"SUCCESS", "FAILED"}) == "SUCCESS"
    decision = Decision.objects.get()
    assert decision.values == {"approved": "true", "passphrase": "******"}
    record = root.get(f"/admin/executions/decision/{decision.pk}/change/").content.decode()
    assert "******" in record and PASSPHRASE not in record
    listing = root.get("/admin/executions/decision/").content.decode()
    assert str(decision.pk) in listing and PASSPHRASE not in listing
    assert PASSPHRASE not in root.get(page).content.decode()


# --- 4. The submission limit ---------------------------------------------------------------

DATASET = {"input.dataset": "stores", "input.since": "2025-03-04", "input.rows": "5"}


def test_it_refuses_a_submission_past_the_limit_and_says_when_to_come_back(
    settings, kestra, data_request_app
) -> None:
    settings.SUBMISSION_RATE_LIMIT = "1/h"
    cache.clear()
    client = Client()
    assert client.post(f"/apps/{data_request_app.uid}/", DATASET).status_code == 302
    earliest = 3600 - int(time.time()) % 3600
    refused = client.post(f"/apps/{data_request_app.uid}/", DATASET)
    latest = 3600 - int(time.time()) % 3600
    assert refused.status_code == 429
    # The rest of the hour the first submission opened, counted in whole seconds.
    assert latest <= int(refused["Retry-After"]) <= earliest
    assert Execution.objects.count() == 1
