"""On a public app, someone not granted it opens only their own executions, or one a signed
link names: anyone else's is not there for them (404), on the pages and through the API,
and nothing is adopted from Kestra for them."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import policy
from apps_catalog.models import App
from apps_catalog.services import app_save_source
from executions import services
from executions.adoption import execution_adopt
from executions.models import Execution
from tests import kestra_http
from tests.personas import grant_use, signed_in

pytestmark = pytest.mark.django_db

OPEN_VACATION = """id: open_vacation
type: io.kestra.plugin.ee.apps.Execution
displayName: Vacation requests (public)
namespace: demo
flowId: vacation_request
access: PUBLIC
"""
API = "/api/v1/main/apps/view"


@pytest.fixture
def app(kestra: str) -> App:
    return app_save_source(source=OPEN_VACATION)[0]


def _paused(kestra: str, app: App, submitter: Client | None = None) -> Execution:
    """A paused vacation request on the app, tracked; `submitter`'s browser made it."""
    kestra_id = kestra_http.start_paused(kestra, "demo", "vacation_request", kestra_http.VACATION)
    execution = execution_adopt(app=app, kestra_id=kestra_id)
    assert execution is not None
    services.execution_poll(execution_id=execution.pk)
    if submitter is not None:
        submitter.get("/apps/requests/")  # gives an anonymous browser its session
        session_key = submitter.session.session_key
        Execution.objects.filter(pk=execution.pk).update(session_key=session_key)
    execution.refresh_from_db()
    return execution


def _doors(app: App, execution: Execution) -> dict[str, str]:
    """Every GET that shows the execution, by name."""
    page = f"/apps/{app.uid}/executions/{execution.kestra_id}"
    path = execution.task_outputs["summary"]["uri"]
    return {
        "page": f"{page}/",
        "live part": f"{page}/live/",
        "file": f"{page}/files/?path={path}",
        "file preview": f"{page}/files/preview/?path={path}",
        "logs": f"{page}/logs/",
        "API view": f"{API}/{app.uid}?executionId={execution.kestra_id}",
        "API file": f"{API}/{app.uid}/file/download?executionId={execution.kestra_id}&path={path}",
        "API logs": f"{API}/{app.uid}/logs/download?executionId={execution.kestra_id}",
    }


def _statuses(client: Client, doors: dict[str, str]) -> dict[str, int]:
    return {name: client.get(url).status_code for name, url in doors.items()}


def test_another_browser_finds_nothing_there(kestra, app):
    execution = _paused(kestra, app, submitter=Client())
    doors = _doors(app, execution)
    assert _statuses(Client(), doors) == dict.fromkeys(doors, 404)


def test_someone_signed_in_without_a_grant_finds_nothing_there(kestra, app, outsider):
    execution = _paused(kestra, app, submitter=Client())
    doors = _doors(app, execution)
    assert _statuses(signed_in(outsider), doors) == dict.fromkeys(doors, 404)


def test_the_browser_that_submitted_it_opens_it(kestra, app):
    browser = Client()
    execution = _paused(kestra, app, submitter=browser)
    doors = _doors(app, execution)
    assert _statuses(browser, doors) == dict.fromkeys(doors, 200)


def test_a_person_granted_the_app_opens_anyones(kestra, app, approver):
    grant_use(approver, app)
    execution = _paused(kestra, app, submitter=Client())
    doors = _doors(app, execution)
    assert _statuses(signed_in(approver), doors) == dict.fromkeys(doors, 200)


def test_a_signed_link_opens_it_in_another_browser_and_then_its_live_part(kestra, app):
    execution = _paused(kestra, app, submitter=Client())
    doors = _doors(app, execution)
    other = Client()
    link = policy.execution_link(execution)
    response = other.get(doors["page"], {"link": link})
    assert response.status_code == 200 and "waiting" in response.content.decode()
    # The page's live part, files and logs ask without the link: this browser opened it.
    assert _statuses(other, doors) == dict.fromkeys(doors, 200)
    api = Client().get(doors["API view"] + f"&link={link}")
    assert api.status_code == 200


def test_a_tampered_link_is_no_link(kestra, app):
    execution = _paused(kestra, app, submitter=Client())
    page = _doors(app, execution)["page"]
    link = policy.execution_link(execution)
    client = Client()
    tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
    assert client.get(page, {"link": tampered}).status_code == 404
    assert client.get(page, {"link": "not-a-link"}).status_code == 404
    # A link to another execution opens that one only.
    other = _paused(kestra, app)
    assert client.get(page, {"link": policy.execution_link(other)}).status_code == 404


def test_nothing_is_adopted_from_kestra_for_someone_not_granted(kestra, app, outsider, approver):
    kestra_id = kestra_http.start_paused(kestra, "demo", "vacation_request", kestra_http.VACATION)
    page = f"/apps/{app.uid}/executions/{kestra_id}/"
    for client in (Client(), signed_in(outsider)):
        assert client.get(page).status_code == 404
        assert client.get(f"{API}/{app.uid}?executionId={kestra_id}").status_code == 404
    assert not Execution.objects.exists()
    grant_use(approver, app)
    assert signed_in(approver).get(page).status_code == 200
    assert Execution.objects.get().kestra_id == kestra_id
