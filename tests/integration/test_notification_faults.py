"""The outbox through faults, with real workers and a real SMTP server: the mail server
down while a hundred messages are due (none lost, none sent twice), and a worker killed
with SIGKILL in the middle of sending (none lost; a message the server took before the
kill is sent again with the same Message-ID, which is how mail systems drop the copy)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from django.utils import timezone

from notifications.models import Attempt, Notification
from tests.integration import test_tracking_support as support
from tests.integration.test_tracking_support import wait_until
from tests.notifications.conftest import Mailbox, SmtpServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

tracking_emulator = support.tracking_emulator
tracking_kestra = support.tracking_kestra
start_worker = support.start_worker


def outbox(count: int) -> None:
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            key=f"test:{n}",
            event="pending",
            channel=Notification.Channel.EMAIL,
            address=f"person{n}@example.com",
            subject=f"Message {n}",
            text="A request waits for your decision.",
            link="http://127.0.0.1:8000/",
            next_attempt_at=now,
        )
        for n in range(count)
    )


def mail_env(server: SmtpServer, **more: str) -> dict[str, str]:
    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(server.port),
        "EMAIL_TIMEOUT": "2",
        "NOTIFY_SEND_SECONDS": "0.5",
        "NOTIFY_BACKOFF_MAX_SECONDS": "1",
        "NOTIFY_MAX_ATTEMPTS": "1000",
        **more,
    }


def test_the_mail_server_down_while_a_hundred_messages_are_due(tracking_kestra, start_worker):
    server = SmtpServer()  # not started: down
    outbox(100)
    start_worker("sender", beat=True, **mail_env(server))
    wait_until(
        lambda: Attempt.objects.filter(outcome="FAILED").count() >= 100,
        timeout=60,
        what="every message tried once while the server is down",
    )
    assert Notification.objects.filter(status="SENT").count() == 0

    server.start()
    try:
        wait_until(
            lambda: Notification.objects.filter(status="SENT").count() == 100,
            timeout=90,
            what="every message sent once the server is back",
        )
        time.sleep(1.5)  # a few more rounds of the beat: nothing is sent again
        received = [message["Subject"] for _, message in server.mailbox.messages]
        assert sorted(received) == sorted(f"Message {n}" for n in range(100))
    finally:
        server.stop()


class SlowMailbox(Mailbox):
    """Takes a second to answer each message: long enough to kill a worker mid-send."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(1.0)
        return await super().handle_DATA(server, session, envelope)


def test_a_worker_killed_while_sending_loses_nothing(tracking_kestra, start_worker):
    server = SmtpServer()
    server.mailbox = SlowMailbox()
    server.start()
    try:
        outbox(6)
        doomed = start_worker("doomed", beat=True, **mail_env(server, NOTIFY_LEASE_SECONDS="4"))
        wait_until(
            lambda: Attempt.objects.filter(outcome="").exists(),
            timeout=30,
            what="a message in the middle of being sent",
        )
        doomed.kill()
        in_flight = Attempt.objects.filter(outcome="").count()
        assert in_flight >= 1

        start_worker("replacement", beat=True, **mail_env(server, NOTIFY_LEASE_SECONDS="4"))
        wait_until(
            lambda: Notification.objects.filter(status="SENT").count() == 6,
            timeout=60,
            what="every message sent after the replacement started",
        )
        ids = [message["Message-ID"] for _, message in server.mailbox.messages]
        assert len(set(ids)) == 6  # every message arrived
        # A copy only of what was in flight at the kill, under the same Message-ID.
        assert len(ids) - len(set(ids)) <= in_flight
    finally:
        server.stop()
