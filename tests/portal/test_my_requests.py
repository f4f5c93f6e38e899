import pytest
from django.test import Client

from executions.models import Execution

pytestmark = pytest.mark.django_db


def _submit(client: Client, app) -> Execution:
    response = client.post(
        f"/apps/{app.uid}/",
        {"input.dataset": "stores", "input.since": "2025-03-04", "input.rows": "5"},
    )
    assert response.status_code == 302
    return Execution.objects.latest("created")


def test_an_anonymous_visitor_sees_what_this_browser_submitted_and_nothing_else(
    kestra, data_request_app
):
    visitor, stranger = Client(), Client()
    mine = _submit(visitor, data_request_app)
    theirs = _submit(stranger, data_request_app)
    page = visitor.get("/apps/requests/").content.decode()
    assert f"/executions/{mine.public_id}/" in page
    assert f"/executions/{theirs.public_id}/" not in page
    assert "Queued" in page


def test_a_user_sees_their_submissions_from_any_browser(kestra, data_request_app, outsider):
    laptop, phone = Client(), Client()
    laptop.force_login(outsider)
    phone.force_login(outsider)
    submitted = _submit(laptop, data_request_app)
    assert f"/executions/{submitted.public_id}/" in phone.get("/apps/requests/").content.decode()


def test_a_requests_page_without_any_submission_says_so(client):
    assert "Nothing submitted from here yet" in client.get("/apps/requests/").content.decode()
