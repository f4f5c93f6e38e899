"""Writes on executions: submit, deliver to Kestra, poll, and say who is watching.

Delivery and polling run in Celery workers. Every piece of work is claimed first with a
conditional UPDATE that sets a lease and a claim token; a worker writes its results back
only where the token is still its own, and stops calling Kestra before its lease ends. So
two workers never act on the same execution at the same moment, and work a dead worker
dropped is claimed again by the hand-out of due work (`executions.tracking`) once the lease
is over. When to act next is decided by the model (`models.next_action_at`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps_catalog import approval
from apps_catalog.models import App
from executions import enqueue, forms, leases, presenters, stages, uploads
from executions.kestra import (
    KestraClient,
    KestraNotFound,
    KestraRejected,
    KestraUnavailable,
    get_client,
)
from executions.models import Execution, ExecutionLog, Vote, delivery_backoff, paused_run
from kestra_apps import logs
from notifications import events

logger = logging.getLogger(__name__)

SUBMISSION_LABEL = "portal.submission"
APP_LABEL = "portal.app"
UID_LABEL = "portal.uid"  # the app's uid: appLink() builds the execution's page from it
REQUESTER_LABEL = "portal.requester"  # the user name, or "anonymous"
DECISION_LABEL = "portal.decision"  # approved, rejected, changes
DECIDED_BY_LABEL = "portal.decidedBy"
# A page view keeps an execution "watched" this long; the mark is renewed (one write) only
# once less than WATCH_SECONDS - WATCH_RENEW_SECONDS is left, so a page asking every second
# costs one write every few seconds.
WATCH_RENEW_SECONDS = 3.0


# --- submit and deliver -------------------------------------------------------------------


@transaction.atomic
def execution_submit(
    *,
    app: App,
    values: dict[str, str],
    shown: dict[str, str],
    files: Mapping[str, UploadedFile] | None = None,
    user: User | AnonymousUser | None = None,
    session_key: str = "",
    resubmission_of: Execution | None = None,
    language: str = "",
) -> Execution:
    """Store a submission, then hand it to a worker for delivery once the transaction commits.
    `language`: the one the request was made in (the requester's messages without an
    account to hold a preference are written in it)."""
    now = timezone.now()
    execution = Execution.objects.create(
        app=app,
        resubmission_of=resubmission_of,
        inputs=shown,
        payload=values,
        submitted_by=user if user is not None and user.is_authenticated else None,
        session_key=session_key,
        language=language,
        next_action_at=now,
        stage_since=now,
    )
    uploads.store(execution, files or {})
    enqueue.on_commit(enqueue.DELIVER, execution.pk)
    transaction.on_commit(partial(_log_stored, execution, len(files or {})))
    return execution


def _log_stored(execution: Execution, files: int) -> None:
    with logs.bound(execution=execution.token, app=execution.app.uid):
        logger.info("submission stored files=%s", files)


def about(execution_id: int) -> AbstractContextManager[None]:
    """Name the execution (its token, Kestra id and app) on every log line of work on it."""
    token, kestra_id, app = Execution.objects.filter(pk=execution_id).values_list(
        "token", "kestra_id", "app__uid"
    ).first() or ("", None, "")
    return logs.bound(execution=token, kestra_id=kestra_id, app=app)


def decision_labels(execution: Execution) -> dict[str, str]:
    """Who decided, for Kestra, once the execution has ended (Kestra takes labels on ended
    executions only): the verdict, and the voters whose votes made it."""
    approved = execution.verdict == approval.APPROVED
    votes = execution.votes.filter(pause_key=execution.pause_key, status=Vote.Status.COUNTED)
    names = [
        vote.username or "anonymous"
        for vote in votes
        if (vote.choice == Vote.Choice.APPROVE) == approved
    ]
    return {
        DECISION_LABEL: execution.verdict.lower(),
        DECIDED_BY_LABEL: ",".join(dict.fromkeys(names)) or "anonymous",
    }


def requester_label(execution: Execution) -> str:
    user = execution.submitted_by
    return user.get_username() if user is not None else "anonymous"


def _find_earlier_delivery(client: KestraClient, execution: Execution) -> dict[str, Any] | None:
    found = client.find_executions(
        execution.app.namespace, execution.app.flow_id, {SUBMISSION_LABEL: execution.token}
    )
    return found[0] if found else None


def _count_attempt(execution: Execution, clock: leases.LeaseClock) -> bool:
    """Record the attempt before calling Kestra, so a retry after a timeout knows to look
    for what this attempt may have created."""
    execution.attempts += 1
    return bool(
        Execution.objects.filter(pk=execution.pk, claim=clock.claim).update(
            attempts=execution.attempts
        )
    )


def _create_once(
    client: KestraClient, execution: Execution, clock: leases.LeaseClock
) -> dict[str, Any]:
    definition = execution.app.parsed
    if execution.attempts > 1:
        clock.check()
        earlier = _find_earlier_delivery(client, execution)
        if earlier:
            return earlier
    clock.check()
    with uploads.opened(execution) as files:
        return client.create_execution(
            definition.namespace,
            definition.flow_id,
            execution.payload,
            files=files,
            labels={
                SUBMISSION_LABEL: execution.token,
                APP_LABEL: definition.id,
                UID_LABEL: execution.app.uid,
                REQUESTER_LABEL: requester_label(execution),
            },
            revision=definition.flow_revision,
        )


def execution_deliver(*, execution_id: int, claim: str = "") -> Execution | None:
    """Create the Kestra execution of a stored submission, exactly once; the execution when
    this call delivered it (its first poll is due now), else None.

    A retry (after Kestra failed, timed out, or answered an error after creating it) first
    looks for the earlier attempt's execution by its `portal.submission` label. A failed
    attempt is handed out again once its backoff has passed.
    """
    clock = leases.hold(execution_id, claim, delivery=Execution.Delivery.QUEUED)
    if clock is None:
        return None
    execution = Execution.objects.select_related("app", "submitted_by").get(pk=execution_id)
    if not _count_attempt(execution, clock):
        return None
    config = leases.tracking_config()
    stage_before = execution.stage
    fields = ["kestra_id", "delivery", "payload", "error", "failure", "snapshot", "state"]
    if execution.payload is None:
        execution.give_up(Execution.Failure.KEYS_CHANGED)
        if leases.write_back(
            execution, clock, stage_before=stage_before, fields=fields, final=True
        ):
            uploads.release(execution)
        leases.log_hold("deliver", [execution_id], clock, "unreadable")
        return None
    try:
        created = _create_once(get_client(), execution, clock)
    except leases.LeaseRunningOut:
        leases.write_back(execution, clock, stage_before=stage_before, fields=[])
        leases.log_hold("deliver", [execution_id], clock, "lease-ran-out")
        return None
    except KestraUnavailable as exc:
        gave_up = execution.attempts >= config.delivery_max_attempts
        if gave_up:
            execution.give_up(Execution.Failure.UNREACHABLE)
        else:
            execution.error = str(exc)
        if leases.write_back(
            execution,
            clock,
            stage_before=stage_before,
            fields=fields,
            final=gave_up,
            interval=delivery_backoff(execution.attempts, cap=config.delivery_backoff_max_seconds),
        ):
            uploads.release(execution)
        leases.log_hold("deliver", [execution_id], clock, "unavailable")
        return None
    except KestraRejected as exc:
        execution.give_up(Execution.Failure.REJECTED, exc.message)
        if leases.write_back(
            execution, clock, stage_before=stage_before, fields=fields, final=True
        ):
            uploads.release(execution)
        leases.log_hold("deliver", [execution_id], clock, "rejected")
        return None
    execution.mark_delivered(created)
    logs.add(kestra_id=execution.kestra_id)
    written = leases.write_back(execution, clock, stage_before=stage_before, fields=fields)
    if written:
        uploads.release(execution)
    leases.log_hold("deliver", [execution_id], clock, "delivered")
    return execution if written else None


# --- poll -----------------------------------------------------------------------------------


def _store_new_logs(execution: Execution, entries: list[dict[str, Any]]) -> None:
    """Append the lines not stored yet (Kestra's list only grows) and keep their count."""
    known = execution.log_count
    if len(entries) <= known:
        return
    ExecutionLog.objects.bulk_create(
        [
            ExecutionLog(
                execution=execution,
                position=position,
                timestamp=parse_datetime(entry.get("timestamp") or ""),
                level=str(entry.get("level") or "INFO"),
                task_id=str(entry.get("taskId") or ""),
                message=str(entry.get("message") or ""),
            )
            for position, entry in enumerate(entries)
            if position >= known
        ],
        ignore_conflicts=True,
    )
    execution.log_count = len(entries)
    Execution.objects.filter(pk=execution.pk).update(log_count=len(entries))


def _task_run(run: Mapping[str, Any]) -> tuple[str, str]:
    """A task run's id and state: what tells that it changed."""
    return run.get("id", ""), run.get("state", {}).get("current", "")


def _task_runs(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    return [_task_run(run) for run in snapshot.get("taskRunList") or []]


def _final_outputs(
    execution: Execution, snapshot: dict[str, Any], flow: dict[str, Any]
) -> dict[str, Any]:
    """The stored task outputs that cannot have changed since they were read, by task run
    id: each task's last run, ended when they were read and the same now. Kestra 2.x is not
    asked for them again (a request per task run each time one changes). A task with SECRET
    onResume inputs is read again: what is stored is masked, and masking needs the values."""
    now = set(_task_runs(snapshot))
    runs = execution.snapshot.get("taskRunList") or []
    last_runs = {str(run.get("taskId") or ""): run for run in runs}
    known = {}
    for task_id, outputs in execution.task_outputs.items():
        run = last_runs.get(task_id)
        if run is None or forms.secret_answers(flow, task_id):
            continue
        run_id, state = _task_run(run)
        if state in stages.TERMINAL_STATES and (run_id, state) in now:
            known[run_id] = outputs
    return known


@dataclass(frozen=True)
class Pushed:
    """What Kestra's follow streams pushed (`executions.following`): the execution as its
    last event had it, and every log line its logs stream sent so far, in Kestra's order."""

    snapshot: dict[str, Any]
    logs: list[dict[str, Any]]


def _refresh_from_kestra(
    client: KestraClient,
    execution: Execution,
    clock: leases.LeaseClock,
    pushed: Pushed | None = None,
) -> bool:
    """State and logs on every poll (or what the streams pushed); task outputs when a task
    run changed; the resume form and the pause's deadline when the execution pauses; flow
    outputs and (read, not pushed) every log line at the end. True if anything changed."""
    kestra_id = execution.kestra_id or ""
    before = _task_runs(execution.snapshot)
    fingerprint = execution.fingerprint
    was_paused = execution.state == "PAUSED"
    clock.check()
    snapshot = pushed.snapshot if pushed is not None else client.execution(kestra_id)
    ended = str((snapshot.get("state") or {}).get("current") or "") in stages.TERMINAL_STATES
    changed_runs = _task_runs(snapshot) != before
    clock.check()
    flow = forms.flow_definition(execution.app)
    known = _final_outputs(execution, snapshot, flow) if changed_runs else {}
    task_outputs = client.task_outputs(snapshot, known) if changed_runs else {}
    # SECRET values Kestra sends back (inputs, onResume values in task outputs, a log line
    # that prints one) are masked before anything of them is stored.
    secrets = forms.secret_values(flow, snapshot, task_outputs)
    execution.apply_snapshot(forms.masked(snapshot, secrets))
    if changed_runs:
        execution.task_outputs = forms.masked(task_outputs, secrets)
    clock.check()
    # The logs stream may lag behind the execution's: at the end they are read in full.
    entries = pushed.logs if pushed is not None and not ended else client.logs(kestra_id)
    _store_new_logs(execution, forms.masked(entries, secrets))
    run = paused_run(execution.snapshot)
    if run is not None and str(run.get("id") or "") != execution.pause_key:
        clock.check()
        execution.note_pause(run, forms.flow_definition(execution.app), now=timezone.now())
    if execution.state == "PAUSED" and not (was_paused and execution.resume_form):
        clock.check()
        execution.resume_form = client.validate_resume(kestra_id, {})
    elif execution.state != "PAUSED":
        execution.resume_form = {}
    if execution.state in stages.TERMINAL_STATES:
        clock.check()
        execution.outputs = forms.masked(client.execution_outputs(snapshot), secrets)
        clock.check()
        execution.file_sizes = _file_sizes(client, execution)
        if execution.verdict:
            clock.check()
            client.set_labels(kestra_id, decision_labels(execution))
    return changed_runs or execution.fingerprint != fingerprint


# Files whose size one poll asks Kestra for, at most (one request each).
MAX_FILE_SIZES = 50


def _file_sizes(client: KestraClient, execution: Execution) -> dict[str, int]:
    """The sizes of the files the ended execution names (inputs, outputs, task outputs), as
    Kestra's file metadata gives them, the ones known kept. A file Kestra says nothing of
    (missing, refused) has no size; once Kestra stops answering, the rest have none."""
    sizes = {path: size for path, size in execution.file_sizes.items() if isinstance(size, int)}
    for path in sorted(presenters.known_files(execution) - sizes.keys())[:MAX_FILE_SIZES]:
        try:
            size = client.file_size(execution.kestra_id or "", path)
        except KestraUnavailable:
            break
        except KestraRejected:
            continue
        if size is not None:
            sizes[path] = size
    return sizes


# Written only when a new pause began: a vote may set the verdict while a poll runs.
PAUSE_FIELDS = ["pause_key", "paused_at", "pause_deadline", "pause_behavior", "verdict"]
POLL_FIELDS = [
    "snapshot",
    "state",
    "outputs",
    "task_outputs",
    "file_sizes",
    "resume_form",
    "error",
    "last_polled_at",
    "poll_interval",
    "poll_errors",
    "delivery",
    "failure",
]


def _poll_failed(execution: Execution, exc: Exception, config: leases.TrackingConfig) -> None:
    execution.poll_errors += 1
    execution.error = str(exc)
    lost = isinstance(exc, KestraNotFound) and execution.poll_errors >= config.lost_after_polls
    if lost:
        # A 404 right after creation is normal on an eventually consistent 2.x server;
        # many in a row mean Kestra no longer has it.
        execution.delivery = Execution.Delivery.FAILED
        execution.failure = Execution.Failure.LOST
    execution.poll_interval = config.unwatched_interval(execution.poll_interval, changed=False)


def execution_poll(*, execution_id: int, claim: str = "", pushed: Pushed | None = None) -> str:
    """Refresh state, logs, task outputs, the resume form and (when final) outputs from Kestra.

    The next poll is due a second after this one started while someone watches; otherwise
    after an interval that grows while nothing changes; never once final.

    `pushed`: what Kestra's streams sent, written instead of reading state and logs; the
    follower that holds `claim` keeps holding the execution afterwards, unless it is final
    or Kestra failed (then it is polled). Returns the outcome: "held" (someone else holds
    it), "lease-ran-out", "failed", "polled" or "final".
    """
    clock = leases.hold(execution_id, claim, delivery=Execution.Delivery.DELIVERED)
    if clock is None:
        return "held"
    kind = "poll" if pushed is None else "follow"
    config = leases.tracking_config()
    execution = Execution.objects.select_related("app").get(pk=execution_id)
    stage_before = execution.stage
    pause_before = execution.pause_key
    shown_before = execution.shown_version
    try:
        changed = _refresh_from_kestra(get_client(), execution, clock, pushed)
    except leases.LeaseRunningOut:
        # Nothing half-read is kept: the next holder polls again from what is stored.
        execution = Execution.objects.get(pk=execution_id)
        leases.write_back(execution, clock, stage_before=stage_before, fields=[])
        leases.log_hold(kind, [execution_id], clock, "lease-ran-out")
        return "lease-ran-out"
    except (KestraUnavailable, KestraRejected) as exc:
        # A poll that failed half-way (the state read, the logs not) keeps nothing of it:
        # a final state stored without its logs and outputs would never be polled again.
        execution = Execution.objects.get(pk=execution_id)
        _poll_failed(execution, exc, config)
        outcome = "failed"
    else:
        execution.error = ""
        execution.poll_errors = 0
        execution.last_polled_at = timezone.now()
        execution.poll_interval = config.unwatched_interval(
            execution.poll_interval, changed=changed
        )
        outcome = "polled"
    # Final only once a poll read everything at the end: a state stored earlier (a search hit
    # adopted on a delivery retry) says nothing of the logs and outputs not read yet.
    final = (outcome == "polled" and execution.state in stages.TERMINAL_STATES) or (
        execution.delivery == Execution.Delivery.FAILED
    )
    new_pause = execution.pause_key != pause_before
    with transaction.atomic():  # the messages it causes are written with what a poll learnt
        written = leases.write_back(
            execution,
            clock,
            stage_before=stage_before,
            fields=POLL_FIELDS + PAUSE_FIELDS if new_pause else POLL_FIELDS,
            final=final,
            interval=execution.poll_interval,
            watched_at=clock.started + timedelta(seconds=config.poll_seconds),
            shown_before=shown_before,
            keep=pushed is not None and outcome == "polled" and not final,
        )
        if written:
            _tell(execution, new_pause=new_pause, final=final and outcome == "polled")
    outcome = "final" if final else outcome
    leases.log_hold(kind, [execution_id], clock, outcome)
    return outcome if written else "held"


def _tell(execution: Execution, *, new_pause: bool, final: bool) -> None:
    """The events a poll found: a pause that waits for a decision, a request that ended."""
    if new_pause and execution.awaits_decision:
        events.decision_waits(execution, execution.standing(timezone.now()))
    if final and execution.origin == Execution.Origin.PORTAL:
        events.finished(execution)


# --- who is watching -------------------------------------------------------------------------


def execution_watch(*, execution: Execution) -> None:
    """Someone has the execution's page open: poll it every second for a while.

    Called on every live refresh of the page; writes only when the mark is about to run
    out (once every few seconds), and brings the next poll forward when nobody watched.
    A submission not delivered yet is marked too, its delivery left when it was: the
    follower (executions.following) then takes it the moment it is delivered.
    """
    if execution.is_settled:
        return
    config = leases.tracking_config()
    now = timezone.now()
    renew_after = now + timedelta(seconds=config.watch_seconds - WATCH_RENEW_SECONDS)
    if execution.watched_until is not None and execution.watched_until > renew_after:
        return
    was_watched = execution.watched_until is not None and execution.watched_until > now
    execution.watched_until = now + timedelta(seconds=config.watch_seconds)
    delivered = execution.delivery == Execution.Delivery.DELIVERED
    Execution.objects.filter(pk=execution.pk).mark_watched(
        now=now, until=execution.watched_until, poll_now=delivered and not was_watched
    )
