"""Two claims never hold one execution, even when they are taken at the same moment.

On PostgreSQL (READ COMMITTED) an UPDATE that waited for another transaction's row lock
tests its WHERE again on the row as that transaction left it, but not what it reads
through a subquery of the same table: a lease test written there would let the waiting
claim overwrite the one that just won. SQLite takes the write lock when a transaction
starts (settings), so the race cannot happen there.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from executions import tracking
from executions.models import Execution

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def test_a_flow_check_waiting_on_a_fresh_claim_does_not_take_it(data_request_app):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs concurrent writers: PostgreSQL (CI); SQLite serialises them")
    now = timezone.now()
    execution = Execution.objects.create(
        app=data_request_app,
        kestra_id="race1",
        delivery=Execution.Delivery.DELIVERED,
        state="RUNNING",
        next_action_at=now - timedelta(seconds=1),
    )
    claimed, commit = threading.Event(), threading.Event()

    def first_claim() -> None:
        try:
            with transaction.atomic():
                Execution.objects.filter(pk=execution.pk).update(
                    claim="first", lease_until=now + timedelta(seconds=30)
                )
                claimed.set()
                commit.wait(10)
        finally:
            connections.close_all()

    def flow_check_claim() -> None:
        try:
            later = now + timedelta(seconds=30)
            tracking._claim_flows(now, now + timedelta(seconds=1), "second", later)
        finally:
            connections.close_all()

    holder = threading.Thread(target=first_claim)
    holder.start()
    assert claimed.wait(10)
    waiting = threading.Thread(target=flow_check_claim)
    waiting.start()
    deadline = time.monotonic() + 10
    while _waiting_for_a_lock() == 0:
        assert time.monotonic() < deadline, "the second claim never waited for the first"
        time.sleep(0.05)
    commit.set()
    holder.join(10)
    waiting.join(10)

    execution.refresh_from_db()
    assert execution.claim == "first"
