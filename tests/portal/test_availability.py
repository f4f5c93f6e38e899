from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_an_app_not_yet_open_says_when_it_opens(client, data_request_app):
    data_request_app.expiration_start = timezone.now() + timedelta(days=2)
    data_request_app.save()
    response = client.get(f"/apps/{data_request_app.uid}/")
    assert response.status_code == 410
    assert b"This app opens on" in response.content


def test_an_expired_app_says_it_closed(client, data_request_app):
    data_request_app.expiration_end = timezone.now() - timedelta(minutes=1)
    data_request_app.save()
    response = client.get(f"/apps/{data_request_app.uid}/")
    assert response.status_code == 410
    assert b"This app closed on" in response.content
    assert client.post(f"/apps/{data_request_app.uid}/", {}).status_code == 410


def test_executions_started_before_the_end_date_stay_reachable_and_decidable(kestra):
    """As in Kestra: the end date stops new submissions, not the requests under way."""
    from executions.models import Decision
    from tests import kestra_http
    from tests.approvals import FORM, submitted, vacation_app
    from tests.personas import make_user, signed_in

    rita, mona = make_user("rita", groups=["HR"]), make_user("mona", groups=["HR"])
    app = vacation_app("approval: {selfApproval: false}\n")
    execution = submitted(kestra, signed_in(rita), app)
    app.expiration_end = timezone.now() - timedelta(minutes=1)
    app.save()

    page = f"/apps/{app.uid}/executions/{execution.kestra_id}/"
    approver = signed_in(mona)
    assert approver.get(page).status_code == 200
    assert approver.get(f"{page}live/").status_code == 200
    assert approver.get(f"/apps/{app.uid}/").status_code == 410  # no new request
    assert signed_in(rita).post(f"/apps/{app.uid}/", FORM).status_code == 410

    api = f"/api/v1/main/apps/view/{app.uid}"
    viewed = approver.get(api, {"executionId": execution.kestra_id})
    assert viewed.status_code == 200
    assert approver.get(api).status_code == 422  # the form to start one: closed

    decided = approver.post(
        f"{page}resume/", {"input.approved": "true", "portal.comment": "Approved before it closed"}
    )
    assert decided.status_code == 302
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    assert Decision.objects.get(execution=execution).username == "mona"
