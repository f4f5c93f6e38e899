"""The approvals page: who sees which paused executions, in which order, linking where."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps_catalog.services import app_save_source
from executions.models import Execution
from executions.selectors import pending_approvals_for_user
from tests.conftest import import_example
from tests.personas import make_user

pytestmark = pytest.mark.django_db

PUBLIC_APPROVAL = """
id: public_approval
type: io.kestra.plugin.ee.apps.Execution
displayName: Public approval
namespace: demo
flowId: vacation_request
access: PUBLIC
layout:
  - on: PAUSE
    blocks:
      - type: ResumeExecutionButton
"""


def _paused(app, kestra_id: str, *, hours: float, **fields) -> Execution:
    return Execution.objects.create(
        app=app,
        kestra_id=kestra_id,
        delivery="DELIVERED",
        state="PAUSED",
        stage="PAUSE",
        stage_since=timezone.now() - timedelta(hours=hours),
        **fields,
    )


@pytest.fixture
def vacation_app():
    return import_example("vacation_approval")


@pytest.fixture
def public_app():
    app, _ = app_save_source(source=PUBLIC_APPROVAL)
    return app


@pytest.fixture
def submitter():
    """Granted nothing, but submitted one of the paused executions of the public app."""
    return make_user("submitter")


@pytest.fixture
def pending(vacation_app, public_app, submitter):
    return {
        "recent": _paused(vacation_app, "recentPaused0000000001", hours=1),
        "old": _paused(vacation_app, "oldPaused0000000000001", hours=50, origin="DISCOVERED"),
        "public_mine": _paused(
            public_app, "publicMine000000000001", hours=3, submitted_by=submitter
        ),
        "public_other": _paused(public_app, "publicOther00000000001", hours=4),
        "running": Execution.objects.create(
            app=vacation_app,
            kestra_id="running000000000000001",
            delivery="DELIVERED",
            state="RUNNING",
            stage="RUNNING",
        ),
    }


def _listed(user) -> list[str]:
    return [e.kestra_id for e, _ in pending_approvals_for_user(user=user, now=timezone.now())]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("approver", ["old", "recent"]),
        ("submitter", ["public_mine"]),
        ("outsider", []),
        ("admin", ["old", "public_other", "public_mine", "recent"]),
    ],
)
def test_each_person_sees_the_approvals_they_may_act_on_oldest_first(
    request, pending, persona, expected
):
    user = request.getfixturevalue(persona)
    assert _listed(user) == [pending[name].kestra_id for name in expected]


def test_a_disabled_app_lists_nothing(pending, vacation_app, approver):
    vacation_app.enabled = False
    vacation_app.save(update_fields=["enabled"])
    assert _listed(approver) == []


def test_anonymous_visitors_are_sent_to_log_in(pending):
    response = Client().get("/apps/approvals/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_links_each_approval_and_says_how_long_it_waits(pending, approver):
    client = Client()
    client.force_login(approver)
    response = client.get("/apps/approvals/")
    assert response.status_code == 200
    html = response.content.decode()
    old, recent = pending["old"], pending["recent"]
    assert html.index(old.kestra_id) < html.index(recent.kestra_id)
    assert f'href="/apps/{old.app.uid}/executions/{old.kestra_id}/"' in html
    assert "2\xa0days" in html and "started in Kestra" in html
    assert pending["public_other"].kestra_id not in html
    assert pending["running"].kestra_id not in html


def test_the_page_says_when_nothing_waits(outsider):
    client = Client()
    client.force_login(outsider)
    assert (
        "Nothing is waiting for your decision." in client.get("/apps/approvals/").content.decode()
    )


def test_the_page_answers_only_get(approver):
    client = Client()
    client.force_login(approver)
    assert client.post("/apps/approvals/").status_code == 405
