"""The app page and the execution pages, as visitors and staff meet them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accounts import policy
from apps_catalog.services import app_save_source
from executions.models import Execution
from tests.personas import MEMBERS, grant_use, own_session

pytestmark = pytest.mark.django_db

PRIVATE_APP = f"""
id: private_request
type: io.kestra.plugin.ee.apps.Execution
displayName: Private request
namespace: demo
flowId: data_request
access:
  type: PRIVATE
  groups: [{MEMBERS}]
"""


@pytest.fixture
def private_app():
    app, _ = app_save_source(source=PRIVATE_APP)
    return app


def test_an_unknown_app_is_a_404_page(client):
    response = client.get("/apps/doesnotexist1234567890/")
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_the_form_shows_the_flow_inputs(client, kestra, data_request_app):
    html = client.get(f"/apps/{data_request_app.uid}/").content.decode()
    assert html.count("<option value=") >= 5
    assert 'name="input.since"' in html and 'name="input.rows"' in html
    assert "Request data" in html


def test_an_edited_app_shows_its_new_blocks_on_the_next_view(client, kestra, data_request_app):
    url = f"/apps/{data_request_app.uid}/"
    assert "Request data" in client.get(url).content.decode()

    app_save_source(
        source=data_request_app.source.replace("## Request data", "## Ask for data"),
        app=data_request_app,
    )

    html = client.get(url).content.decode()
    assert "Ask for data" in html and "Request data" not in html


def test_the_answers_and_errors_of_one_visitor_never_reach_the_next(
    client, kestra, data_request_app
):
    url = f"/apps/{data_request_app.uid}/"
    client.get(url)
    refused = client.post(url, {"input.dataset": "stores", "input.rows": "5000"})
    assert refused.status_code == 400 and 'value="5000"' in refused.content.decode()

    html = Client().get(url).content.decode()

    assert 'value="5000"' not in html and 'value="10"' in html
    assert '<option value="customers" selected>' in html and 'value="stores" selected' not in html
    assert 'class="errors"' not in html


def test_a_bad_value_comes_back_with_the_values_kept_and_the_error_next_to_it(
    client, kestra, data_request_app
):
    response = client.post(
        f"/apps/{data_request_app.uid}/",
        {"input.dataset": "stores", "input.since": "2025-03-04", "input.rows": "5000"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="5000"' in html and 'value="2025-03-04"' in html
    assert '<option value="stores" selected>' in html
    field = html[html.index('data-input="rows"') :]
    field = field[: field.index('data-input="', 20) if 'data-input="' in field[20:] else len(field)]
    assert 'class="errors"' in field
    assert not Execution.objects.exists()


def test_a_valid_submission_is_stored_before_kestra_is_called(client, kestra, data_request_app):
    response = client.post(
        f"/apps/{data_request_app.uid}/",
        {"input.dataset": "stores", "input.since": "2025-03-04", "input.rows": "5"},
    )
    assert response.status_code == 302
    execution = Execution.objects.get()
    assert execution.payload == {"dataset": "stores", "since": "2025-03-04", "rows": "5"}
    assert execution.stage == "CREATED" and execution.kestra_id is None
    page = client.get(response["Location"])
    assert page.status_code == 200 and b'data-stage="CREATED"' in page.content


def test_kestra_down_on_first_visit_is_a_clear_message(client, settings, data_request_app):
    settings.KESTRA_URL = "http://127.0.0.1:9"
    response = client.get(f"/apps/{data_request_app.uid}/")
    assert response.status_code == 503
    assert b"Kestra cannot be reached right now" in response.content


def test_a_disabled_app_is_not_found(client, kestra, data_request_app):
    data_request_app.enabled = False
    data_request_app.save()
    assert client.get(f"/apps/{data_request_app.uid}/").status_code == 404


def test_a_private_app_sends_visitors_to_log_in_and_back(client, private_app):
    response = client.get(f"/apps/{private_app.uid}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/apps/")


def test_a_private_app_is_not_found_for_someone_not_granted(client, private_app, outsider):
    client.force_login(outsider)
    assert client.get(f"/apps/{private_app.uid}/").status_code == 404


def test_a_private_app_opens_for_a_member_of_its_group(client, kestra, private_app, member):
    client.force_login(member)
    assert client.get(f"/apps/{private_app.uid}/").status_code == 200


def test_a_private_app_opens_for_a_direct_grant(client, kestra, private_app, grantee):
    grant_use(grantee, private_app)
    client.force_login(grantee)
    assert client.get(f"/apps/{private_app.uid}/").status_code == 200


def test_an_execution_of_another_app_is_not_found_here(client, data_request_app, private_app):
    other = Execution.objects.create(app=private_app, kestra_id="abc123")
    assert (
        client.get(f"/apps/{data_request_app.uid}/executions/{other.kestra_id}/").status_code == 404
    )


def test_only_files_the_execution_names_can_be_downloaded(client, data_request_app):
    execution = Execution.objects.create(
        app=data_request_app,
        kestra_id="exec1",
        delivery="DELIVERED",
        state="SUCCESS",
        stage="SUCCESS",
        outputs={"data": "kestra:///demo/data_request/executions/exec1/x.csv"},
        session_key=own_session(client),
    )
    url = f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/files/"
    assert client.get(url, {"path": "kestra:///demo/other/secret.csv"}).status_code == 404
    assert client.get(url).status_code == 400


def test_cancel_refuses_get(client, data_request_app):
    execution = Execution.objects.create(app=data_request_app, kestra_id="exec2")
    url = f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/cancel/"
    assert client.get(url).status_code == 405


def test_cancel_by_someone_else_is_refused(client, data_request_app):
    execution = Execution.objects.create(
        app=data_request_app,
        kestra_id="exec3",
        delivery="DELIVERED",
        state="RUNNING",
        stage="RUNNING",
        session_key="someone-elses-session",
    )
    url = f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/cancel/"
    assert client.post(url).status_code == 404  # not theirs: not there for them
    link = policy.execution_link(execution)
    assert client.post(f"{url}?link={link}").status_code == 403  # a link shows, not acts


def test_the_live_part_answers_204_when_nothing_changed(client, data_request_app):
    execution = Execution.objects.create(
        app=data_request_app, kestra_id="exec4", session_key=own_session(client)
    )
    url = f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/live/"
    first = client.get(url)
    assert first.status_code == 200 and first["X-Live-Final"] == "0"
    again = client.get(url, {"v": first["X-Live-Version"]})
    assert again.status_code == 204


def test_an_open_execution_page_marks_the_execution_as_watched(client, data_request_app):
    execution = Execution.objects.create(
        app=data_request_app,
        kestra_id="exec5",
        delivery="DELIVERED",
        state="RUNNING",
        stage="RUNNING",
        session_key=own_session(client),
    )
    client.get(f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/live/")
    execution.refresh_from_db()
    assert execution.watched_until is not None and execution.watched_until > timezone.now()


def _page(client, app, execution) -> str:
    response = client.get(f"/apps/{app.uid}/executions/{execution.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_both_requests_of_a_resubmission_show_the_history_with_a_link_to_the_other(
    client, data_request_app
):
    session = own_session(client)
    first = Execution.objects.create(app=data_request_app, kestra_id="first", session_key=session)
    again = Execution.objects.create(
        app=data_request_app, kestra_id="again", session_key=session, resubmission_of=first
    )
    for shown, other in ((first, again), (again, first)):
        page = _page(client, data_request_app, shown)
        assert "Request history:" in page
        assert f'/apps/{data_request_app.uid}/executions/{other.public_id}/"' in page


def test_a_request_never_resubmitted_shows_no_history_at_a_fixed_number_of_queries(
    client, data_request_app, django_assert_num_queries
):
    execution = Execution.objects.create(
        app=data_request_app,
        kestra_id="alone",
        delivery="DELIVERED",
        state="RUNNING",
        stage="RUNNING",  # its page shows the logs
        session_key=own_session(client),
    )
    _page(client, data_request_app, execution)  # the session's first write, caches
    # session, the execution with its app and whether it was submitted again, its logs
    with django_assert_num_queries(3) as queries:
        assert "Request history:" not in _page(client, data_request_app, execution)
    # Whole executions (all their columns) are read once: a resubmission is asked about, not
    # read.
    whole = [q for q in queries.captured_queries if '"payload"' in q["sql"]]
    assert len(whole) == 1


@pytest.mark.parametrize(
    ("language", "failure", "error", "shown"),
    [
        (
            "en",
            "REJECTED",
            "email: not an address",
            "Kestra rejected the submission: email: not an address",
        ),
        (
            "fr",
            "REJECTED",
            "email: not an address",
            "Kestra a refusé la demande : email: not an address",
        ),
        ("fr", "UNREACHABLE", "", "Kestra n’a pas pu être joint après 3 tentatives."),
        ("en", "", "Kestra's own words", "Kestra&#x27;s own words"),
    ],
)
def test_a_failed_request_says_why_in_the_readers_language(
    client, data_request_app, language, failure, error, shown
):
    execution = Execution.objects.create(
        app=data_request_app,
        delivery="FAILED",
        stage="ERROR",
        failure=failure,
        error=error,
        attempts=3,
        session_key=own_session(client),
    )
    response = client.get(
        f"/apps/{data_request_app.uid}/executions/{execution.public_id}/",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert f'<div class="alert alert-error" role="alert">{shown}</div>' in response.content.decode()
