"""An open stream (an execution page's, the API's) asks again whether the person may open
the execution before it sends a change: access taken away while it is open (the app
disabled or made private, the grant removed) ends the stream instead of going on showing
the execution. The rule is the one the stream opened under (interactions.still_open)."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import timezone
from guardian.shortcuts import remove_perm

from accounts import policy
from api.tokens import stream_token
from apps_catalog.models import App
from apps_catalog.services import app_save_source
from executions.models import Execution
from executions.views.common import live_version
from executions.views.stream import LiveStream
from kestra_apps import streams
from tests.live_changes import save_state
from tests.personas import USE_APP, grant_use

pytestmark = pytest.mark.django_db(transaction=True)  # responses closed mid-test close connections

APP = """id: watched_stream
type: io.kestra.plugin.ee.apps.Execution
displayName: Watched stream
namespace: demo
flowId: data_request
access: {access}
layout:
  - on: RUNNING
    blocks:
      - type: Markdown
        content: Working on it.
"""


@pytest.fixture(autouse=True)
def _own_slots(monkeypatch) -> None:
    monkeypatch.setattr(streams, "SLOTS", streams.StreamSlots())


def running(access: str, kestra_id: str) -> Execution:
    app = app_save_source(source=APP.format(access=access))[0]
    return Execution.objects.create(
        app=app, kestra_id=kestra_id, delivery="DELIVERED", state="RUNNING", stage="RUNNING",
        next_action_at=timezone.now(),
    )  # fmt: skip


def page_stream(execution: Execution, user, link: str = "") -> LiveStream:
    """The page's stream as its view opens it, for this person, from the version shown."""
    request = RequestFactory().get("/stream/", {"link": link} if link else {})
    request.user = user
    request.session = Client().session
    version = live_version(execution.app, execution, False)
    return LiveStream(request, execution.app, execution, version)


def test_a_page_stream_sends_changes_while_the_grant_holds_and_ends_once_it_is_removed(grantee):
    execution = running("PRIVATE", "streamaccess00000001")
    grant_use(grantee, execution.app)
    stream = page_stream(execution, grantee)

    save_state(execution.pk, "PAUSED")
    chunk, done = stream.step()
    assert "event: live" in chunk and not done

    remove_perm(USE_APP, grantee, execution.app)
    save_state(execution.pk, "RUNNING")
    assert stream.step() == ("", True)


def test_a_page_stream_opened_by_a_signed_link_ends_once_the_app_is_disabled():
    execution = running("PUBLIC", "streamaccess00000002")
    stream = page_stream(execution, AnonymousUser(), link=policy.execution_link(execution))

    save_state(execution.pk, "PAUSED")
    assert "event: live" in stream.step()[0]

    App.objects.filter(pk=execution.app.pk).update(enabled=False)
    save_state(execution.pk, "SUCCESS")
    assert stream.step() == ("", True)


def test_a_page_stream_goes_on_past_the_apps_end_date():
    """The end date stops new submissions only: an execution that started stays open, its
    stream included (as its page)."""
    execution = running("PUBLIC", "streamaccess00000004")
    stream = page_stream(execution, AnonymousUser(), link=policy.execution_link(execution))

    App.objects.filter(pk=execution.app.pk).update(
        expiration_end=timezone.now() - timezone.timedelta(days=1)
    )
    save_state(execution.pk, "SUCCESS")
    chunk, done = stream.step()
    assert "event: live" in chunk and 'data-stage=\\"SUCCESS\\"' in chunk and done


@pytest.mark.parametrize(
    "taken_away",
    [{"enabled": False}, {"access": App.Access.PRIVATE}],
    ids=["app disabled", "app made private"],
)
def test_an_api_stream_ends_without_the_change_once_access_is_taken_away(settings, taken_away):
    settings.API_STREAM_SECONDS = 30
    settings.API_STREAM_POLL_SECONDS = 0.05
    execution = running("PUBLIC", "streamaccess00000003")
    app = execution.app
    link = policy.execution_link(execution)
    url = f"/api/v1/main/apps/view/{app.uid}/streams/{stream_token(app, execution)}?link={link}"
    response = Client().get(url)
    assert response.status_code == 200
    events = iter(response.streaming_content)
    assert b"event: layout" in next(events)  # the view as it stands

    App.objects.filter(pk=app.pk).update(**taken_away)
    save_state(execution.pk, "SUCCESS")
    started = time.monotonic()
    rest = b"".join(events)

    assert b"event: layout" not in rest and b"SUCCESS" not in rest
    assert time.monotonic() - started < 5  # ended, not run to API_STREAM_SECONDS
    assert streams.SLOTS.open == 0
