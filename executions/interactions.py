"""What a person asks of an app, whatever the door (HTML page or REST API): the form to
show, a submission, a decision on a paused execution, the execution a link names. Each
function validates through Kestra exactly as Kestra's own UI does and calls the services.
It answers with an Outcome, or raises ExecutionNotFound / KestraPageUnavailable; the
caller turns those into its own kind of answer (a page and its status, or JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.base import SessionBase
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.http import QueryDict

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


class Result(Enum):
    """How an ask ended, in the product's words; each door says it in its own way."""

    DONE = "done"  # shown, or acted on
    CREATED = "created"  # a submission is stored
    INVALID = "invalid"  # Kestra refused a value: the fields say which and why
    CONFLICT = "conflict"  # the execution is no longer in a state that allows it
    UNAVAILABLE = "unavailable"  # Kestra, or the app's flow in it, cannot serve it now


@dataclass
class Outcome:
    """The result of an ask: how it ended, the fields to show again (with errors), a
    notice, and the execution when one was made or acted on."""

    result: Result = Result.DONE
    fields: list[forms.Field] = field(default_factory=list)
    notice: str = ""
    execution: Execution | None = None

    @property
    def ok(self) -> bool:
        return self.result in (Result.DONE, Result.CREATED)


class ExecutionNotFound(Exception):
    """No execution by that name belongs to this app, in the portal or in Kestra."""


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
    rules apply to it. Raises ExecutionNotFound or KestraPageUnavailable."""
    found = Execution.objects.filter(_named(execution_id), app=app).order_by()[:1]
    execution = next(iter(found), None)
    if execution is None:
        return untracked_execution(app, execution_id)
    execution.app = app  # the same row, already loaded: not read and decoded again
    return execution


def untracked_execution(app: App, execution_id: str) -> Execution:
    """An execution the portal does not track under this app: adopted from Kestra when no
    app tracks it yet, else ExecutionNotFound; KestraPageUnavailable while Kestra is down."""
    if Execution.objects.filter(kestra_id=execution_id).exists():
        raise ExecutionNotFound
    try:
        execution = execution_adopt(app=app, kestra_id=execution_id)
    except KestraUnavailable:
        raise KestraPageUnavailable from None
    if execution is None:
        raise ExecutionNotFound
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
            return Outcome(fields=forms.fields_from_flow(flow))
        result = validate(app, {}, {})
    except KestraNotFound:
        return Outcome(Result.UNAVAILABLE, notice=FLOW_MISSING)
    except KestraUnavailable:
        if not app.flow_snapshot:
            return Outcome(Result.UNAVAILABLE, notice=UNAVAILABLE)
        return Outcome(fields=forms.fields_from_flow(app.flow_snapshot), notice=QUEUED_NOTICE)
    except KestraRejected as exc:
        return Outcome(Result.UNAVAILABLE, notice=f"Kestra refused the form: {exc.message}")
    return Outcome(fields=forms.fields_from_validation(result, show_errors=False))


def submit(
    *,
    app: App,
    post: QueryDict,
    uploaded: Mapping[str, UploadedFile],
    user: User | AnonymousUser,
    session: SessionBase | None,
) -> Outcome:
    """Validate a submission (field names `input.<id>`) through Kestra and store it;
    invalid, with the fields and their errors, when Kestra refuses a value.

    While Kestra is down the values are stored unchecked and a worker delivers them later.
    `session` ties the execution to an anonymous browser session (created if need be);
    None for callers that have no session to tie it to.
    """
    try:
        inputs = list(forms.flow_definition(app).get("inputs") or [])
    except KestraNotFound:
        return Outcome(Result.UNAVAILABLE, notice=FLOW_MISSING)
    except KestraError:
        return Outcome(Result.UNAVAILABLE, notice=UNAVAILABLE)
    values = forms.read_values(post, inputs)
    files, too_large = forms.read_files(uploaded, inputs)
    try:
        result: dict[str, Any] | None = validate(app, values, files)
    except KestraUnavailable:
        result = None  # stored and queued: a worker delivers it once Kestra answers again
    except KestraRejected as exc:
        return Outcome(Result.INVALID, notice=f"Kestra refused the form: {exc.message}")
    if result is not None:
        fields = forms.fields_from_validation(result, values, extra_errors=too_large)
        if forms.has_errors(fields):
            return Outcome(Result.INVALID, fields, notice=FIX_FIELDS)
        enabled = {f.id for f in fields}
        values = {key: value for key, value in values.items() if key in enabled}
        files = {key: upload for key, upload in files.items() if key in enabled}
    elif too_large:
        fields = forms.fields_from_flow({"inputs": inputs}, values, extra_errors=too_large)
        return Outcome(Result.INVALID, fields, notice=FIX_FIELDS)
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
    return Outcome(Result.CREATED, execution=execution)


def button_label(app: App, execution: Execution, block_type: str) -> str:
    """The text of the button the person pressed ("Reject", "Approve"), for the record."""
    for block in layout.blocks_for_stage(app.parsed, execution.stage):
        if block.type == block_type:
            return str(block.props.get("text") or "")
    return ""


def _kestra_failed(exc: KestraError, execution: Execution, refusal: str) -> Outcome:
    """An action on an execution that Kestra refused (a conflict, with its reason) or could
    not take (unavailable)."""
    if isinstance(exc, KestraRejected):
        return Outcome(Result.CONFLICT, notice=f"{refusal}: {exc.message}", execution=execution)
    return Outcome(Result.UNAVAILABLE, notice=UNAVAILABLE, execution=execution)


def resume(
    *,
    app: App,
    execution: Execution,
    post: QueryDict,
    uploaded: Mapping[str, UploadedFile],
    actor: actions.Actor,
) -> Outcome:
    """Approve: validate the onResume values through Kestra, then resume. A conflict when
    the execution is not paused (any more); invalid, with the fields, when a value is refused.
    May the person decide? is the caller's question (accounts.policy.can_act_on)."""
    if not execution.awaits_decision:
        return Outcome(Result.CONFLICT, notice=NOT_PAUSED, execution=execution)
    assert execution.kestra_id is not None  # awaiting a decision: Kestra has it
    inputs = execution.resume_inputs
    values = forms.read_values(post, inputs)
    files, too_large = forms.read_files(uploaded, inputs)
    try:
        result = get_client().validate_resume(execution.kestra_id, values, forms.file_fields(files))
        fields = forms.fields_from_validation(result, values, extra_errors=too_large)
        if forms.has_errors(fields):
            return Outcome(Result.INVALID, fields, notice=FIX_FIELDS, execution=execution)
        actions.execution_resume(
            execution=execution,
            actor=actor,
            values=values,
            files=forms.file_fields(files),
            label=button_label(app, execution, "ResumeExecutionButton"),
        )
    except KestraError as exc:
        return _kestra_failed(exc, execution, "Kestra refused the decision")
    return Outcome(execution=execution)


def cancel(*, app: App, execution: Execution, actor: actions.Actor) -> Outcome:
    """Reject or cancel: Kestra kills the execution. A conflict when there is nothing to
    cancel (not delivered yet, already over, or a cancel already under way)."""
    if not execution.is_cancellable:
        return Outcome(Result.CONFLICT, notice=NOT_CANCELLABLE)
    try:
        actions.execution_cancel(
            execution=execution,
            actor=actor,
            label=button_label(app, execution, "CancelExecutionButton"),
        )
    except actions.AlreadyOver:
        return Outcome(Result.CONFLICT, notice=NOT_CANCELLABLE, execution=execution)
    except KestraError as exc:
        return _kestra_failed(exc, execution, "Kestra refused to cancel")
    return Outcome(execution=execution)
