"""Hand work on an execution to the workers, by task name, once the transaction commits.

The rules (`services`, `adoption`) say what a worker should do next without importing
`executions.tasks`: the tasks sit above the rules and call them, never the other way round.
A message that is lost costs nothing but time: the row is due, and the periodic hand-out of
due work (`executions.tasks.hand_out_due_work`) picks it up. So a message the broker cannot
take is logged and let go (`robust`): the submission or decision it follows is stored, and
the person who made it gets their page, not an error.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction

DELIVER = "executions.tasks.deliver"
POLL = "executions.tasks.poll"
SEND_NOTIFICATIONS = "notifications.tasks.send_due"


def on_commit(task_name: str, execution_id: int) -> None:
    """Send `task_name(execution_id)` once the current transaction commits (at once outside
    one); the task claims the execution itself, so a duplicate does nothing."""
    transaction.on_commit(
        lambda: current_app.send_task(task_name, args=(execution_id,)), robust=True
    )


def notifications_on_commit() -> None:
    """Have the outbox sent once the current transaction commits (its rows are due now);
    the task claims each row itself, so a duplicate does nothing."""
    transaction.on_commit(lambda: current_app.send_task(SEND_NOTIFICATIONS), robust=True)
