"""Executions the portal did not start: a flow run in Kestra that links a person to an app
(an approver following `appLink()`), or the one execution an app is bound to."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps_catalog.models import App
from executions import enqueue, forms, stages
from executions.kestra import KestraNotFound, get_client
from executions.models import Execution, paused_run
from notifications import events


def execution_adopt(*, app: App, kestra_id: str) -> Execution | None:
    """Start tracking a Kestra execution of the app's flow; None if it is not one.

    Raises KestraUnavailable when Kestra cannot say. The row keeps what this read gave
    (state, stage, inputs) and, when paused, the resume form, so an approver who followed a
    link can decide at once; its first full poll (task outputs, logs) is handed to a worker,
    and the page, which refreshes itself, shows it once done.
    """
    client = get_client()
    try:
        snapshot = client.execution(kestra_id)
    except KestraNotFound:
        return None
    if (snapshot.get("namespace"), snapshot.get("flowId")) != (app.namespace, app.flow_id):
        return None
    # Without its task runs: the first poll finds them new and reads their outputs.
    read = {key: value for key, value in snapshot.items() if key != "taskRunList"}
    now = timezone.now()
    execution = Execution.discovered(app, read, now=now)
    if execution.state == stages.STATE_PAUSED:
        execution.resume_form = client.validate_resume(kestra_id, {})
        execution.note_pause(paused_run(snapshot), forms.flow_definition(app), now=now)
    try:
        with transaction.atomic():
            execution.save()
            enqueue.on_commit(enqueue.POLL, execution.pk)
            if execution.awaits_decision:  # started in Kestra: nobody was told yet
                events.decision_waits(execution, execution.standing(now))
    except IntegrityError:
        # Someone else adopted it at the same moment (or it belongs to another app).
        return Execution.objects.filter(app=app, kestra_id=kestra_id).first()
    return execution
