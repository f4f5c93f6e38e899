"""What a person asks of an app, whatever the door (HTML page or REST API): the form to
show, a submission, a decision on a paused execution. Each function validates through
Kestra exactly as Kestra's own UI does and calls the services; the caller only renders
the outcome (a page, or JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.base import SessionBase
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import Http404, QueryDict

from apps_catalog.models import App
from executions import actions, forms, layout, services
from executions.adoption import execution_adopt
from executions.kestra import (
    KestraError,
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.models import Execution

UNAVAILABLE = (
    "Kestra cannot be reached right now, so this form cannot be shown."
    " Please try again in a minute."
)
QUEUED_NOTICE = (
    "Kestra is not answering right now. You can still submit: your request is kept and sent"
    " as soon as Kestra is back."
)
FLOW_MISSING = "This app's flow does not exist in Kestra. Please tell the app's administrator."
FIX_FIELDS = "Please correct the fields below."
NOT_PAUSED = "This request is not waiting for a decision any more."
NOT_CANCELLABLE = "This request can no longer be cancelled."


@dataclass
class Outcome:
    """The result of an ask: the fields to show again (with errors), a notice, the HTTP
    status a page would answer with, and the execution when one was made or acted on."""

    fields: list[forms.Field] = field(default_factory=list)
    notice: str = ""
    status: int = 200
    execution: Execution | None = None

    @property
    def ok(self) -> bool:
        return self.status < 400


class KestraPageUnavailable(Exception):
    """The answer needs Kestra once (an execution seen for the first time) and it is down."""


def _named(execution_id: str) -> Q:
    """The execution a URL names: by Kestra's id once known, by its submission token before."""
    return Q(kestra_id=execution_id) | Q(token=execution_id)


def tracked_execution(uid: str, execution_id: str) -> Execution | None:
    """The execution tracked under the app with this uid, read with that app in one query;
    None when the portal does not track it (yet). No access rule is applied here: that is
    accounts.policy.app_for's, the app's included."""
    found = (
        Execution.objects.select_related("app")
        .filter(_named(execution_id), app__uid=uid)
        .order_by()[:1]
    )
    return next(iter(found), None)


def execution_for(app: App, execution_id: str) -> Execution:
    """The execution, tracked under this app; one started outside the portal is looked up
    in Kestra once (it must be of the app's flow) and tracked from then on. An execution
    tracked under another app is not shown here, even on the same flow: that app's access
    rules apply to it. Raises Http404 or KestraPageUnavailable."""
    found = Execution.objects.filter(_named(execution_id), app=app).order_by()[:1]
    execution = next(iter(found), None)
    if execution is None:
        return untracked_execution(app, execution_id)
    execution.app = app  # the same row, already loaded: not read and decoded again
    return execution


def untracked_execution(app: App, execution_id: str) -> Execution:
    """An execution the portal does not track under this app: adopted from Kestra when no
    app tracks it yet, else Http404; KestraPageUnavailable while Kestra is down."""
    if Execution.objects.filter(kestra_id=execution_id).exists():
        raise Http404("No such execution for this app")
    try:
        execution = execution_adopt(app=app, kestra_id=execution_id)
    except KestraUnavailable:
        raise KestraPageUnavailable from None
    if execution is None:
        raise Http404("No such execution for this app")
    return execution


def validate(app: App, values: dict[str, str], files: Mapping[str, UploadedFile]) -> dict:
    definition = app.parsed
    return get_client().validate_inputs(
        definition.namespace,
        definition.flow_id,
        values,
        forms.file_fields(files),
        revision=definition.flow_revision,
    )


def open_form(app: App) -> Outcome:
    """The OPEN form's fields. Kestra is asked only when an input depends on others; while
    it is down the fields come from the last copy of the flow, and a submission is queued."""
    try:
        flow = forms.flow_definition(app)
        if forms.is_static(flow):
            return Outcome(forms.fields_from_flow(flow))
        result = validate(app, {}, {})
    except KestraNotFound:
        return Outcome(notice=FLOW_MISSING, status=503)
    except KestraUnavailable:
        if not app.flow_snapshot:
            return Outcome(notice=UNAVAILABLE, status=503)
        return Outcome(forms.fields_from_flow(app.flow_snapshot), notice=QUEUED_NOTICE)
    except KestraRejected as exc:
        return Outcome(notice=f"Kestra refused the form: {exc.message}", status=503)
    return Outcome(forms.fields_from_validation(result, show_errors=False))


def submit(
    *,
    app: App,
    post: QueryDict,
    uploaded: Mapping[str, UploadedFile],
    user: User | AnonymousUser,
    session: SessionBase | None,
) -> Outcome:
    """Validate a submission (field names `input.<id>`) through Kestra and store it; status
    400 with the fields and their errors when Kestra refuses a value.

    While Kestra is down the values are stored unchecked and a worker delivers them later.
    `session` ties the execution to an anonymous browser session (created if need be);
    None for callers that have no session to tie it to.
    """
    try:
        inputs = list(forms.flow_definition(app).get("inputs") or [])
    except KestraNotFound:
        return Outcome(notice=FLOW_MISSING, status=503)
    except KestraError:
        return Outcome(notice=UNAVAILABLE, status=503)
    values = forms.read_values(post, inputs)
    files, too_large = forms.read_files(uploaded, inputs)
    try:
        result: dict[str, Any] | None = validate(app, values, files)
    except KestraUnavailable:
        result = None  # stored and queued: a worker delivers it once Kestra answers again
    except KestraRejected as exc:
        return Outcome(notice=f"Kestra refused the form: {exc.message}", status=400)
    if result is not None:
        fields = forms.fields_from_validation(result, values, extra_errors=too_large)
        if forms.has_errors(fields):
            return Outcome(fields, notice=FIX_FIELDS, status=400)
        enabled = {f.id for f in fields}
        values = {key: value for key, value in values.items() if key in enabled}
        files = {key: upload for key, upload in files.items() if key in enabled}
    elif too_large:
        fields = forms.fields_from_flow({"inputs": inputs}, values, extra_errors=too_large)
        return Outcome(fields, notice=FIX_FIELDS, status=400)
    if session is not None and not session.session_key:
        session.save()
    execution = services.execution_submit(
        app=app,
        values=values,
        shown=forms.shown_values(values, inputs),
        files=files,
        user=user,
        session_key=(session.session_key or "") if session is not None else "",
    )
    return Outcome(execution=execution, status=201)


def button_label(app: App, execution: Execution, block_type: str) -> str:
    """The text of the button the person pressed ("Reject", "Approve"), for the record."""
    for block in layout.blocks_for_stage(app.parsed, execution.stage):
        if block.type == block_type:
            return str(block.props.get("text") or "")
    return ""


def resume(
    *,
    app: App,
    execution: Execution,
    post: QueryDict,
    uploaded: Mapping[str, UploadedFile],
    actor: actions.Actor,
) -> Outcome:
    """Approve: validate the onResume values through Kestra, then resume. 409 when the
    execution is not paused (any more), 400 with the fields when a value is refused.
    May the person decide? is the caller's question (accounts.policy.can_act_on)."""
    if not execution.awaits_decision:
        return Outcome(notice=NOT_PAUSED, status=409, execution=execution)
    assert execution.kestra_id is not None  # awaiting a decision: Kestra has it
    inputs = [entry.get("input") or {} for entry in execution.resume_form.get("inputs") or []]
    values = forms.read_values(post, inputs)
    files, too_large = forms.read_files(uploaded, inputs)
    try:
        result = get_client().validate_resume(execution.kestra_id, values, forms.file_fields(files))
        fields = forms.fields_from_validation(result, values, extra_errors=too_large)
        if forms.has_errors(fields):
            return Outcome(fields, notice=FIX_FIELDS, status=400, execution=execution)
        actions.execution_resume(
            execution=execution,
            actor=actor,
            values=values,
            files=forms.file_fields(files),
            label=button_label(app, execution, "ResumeExecutionButton"),
        )
    except KestraUnavailable:
        return Outcome(notice=UNAVAILABLE, status=503, execution=execution)
    except KestraRejected as exc:
        notice = f"Kestra refused the decision: {exc.message}"
        return Outcome(notice=notice, status=409, execution=execution)
    return Outcome(execution=execution)


def cancel(*, app: App, execution: Execution, actor: actions.Actor) -> Outcome:
    """Reject or cancel: Kestra kills the execution. 409 when there is nothing to cancel
    (not delivered yet, or already over)."""
    if not execution.is_cancellable:
        return Outcome(notice=NOT_CANCELLABLE, status=409)
    try:
        actions.execution_cancel(
            execution=execution,
            actor=actor,
            label=button_label(app, execution, "CancelExecutionButton"),
        )
    except actions.AlreadyOver:
        return Outcome(notice=NOT_CANCELLABLE, status=409, execution=execution)
    except KestraUnavailable:
        return Outcome(notice=UNAVAILABLE, status=503, execution=execution)
    except KestraRejected as exc:
        notice = f"Kestra refused to cancel: {exc.message}"
        return Outcome(notice=notice, status=409, execution=execution)
    return Outcome(execution=execution)
