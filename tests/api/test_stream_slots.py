"""Event streams are capped per client: past its share a client gets 429 with Retry-After,
and a stream closed gives its slot back, however it ends."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accounts import policy
from api.tokens import stream_token
from apps_catalog.services import app_save_source
from executions.models import Execution
from kestra_apps import streams

pytestmark = pytest.mark.django_db(transaction=True)  # responses closed mid-test close connections


@pytest.fixture(autouse=True)
def _own_slots(monkeypatch) -> None:
    """Slots of this test's streams only: a stream another test left unread holds its slot
    until it is collected, and would count against this client's share (the tests of a
    mutation run come in another order)."""
    monkeypatch.setattr(streams, "SLOTS", streams.StreamSlots())


PUBLIC = """id: open_streams
type: io.kestra.plugin.ee.apps.Execution
displayName: Open streams
namespace: demo
flowId: data_request
access: PUBLIC
"""


def test_a_client_past_its_share_of_streams_is_told_to_come_back(settings):
    settings.API_STREAMS_PER_CLIENT = 2
    settings.API_STREAM_SECONDS = 0.2
    settings.API_STREAM_POLL_SECONDS = 0.05
    app, _ = app_save_source(source=PUBLIC)
    running = Execution.objects.create(
        app=app, kestra_id="slots000000000000001", delivery="DELIVERED", state="RUNNING",
        stage="RUNNING", next_action_at=timezone.now(),
    )  # fmt: skip
    link = policy.execution_link(running)  # someone else's: these clients open it by its link
    url = f"/api/v1/main/apps/view/{app.uid}/streams/{stream_token(app, running)}?link={link}"
    client = Client()
    first, second = client.get(url), client.get(url)
    assert (first.status_code, second.status_code) == (200, 200)
    assert streams.SLOTS.open == 2

    refused = client.get(url)
    assert refused.status_code == 429 and refused["Retry-After"] == "5"
    assert refused.json()["detail"] == "Too many open streams; close one first."
    other = Client(REMOTE_ADDR="192.0.2.9").get(url)  # another client has its own share
    assert other.status_code == 200
    other.close()

    first.close()  # never read: its slot comes back all the same
    assert b"event: layout" in b"".join(second.streaming_content)  # read to its end
    assert streams.SLOTS.open == 0
    assert client.get(url).status_code == 200
