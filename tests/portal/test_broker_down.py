"""A broker that cannot take the workers' wake-up costs the visitor nothing: what they did is
stored, they get their page, and the periodic hand-out of due work does the rest."""

from __future__ import annotations

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from executions import enqueue
from executions.models import Execution


@pytest.mark.django_db(transaction=True)  # the submission's transaction really commits
def test_a_submission_while_the_broker_is_down_sends_the_visitor_to_their_page(
    client, kestra, data_request_app, monkeypatch, caplog
):
    sent: list[str] = []

    def unreachable(name: str, args: tuple = ()) -> None:
        sent.append(name)
        raise OperationalError("the broker cannot be reached")

    monkeypatch.setattr(enqueue.current_app, "send_task", unreachable)

    response = client.post(
        f"/apps/{data_request_app.uid}/",
        {"input.dataset": "stores", "input.since": "2025-01-01", "input.rows": "10"},
    )

    stored = Execution.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(f"/apps/{data_request_app.uid}/executions/")
    # Stored and due: the hand-out of due work delivers it once the broker is back.
    assert stored.delivery == Execution.Delivery.QUEUED
    assert stored.next_action_at is not None and stored.next_action_at <= timezone.now()
    assert sent == [enqueue.DELIVER]
    assert any("the broker cannot be reached" in message for message in caplog.messages)
