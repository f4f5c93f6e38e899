"""What a person asks of an app, whatever the door (HTML page or REST API): the form to
show, a submission, a decision on a paused execution, the execution a link names. Each
function validates through Kestra exactly as Kestra's own UI does and calls the services.
It answers with an Outcome, or raises ExecutionNotFound / KestraPageUnavailable; the
caller turns those into its own kind of answer (a page and its status, or JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.base import SessionBase
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop, ngettext
from django.utils.translation import gettext as _

from accounts import policy
from apps_catalog import approval
from apps_catalog.models import App, ModelColumns, quoted_column
from executions import actions, forms, layout, services, stages, voting
from executions.adoption import execution_adopt
from executions.kestra import (
    KestraError,
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.kestra.client import FileField
from executions.models import Decision, Execution, Standing, Vote

# The notices, marked for the catalogs and translated where an Outcome is made, in the
# language of the request.
UNAVAILABLE = gettext_noop(
    "Kestra cannot be reached right now, so this form cannot be shown."
    " Please try again in a minute."
)
QUEUED_NOTICE = gettext_noop(
    "Kestra is not answering right now. You can still submit: your request is kept and sent"
    " as soon as Kestra is back."
)
FLOW_MISSING = gettext_noop(
    "This app's flow does not exist in Kestra. Please tell the app's administrator."
)
FIX_FIELDS = gettext_noop("Please correct the fields below.")
NOT_PAUSED = gettext_noop("This request is not waiting for a decision any more.")
NOT_CANCELLABLE = gettext_noop("This request can no longer be cancelled.")
KESTRA_REFUSED_DECISION = gettext_noop("Kestra refused the decision")
COMMENT_FIELD = "portal.comment"  # pages name inputs input.<id>: no clash
MAX_COMMENT = 2000
REASON_REQUIRED = {
    approval.APPROVE: gettext_noop("Please say why you approve: this app asks for a reason."),
    approval.REJECT: gettext_noop("Please give a reason for the rejection."),
    approval.CHANGES: gettext_noop("Please say what should change."),
}


class Result(Enum):
    """How an ask ended, in the product's words; each door says it in its own way."""

    DONE = "done"  # shown, or acted on
    CREATED = "created"  # a submission is stored
    INVALID = "invalid"  # Kestra refused a value: the fields say which and why
    FORBIDDEN = "forbidden"  # the approval policy does not let this person do this
    CONFLICT = "conflict"  # the execution is no longer in a state that allows it
    UNAVAILABLE = "unavailable"  # Kestra, or the app's flow in it, cannot serve it now


# The HTTP status a door answers for each way an ask can end.
STATUS_OF = {
    Result.DONE: 200,
    Result.CREATED: 201,
    Result.INVALID: 400,
    Result.FORBIDDEN: 403,
    Result.CONFLICT: 409,
    Result.UNAVAILABLE: 503,
}


@dataclass
class Outcome:
    """The result of an ask: how it ended, the fields to show again (with errors), a
    notice, and the execution when one was made or acted on."""

    result: Result = Result.DONE
    fields: list[forms.Field] = field(default_factory=list)
    notice: str = ""
    execution: Execution | None = None
    rule: str = ""  # which rule refused it, for the API's problem documents

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
    execution_columns, app_columns = _tracked_columns()
    with connection.cursor() as cursor:
        cursor.execute(_tracked_sql(), [execution_id, execution_id, uid])
        row = cursor.fetchone()
    if row is None:
        return None
    execution: Execution = execution_columns.instance(row[: execution_columns.width])
    execution.app = app_columns.instance(row[execution_columns.width : -1])
    execution.resubmitted = bool(row[-1])
    return execution


@cache
def _tracked_columns() -> tuple[ModelColumns, ModelColumns]:
    return ModelColumns(Execution, "e"), ModelColumns(App, "a")


@cache
def _tracked_sql() -> str:
    """tracked_execution's query, written once from the models' metadata: the ORM took
    longer to build and compile it than the database to run it, on the page asked most
    while an execution runs. With the execution and its app, whether a request replaced it
    (approval_status.resubmission_chain asks; nearly every page has none)."""
    execution, app = _tracked_columns()
    return _TRACKED_SQL.format(
        execution=execution.sql,
        app=app.sql,
        table=connection.ops.quote_name(Execution._meta.db_table),
        app_table=connection.ops.quote_name(App._meta.db_table),
        pk=quoted_column(Execution, "id"),
        app_id=quoted_column(Execution, "app"),
        app_pk=quoted_column(App, "id"),
        uid=quoted_column(App, "uid"),
        kestra_id=quoted_column(Execution, "kestra_id"),
        token=quoted_column(Execution, "token"),
        replaced_by=quoted_column(Execution, "resubmission_of"),
    )


# Filled in with quoted table and column names only; the execution's name and the app's uid
# are parameters.
_TRACKED_SQL = (
    "SELECT {execution}, {app}, EXISTS(SELECT 1 FROM {table} r WHERE r.{replaced_by} = e.{pk})"
    " FROM {table} e INNER JOIN {app_table} a ON a.{app_pk} = e.{app_id}"
    " WHERE (e.{kestra_id} = %s OR e.{token} = %s) AND a.{uid} = %s LIMIT 1"
)


# The signed links to executions (policy.execution_link) this browser session opened: the
# page's live part, files and actions, asked without the link, open them too.
OPENED_LINKS = "opened_execution_links"
MAX_OPENED_LINKS = 50


def execution_for(
    app: App,
    execution_id: str,
    *,
    user: User | AnonymousUser,
    session: SessionBase,
    link: str = "",
    tracked: Execution | None = None,
) -> Execution:
    """The execution, tracked under this app, if this person may open it
    (policy.can_open; `link` is a signed link the request carries); else ExecutionNotFound,
    as if it did not exist. `tracked`: the execution, when the caller read it with its app
    (tracked_execution). One started outside the portal is looked up in Kestra once (it
    must be of the app's flow) and tracked from then on, but only for people who open every
    execution of the app (policy.may_adopt): nothing is adopted for anybody else. An
    execution tracked under another app is not shown here, even on the same flow: that
    app's access rules apply to it. Raises ExecutionNotFound or KestraPageUnavailable."""
    execution = tracked
    if execution is None:
        found = Execution.objects.filter(_named(execution_id), app=app).order_by()[:1]
        execution = next(iter(found), None)
    if execution is None:
        if not policy.may_adopt(user, app, execution_id):
            raise ExecutionNotFound
        return _untracked_execution(app, execution_id)
    execution.app = app  # the same row, already loaded: not read and decoded again
    opened: list[str] = session.get(OPENED_LINKS, [])
    links = [link, *opened] if link else opened
    session_key = session.session_key or ""
    if not policy.can_open(user, execution, session_key=session_key, links=links):
        raise ExecutionNotFound
    if link and link not in opened and policy.link_names(execution, [link]):
        session[OPENED_LINKS] = links[:MAX_OPENED_LINKS]
    return execution


def still_open(
    app: App,
    execution: Execution | None,
    *,
    user: User | AnonymousUser,
    session: SessionBase,
    link: str,
) -> bool:
    """Whether this person may still open the app and this execution of it, as when their
    stream opened (policy.app_for, execution_for): a stream asks again before it sends a
    change, so access taken away while it is open (the app disabled or made private, a
    grant removed) ends it rather than go on showing the execution."""
    try:
        current = policy.app_for(user, app.uid, started=True)
        if execution is not None:
            execution_for(current, execution.public_id, user=user, session=session, link=link)
    except (policy.AccessRefused, ExecutionNotFound):
        return False
    return True


def _untracked_execution(app: App, execution_id: str) -> Execution:
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


def open_form(app: App, values: dict[str, str] | None = None) -> Outcome:
    """The OPEN form's fields, filled in with `values` when given (a resubmission). Kestra
    is asked only when an input depends on others; while it is down the fields come from
    the last copy of the flow, and a submission is queued."""
    try:
        flow = forms.flow_definition(app)
        if forms.is_static(flow):
            return Outcome(fields=forms.fields_from_flow(flow, values))
        result = validate(app, values or {}, {})
    except KestraNotFound:
        return Outcome(Result.UNAVAILABLE, notice=_(FLOW_MISSING))
    except KestraUnavailable:
        if not app.flow_snapshot:
            return Outcome(Result.UNAVAILABLE, notice=_(UNAVAILABLE))
        fields = forms.fields_from_flow(app.flow_snapshot, values)
        return Outcome(fields=fields, notice=_(QUEUED_NOTICE))
    except KestraRejected as exc:
        return Outcome(
            Result.UNAVAILABLE,
            notice=_("Kestra refused the form: %(reason)s") % {"reason": exc.message},
        )
    fields = forms.fields_from_validation(result, values, show_errors=False, flow=flow)
    return Outcome(fields=fields)


def resubmitting(
    app: App, execution_id: str, user: User | AnonymousUser, session_key: str
) -> Execution | None:
    """The request of this app sent back for changes, named in the link, if this person
    made it: it may be changed and submitted again."""
    found = Execution.objects.filter(
        _named(execution_id), policy.mine(user, session_key), app=app
    ).filter(verdict=approval.CHANGES_REQUESTED)
    return found.order_by().first()


def earlier_answers(execution: Execution) -> dict[str, str]:
    """What the form is filled in with again: the earlier answers, but secrets (never
    kept) and files (not kept once Kestra has them)."""
    return {key: value for key, value in execution.inputs.items() if value != forms.MASK}


def submit(
    *,
    app: App,
    post: QueryDict,
    uploaded: Mapping[str, UploadedFile],
    user: User | AnonymousUser,
    session: SessionBase | None,
    resubmits: Execution | None = None,
) -> Outcome:
    """Validate a submission (field names `input.<id>`) through Kestra and store it;
    invalid, with the fields and their errors, when Kestra refuses a value. `resubmits`
    is the request sent back for changes that this one replaces.

    While Kestra is down the values are stored unchecked and a worker delivers them later.
    `session` ties the execution to an anonymous browser session (created if need be);
    None for callers that have no session to tie it to.
    """
    try:
        flow = forms.flow_definition(app)
    except KestraNotFound:
        return Outcome(Result.UNAVAILABLE, notice=_(FLOW_MISSING))
    except KestraError:
        return Outcome(Result.UNAVAILABLE, notice=_(UNAVAILABLE))
    inputs = forms.flow_inputs(flow)
    values = forms.read_values(post, inputs)
    files, too_large = forms.read_files(uploaded, inputs)
    try:
        result: dict[str, Any] | None = validate(app, values, files)
    except KestraUnavailable:
        result = None  # stored and queued: a worker delivers it once Kestra answers again
    except KestraRejected as exc:
        return Outcome(
            Result.INVALID,
            notice=_("Kestra refused the form: %(reason)s") % {"reason": exc.message},
        )
    if result is not None:
        fields = forms.fields_from_validation(result, values, extra_errors=too_large, flow=flow)
        if forms.has_errors(fields):
            return Outcome(Result.INVALID, fields, notice=_(FIX_FIELDS))
        enabled = {f.id for f in fields}
        values = {key: value for key, value in values.items() if key in enabled}
        files = {key: upload for key, upload in files.items() if key in enabled}
    elif too_large:
        fields = forms.fields_from_flow(flow, values, extra_errors=too_large)
        return Outcome(Result.INVALID, fields, notice=_(FIX_FIELDS))
    if session is not None and not session.session_key:
        session.save()
    execution = services.execution_submit(
        app=app,
        values=values,
        shown=forms.shown_values(values, inputs),
        files=files,
        user=user,
        session_key=(session.session_key or "") if session is not None else "",
        resubmission_of=resubmits,
        language=get_language() or "",
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
        return Outcome(
            Result.CONFLICT,
            notice=_("%(refusal)s: %(reason)s") % {"refusal": refusal, "reason": exc.message},
            execution=execution,
        )
    return Outcome(Result.UNAVAILABLE, notice=_(UNAVAILABLE), execution=execution)


@dataclass(frozen=True)
class Voter:
    """Who asks for a decision: the person, their browser session's key (how a requester
    who was not logged in is recognised), and the record of the request."""

    user: User | AnonymousUser
    session_key: str
    actor: actions.Actor


def _refused(refusal: policy.Refusal, execution: Execution) -> Outcome:
    return Outcome(Result.FORBIDDEN, notice=refusal.message, execution=execution, rule=refusal.rule)


def _seat_or_refusal(execution: Execution, voter: Voter, now: datetime) -> Outcome | None:
    """Refused at once when the approval policy does not let this person decide (asked
    again, with the row locked, when the vote is counted)."""
    standing = execution.standing(now)
    seat = policy.decision_seat(
        voter.user,
        execution,
        standing,
        session=voter.actor.session,
        session_key=voter.session_key,
    )
    return _refused(seat, execution) if isinstance(seat, policy.Refusal) else None


def _comment_or_refusal(
    execution: Execution, post: QueryDict, choice: str
) -> tuple[str, Outcome | None]:
    """The comment sent with a vote, or INVALID when the policy requires one."""
    comment = str(post.get(COMMENT_FIELD) or "").strip()[:MAX_COMMENT]
    rule = execution.app.parsed.approval_policy.reason_rule(choice)
    if rule == approval.REQUIRED and not comment:
        notice = _(REASON_REQUIRED[choice])
        return "", Outcome(
            Result.INVALID, notice=notice, execution=execution, rule="reason-required"
        )
    return ("" if rule == approval.NONE else comment), None


def resume(
    *,
    app: App,
    execution: Execution,
    post: QueryDict,
    uploaded: Mapping[str, UploadedFile],
    voter: Voter,
) -> Outcome:
    """Approve: a vote under the app's approval policy, with the onResume values validated
    through Kestra first. Kestra resumes the execution, with these values, once the vote
    meets the policy. A conflict when the execution is not paused (any more); forbidden
    when the policy does not let this person decide; invalid, with the fields, when a value
    is refused or a required comment is missing."""
    if not execution.awaits_decision:
        return Outcome(Result.CONFLICT, notice=_(NOT_PAUSED), execution=execution)
    assert execution.kestra_id is not None  # awaiting a decision: Kestra has it
    refusal = _seat_or_refusal(execution, voter, timezone.now())
    if refusal is not None:
        return refusal
    comment, missing = _comment_or_refusal(execution, post, approval.APPROVE)
    if missing is not None:
        return missing
    inputs = execution.resume_inputs
    values = forms.read_values(post, inputs)
    files, too_large = forms.read_files(uploaded, inputs)
    ballot = _Ballot(approval.APPROVE, comment, values, forms.file_fields(files))
    moved_on = _moved_on(execution, voter, ballot)
    if moved_on is not None:
        return moved_on
    try:
        result = get_client().validate_resume(execution.kestra_id, values, ballot.files)
    except KestraError as exc:
        # Refused because Kestra moved on since it was asked just above (another
        # approver's verdict landed, the pause ran out): too late, as that ask would say.
        moved_on = _moved_on(execution, voter, ballot) if isinstance(exc, KestraRejected) else None
        return moved_on or _kestra_failed(exc, execution, _(KESTRA_REFUSED_DECISION))
    fields = forms.fields_from_validation(
        result, values, extra_errors=too_large, flow=forms.resume_flow(execution)
    )
    if forms.has_errors(fields):
        return Outcome(Result.INVALID, fields, notice=_(FIX_FIELDS), execution=execution)
    return _decide(app, execution, voter, ballot)


def cancel(
    *, app: App, execution: Execution, voter: Voter, post: QueryDict | None = None
) -> Outcome:
    """Reject (a paused execution: a vote under the app's approval policy) or cancel (any
    other: whoever may act on it). Kestra kills it. A conflict when there is nothing to
    cancel (not delivered yet, already over, or a cancel already under way)."""
    post = post if post is not None else QueryDict()
    if execution.awaits_decision:
        return _vote_against(app, execution, voter, post, approval.REJECT)
    if not policy.can_act_on(voter.user, execution, session_key=voter.session_key):
        refusal = policy.Refusal("not-allowed", policy.ACT_REFUSED)
        return _refused(refusal, execution)
    if not execution.is_cancellable:
        return Outcome(Result.CONFLICT, notice=_(NOT_CANCELLABLE))
    try:
        actions.execution_cancel(
            execution=execution,
            actor=voter.actor,
            label=button_label(app, execution, "CancelExecutionButton"),
        )
    except actions.AlreadyOver:
        return Outcome(Result.CONFLICT, notice=_(NOT_CANCELLABLE), execution=execution)
    except KestraError as exc:
        return _kestra_failed(exc, execution, _("Kestra refused to cancel"))
    return Outcome(execution=execution)


def request_changes(*, app: App, execution: Execution, voter: Voter, post: QueryDict) -> Outcome:
    """Send the request back with a comment: a vote that, once it meets the policy, has
    Kestra kill the execution; the requester may then change it and submit it again."""
    if not execution.awaits_decision:
        return Outcome(Result.CONFLICT, notice=_(NOT_PAUSED), execution=execution)
    return _vote_against(app, execution, voter, post, approval.CHANGES)


def _vote_against(
    app: App, execution: Execution, voter: Voter, post: QueryDict, choice: str
) -> Outcome:
    refusal = _seat_or_refusal(execution, voter, timezone.now())
    if refusal is not None:
        return refusal
    comment, missing = _comment_or_refusal(execution, post, choice)
    if missing is not None:
        return missing
    ballot = _Ballot(choice, comment, {}, {})
    return _moved_on(execution, voter, ballot) or _decide(app, execution, voter, ballot)


def delegate(*, execution: Execution, voter: Voter, post: QueryDict) -> Outcome:
    """Hand this approver's decision to another eligible person, with a note."""
    to = str(post.get("to") or "").strip()
    note = str(post.get("note") or "").strip()[:MAX_COMMENT]
    if not to:
        return Outcome(Result.INVALID, notice=_("Name the person to hand this decision to."))
    try:
        voting.delegation_create(
            execution_id=execution.pk,
            user=voter.user,
            actor=voter.actor,
            session_key=voter.session_key,
            to_username=to,
            note=note,
            now=timezone.now(),
        )
    except voting.VoteRefused as exc:
        return _refused(exc.refusal, execution)
    except voting.VoteTooLate as exc:
        return Outcome(Result.CONFLICT, notice=str(exc), execution=execution)
    return Outcome(
        execution=execution, notice=_("The decision is handed to %(name)s.") % {"name": to}
    )


@dataclass(frozen=True)
class _Ballot:
    choice: str
    comment: str
    values: dict[str, str]
    files: dict[str, FileField]


def _moved_on(execution: Execution, voter: Voter, ballot: _Ballot) -> Outcome | None:
    """Kestra is asked whether the execution still waits: a vote after a timeout, or a
    kill elsewhere, is kept as too late and nothing is sent. None: it still waits."""
    assert execution.kestra_id is not None
    try:
        current = get_client().execution(execution.kestra_id)
    except KestraError as exc:
        return _kestra_failed(exc, execution, _(KESTRA_REFUSED_DECISION))
    state = str(current.get("state", {}).get("current") or "")
    if state == stages.STATE_PAUSED:
        return None
    voting.vote_too_late(
        execution=execution,
        actor=voter.actor,
        choice=ballot.choice,
        comment=ballot.comment,
        values=actions.masked(execution, ballot.values, ballot.files),
    )
    Execution.objects.filter(pk=execution.pk).poll_soon(timezone.now())
    notice = _("Too late: Kestra has moved on (%(state)s). Your vote is kept as too late.") % {
        "state": state
    }
    return Outcome(Result.CONFLICT, notice=notice, execution=execution, rule="too-late")


def _decide(app: App, execution: Execution, voter: Voter, ballot: _Ballot) -> Outcome:
    """Count the vote and, when it meets the policy, have Kestra act, exactly once."""
    shown = actions.masked(execution, ballot.values, ballot.files)
    try:
        cast = voting.vote_cast(
            execution_id=execution.pk,
            user=voter.user,
            actor=voter.actor,
            session_key=voter.session_key,
            choice=ballot.choice,
            comment=ballot.comment,
            values=shown,
            now=timezone.now(),
        )
    except voting.VoteRefused as exc:
        return _refused(exc.refusal, execution)
    except voting.VoteTooLate as exc:
        return Outcome(Result.CONFLICT, notice=str(exc), execution=execution, rule="too-late")
    if not cast.verdict:
        return Outcome(execution=execution, notice=progress(cast.standing))
    return _send_verdict(app, execution, voter, ballot, cast)


def _send_verdict(
    app: App, execution: Execution, voter: Voter, ballot: _Ballot, cast: voting.Cast
) -> Outcome:
    try:
        if cast.verdict == approval.APPROVED:
            actions.execution_resume(
                execution=execution,
                actor=voter.actor,
                values=ballot.values,
                files=ballot.files,
                label=button_label(app, execution, "ResumeExecutionButton"),
                reason=ballot.comment,
                decided=True,
            )
        else:
            changes = cast.verdict == approval.CHANGES_REQUESTED
            actions.execution_cancel(
                execution=execution,
                actor=voter.actor,
                label="Request changes"
                if changes
                else button_label(app, execution, "CancelExecutionButton"),
                action=Decision.Action.CHANGES if changes else Decision.Action.CANCEL,
                reason=ballot.comment,
                decided=True,
            )
    except actions.AlreadyOver:
        Vote.objects.filter(pk=cast.vote.pk).update(status=Vote.Status.TOO_LATE)
        notice = _("Too late: the request ended in Kestra. Your vote is kept as too late.")
        return Outcome(Result.CONFLICT, notice=notice, execution=execution, rule="too-late")
    except KestraError as exc:
        voting.verdict_undo(cast=cast)
        return _kestra_failed(exc, execution, _(KESTRA_REFUSED_DECISION))
    return Outcome(execution=execution)


def progress(standing: Standing) -> str:
    """ "1 of 2 approvals so far." for the step under way."""
    tally = standing.tally
    steps = standing.policy.steps
    numbers = {
        "approvals": len(tally.approvals),
        "needed": tally.needed,
        "step": tally.step + 1,
        "steps": len(steps),
    }
    if len(steps) > 1:
        return (
            ngettext(
                "Your vote is recorded: %(approvals)s of %(needed)s approval"
                " in step %(step)s of %(steps)s.",
                "Your vote is recorded: %(approvals)s of %(needed)s approvals"
                " in step %(step)s of %(steps)s.",
                tally.needed,
            )
            % numbers
        )
    return (
        ngettext(
            "Your vote is recorded: %(approvals)s of %(needed)s approval.",
            "Your vote is recorded: %(approvals)s of %(needed)s approvals.",
            tally.needed,
        )
        % numbers
    )
