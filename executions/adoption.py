"""Executions the portal did not start: a flow run in Kestra that links a person to an app
(an approver following `appLink()`), or the one execution an app is bound to."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from apps_catalog.models import App
from executions.kestra import KestraNotFound, get_client
from executions.models import Execution
from executions.tracking import discovered_execution


def execution_adopt(*, app: App, kestra_id: str) -> Execution | None:
    """Start tracking a Kestra execution of the app's flow; None if it is not one.

    Raises KestraUnavailable when Kestra cannot say. The row is polled from then on.
    """
    from executions.tasks import poll

    try:
        snapshot = get_client().execution(kestra_id)
    except KestraNotFound:
        return None
    if (snapshot.get("namespace"), snapshot.get("flowId")) != (app.namespace, app.flow_id):
        return None
    try:
        with transaction.atomic():
            execution = discovered_execution(app, snapshot)
            execution.snapshot = {}  # the first poll below reads everything afresh
            execution.save()
    except IntegrityError:
        # Someone else adopted it at the same moment (or it belongs to another app).
        return Execution.objects.filter(app=app, kestra_id=kestra_id).first()
    # The first poll runs here, so the page shows the full picture (task outputs, the
    # resume form) at once; it schedules the next one itself.
    poll(execution.pk)
    execution.refresh_from_db()
    return execution
