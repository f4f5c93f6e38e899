"""Hand work on an execution to the workers, by task name, once the transaction commits.

The rules (`services`, `adoption`) say what a worker should do next without importing
`executions.tasks`: the tasks sit above the rules and call them, never the other way round.
A message that is lost costs nothing but time: the row is due, and the periodic hand-out of
due work (`executions.tasks.hand_out_due_work`) picks it up. So during a request the message
is sent once the response has gone out (`after_response`): the visitor does not wait for
the broker.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction

from kestra_apps.after_response import later

DELIVER = "executions.tasks.deliver"
POLL = "executions.tasks.poll"
SEND_NOTIFICATIONS = "notifications.tasks.send_due"


def on_commit(task_name: str, execution_id: int) -> None:
    """Send `task_name(execution_id)` once the current transaction commits (at once outside
    one) and the current response, if any, has gone out; the task claims the execution
    itself, so a duplicate does nothing."""
    transaction.on_commit(lambda: _send_later(task_name, (execution_id,)))


def notifications_on_commit() -> None:
    """Have the outbox sent once the current transaction commits (its rows are due now) and
    the current response, if any, has gone out; the task claims each row itself, so a
    duplicate does nothing."""
    transaction.on_commit(lambda: _send_later(SEND_NOTIFICATIONS))


def _send_later(task_name: str, args: tuple[int, ...] = ()) -> None:
    """Send the task now, or once the response of the request being served has gone out."""
    later(lambda: current_app.send_task(task_name, args=args))
