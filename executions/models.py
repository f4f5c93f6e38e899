from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from apps_catalog.approval import ApprovalPolicy, Ballot, Tally, tally
from apps_catalog.definition import parse_iso_duration
from apps_catalog.ids import new_uid
from apps_catalog.models import App
from executions import stages
from kestra_apps.crypto import SealedJSONField


def state_fingerprint(state: Mapping[str, Any]) -> tuple[str, int]:
    """What tells a change of an execution's state apart, also in a light search result:
    the current state and the length of its history (PAUSED → RUNNING → PAUSED differs)."""
    return str(state.get("current") or ""), len(state.get("histories") or [])


def next_interval(current: float, *, changed: bool, fastest: float, slowest: float) -> float:
    """Seconds until the next check of an execution nobody watches: back to the fastest pace
    after a change, twice as long after each check that found none, up to the bound."""
    if changed or current <= 0:
        return fastest
    return min(max(current * 2, fastest), slowest)


def delivery_backoff(attempt: int, *, cap: float) -> float:
    """Seconds before delivering again after `attempt` attempts: 1, 2, 4 … up to `cap`."""
    return float(min(cap, 2 ** max(0, attempt - 1)))


def next_action_at(
    *, now: datetime, final: bool = False, interval: float = 0.0, watched_at: datetime | None = None
) -> datetime | Case | None:
    """When a worker acts on an execution next: the one rule, as the value an UPDATE of
    `next_action_at` writes.

    Never once the execution is final. Otherwise `interval` seconds from `now` (a backoff, or
    the pace of an execution nobody watches); but if a page watches it when the row is
    written, at `watched_at` (now when not given): the test is in the UPDATE itself, so a
    page opened while a worker held the execution is not missed.
    """
    if final:
        return None
    later = now + timedelta(seconds=interval)
    soon = now if watched_at is None else watched_at
    if soon == later:
        return later
    return Case(When(watched_until__gt=now, then=Value(soon)), default=Value(later))


def paused_run(snapshot: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The task run that is paused, the first one as Kestra resumes the first."""
    runs = snapshot.get("taskRunList") or []
    return next((r for r in runs if r.get("state", {}).get("current") == stages.STATE_PAUSED), None)


def find_task(node: Any, task_id: str) -> Mapping[str, Any] | None:
    """The task with this id anywhere in a flow (inside If, Parallel, errors, …)."""
    if isinstance(node, Mapping):
        if node.get("id") == task_id and "type" in node:
            return node
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    return next((t for c in children if (t := find_task(c, task_id)) is not None), None)


def pause_limit(task: Mapping[str, Any] | None) -> tuple[timedelta, str] | None:
    """How long a Pause task waits for a decision and what Kestra does then: its
    `pauseDuration` (the older `delay`, or `timeout`) and `behavior` (RESUME by default).
    None without one, or when it is an expression only Kestra can work out."""
    if not task:
        return None
    raw = task.get("pauseDuration") or task.get("delay") or task.get("timeout")
    duration = parse_iso_duration(raw) if isinstance(raw, str) else None
    if duration is None:
        return None
    return duration, str(task.get("behavior") or "RESUME").upper()


class ExecutionQuerySet(models.QuerySet["Execution"]):
    """The tracking transitions written as UPDATEs: who holds an execution and when it is due.

    Every lease test here is in the WHERE of the UPDATE on the execution row itself: on
    PostgreSQL a test inside a subquery is not made again on a row another claim just
    updated, so two claims could hold one execution (docs/tracking.md).
    """

    def unleased(self, now: datetime) -> ExecutionQuerySet:
        return self.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))

    def due(self, horizon: datetime) -> ExecutionQuerySet:
        return self.filter(next_action_at__lte=horizon)

    def watched(self, now: datetime) -> ExecutionQuerySet:
        return self.filter(watched_until__gt=now)

    def unwatched(self, now: datetime) -> ExecutionQuerySet:
        return self.exclude(watched_until__gt=now)

    def claim(self, claim: str, *, now: datetime, until: datetime) -> int:
        """Hold the rows nobody holds under `claim` until `until`; how many were taken."""
        return self.unleased(now).update(claim=claim, lease_until=until)

    def renew(self, claim: str, *, now: datetime, until: datetime) -> int:
        """Extend a claim that is still ours (held and not run out); how many rows."""
        return self.filter(claim=claim, lease_until__gte=now).update(lease_until=until)

    def write_held(self, claim: str, *, now: datetime, until: datetime, **values: Any) -> int:
        """Write `values` and hold on until `until`, only where `claim` still holds."""
        return self.filter(claim=claim, lease_until__gte=now).update(**values, lease_until=until)

    def release(self, claim: str, **values: Any) -> int:
        """Write `values` and let go, only where `claim` still holds; how many rows."""
        return self.filter(claim=claim).update(**values, lease_until=None, claim="")

    def mark_watched(self, *, now: datetime, until: datetime, poll_now: bool) -> int:
        """Someone has the page open until `until`. With `poll_now` (nobody watched a
        delivered execution before) the next poll comes forward to now (never later)."""
        if not poll_now:
            return self.update(watched_until=until)
        return self.update(
            watched_until=until,
            next_action_at=Case(
                When(next_action_at__gt=now, then=Value(now)), default="next_action_at"
            ),
        )

    def poll_soon(self, now: datetime) -> int:
        """Someone acted in Kestra (resume, kill): the next poll shows the result."""
        return self.update(next_action_at=now)


class Execution(models.Model):
    """One execution of an app's flow, as the portal tracks it: from submission to final state."""

    class Delivery(models.TextChoices):
        QUEUED = stages.DELIVERY_QUEUED, "Queued"
        DELIVERED = stages.DELIVERY_DELIVERED, "Delivered"
        FAILED = stages.DELIVERY_FAILED, "Failed"

    class Failure(models.TextChoices):
        """Why the portal gave up on an execution; shown in the reader's language
        (presenters.failure_text), with Kestra's own words (`error`) where it gave any."""

        KEYS_CHANGED = "KEYS_CHANGED", _("Its form values can no longer be read")
        UNREACHABLE = "UNREACHABLE", _("Kestra could not be reached")
        REJECTED = "REJECTED", _("Kestra rejected the submission")
        LOST = "LOST", _("Kestra no longer knows it")

    class Origin(models.TextChoices):
        PORTAL = "PORTAL", _("Submitted in the portal")
        DISCOVERED = "DISCOVERED", _("Started outside the portal")

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="executions")
    token = models.CharField(max_length=22, unique=True, default=new_uid, editable=False)
    kestra_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.QUEUED)
    state = models.CharField(max_length=20, blank=True)
    stage = models.CharField(max_length=10, default=stages.CREATED)
    inputs = models.JSONField(default=dict, blank=True, help_text=_("What the person submitted."))
    # SECRET values in clear: sealed while they wait, cleared at every final outcome, never
    # shown (the admin leaves it out).
    payload = SealedJSONField(
        purpose="execution-payload",
        default=dict,
        blank=True,
        help_text=_("Form values still to deliver; cleared once delivered or given up."),
    )
    snapshot = models.JSONField(
        default=dict, blank=True, help_text=_("Kestra's execution, as polled.")
    )
    outputs = models.JSONField(default=dict, blank=True)
    log_count = models.PositiveIntegerField(
        default=0, help_text=_("How many log lines are stored: pages ask every second.")
    )
    task_outputs = models.JSONField(
        default=dict, blank=True, help_text=_("Outputs of the task runs, by task id.")
    )
    file_sizes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Sizes in bytes of the files it names, by kestra:// path, read once it ended.",
    )
    resume_form = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Kestra's validation of the paused task's onResume inputs, while PAUSED."),
    )
    error = models.TextField(blank=True)
    failure = models.CharField(
        _("failure"),
        max_length=20,
        choices=Failure.choices,
        blank=True,
        help_text=_("Why the portal gave up on it, when it did."),
    )
    attempts = models.PositiveIntegerField(default=0)
    next_action_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # Who holds the lease: a token per claim, so a worker only writes back what it still holds.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    watched_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Someone has the page open until then: poll every second."),
    )
    poll_interval = models.FloatField(
        default=0, help_text=_("Seconds between checks while nobody watches (grows while idle).")
    )
    poll_errors = models.PositiveIntegerField(
        default=0, help_text=_("Polls in a row that failed; reset by a successful one.")
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PORTAL)
    stage_since = models.DateTimeField(
        null=True, blank=True, help_text=_("When the current stage began (Kestra's date if known).")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    session_key = models.CharField(max_length=64, blank=True)
    language = models.CharField(
        _("language"),
        max_length=15,
        blank=True,
        help_text=_(
            "The language the request was made in: messages to a requester without an"
            " account are written in it."
        ),
    )
    resubmission_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resubmissions",
        help_text=_("The request sent back for changes that this one replaces."),
    )
    # Whether a request replaced this one (resubmission_of it), when the row was read with
    # that answer (interactions.tracked_execution); None: not known, ask.
    resubmitted: bool | None = None
    # The pause under way, as the last poll read it: votes belong to one pause.
    pause_key = models.CharField(
        max_length=64, blank=True, help_text=_("Kestra's id of the paused task run.")
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_deadline = models.DateTimeField(
        null=True, blank=True, help_text=_("When the Pause task stops waiting (its duration).")
    )
    pause_behavior = models.CharField(
        max_length=10, blank=True, help_text=_("What Kestra does then: RESUME, WARN, FAIL, CANCEL.")
    )
    verdict = models.CharField(
        max_length=10, blank=True, help_text=_("The approval policy's verdict on this pause.")
    )
    votes_cast = models.PositiveIntegerField(
        default=0, help_text=_("Votes and delegations so far: pages compare it to see a change.")
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ExecutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("execution")
        verbose_name_plural = _("executions")
        ordering = ["-created"]
        indexes = [models.Index(fields=["stage", "stage_since"], name="execution_stage_since")]

    def __str__(self) -> str:
        return f"{self.app.app_id} {self.public_id} ({self.stage})"

    @property
    def public_id(self) -> str:
        """What URLs name: Kestra's id once known, the submission token before."""
        return self.kestra_id or self.token

    @property
    def is_final(self) -> bool:
        """The request is over in Kestra: nothing is left to decide or cancel."""
        return stages.is_final(self.stage)

    @property
    def awaits_decision(self) -> bool:
        """Paused in Kestra, with the resume form a poll read, and no verdict on this pause
        yet: a vote can be cast. Without the form, the onResume values would go to Kestra
        unread and it would take their defaults."""
        return self.decision_pending and bool(self.kestra_id) and bool(self.resume_form)

    @property
    def decision_pending(self) -> bool:
        """Paused, with no verdict on this pause yet: someone is to decide (the approvals
        inbox lists it, even before a poll has read the resume form)."""
        return self.stage == stages.PAUSE and not self.verdict

    def standing(
        self,
        now: datetime,
        *,
        votes: list[Vote] | None = None,
        delegations: list[Delegation] | None = None,
    ) -> Standing:
        """Where the decision on the pause under way stands, under the app's approval
        policy; `votes` and `delegations` when the caller read them already (the inbox)."""
        if votes is None:
            votes = list(self.votes.filter(pause_key=self.pause_key, status=Vote.Status.COUNTED))
        if delegations is None:
            delegations = list(self.delegations.filter(pause_key=self.pause_key))
        policy = self.app.parsed.approval_policy
        began = self.paused_at or self.stage_since
        escalated = bool(
            policy.escalate_after is not None
            and began is not None
            and now >= began + policy.escalate_after
        )
        ballots = [Ballot(v.voter_key, v.step, v.choice, v.seat) for v in votes]
        return Standing(policy, tally(policy, ballots), votes, delegations, escalated)

    @property
    def is_cancellable(self) -> bool:
        """Kestra has it, it is not over, and no cancel is on its way already."""
        return bool(self.kestra_id) and not self.is_final and self.state != stages.STATE_KILLING

    @property
    def resume_inputs(self) -> list[Mapping[str, Any]]:
        """The onResume inputs of the paused task, as Kestra's validation describes them."""
        return [entry.get("input") or {} for entry in self.resume_form.get("inputs") or []]

    @property
    def is_settled(self) -> bool:
        """Nothing more will change: a final stage, and no poll due any more. A final state
        stored before a poll read everything at the end (an execution adopted from one read,
        a search hit on a delivery retry) is not settled yet: its logs and outputs are to
        come, so pages keep refreshing and answers are not cached."""
        return self.is_final and self.next_action_at is None

    @classmethod
    def discovered(
        cls,
        app: App,
        result: Mapping[str, Any],
        *,
        now: datetime,
        claim: str = "",
        until: datetime | None = None,
    ) -> Execution:
        """An unsaved row for an execution started outside the portal, from Kestra's JSON (a
        full execution or a search result), due at once; held under `claim` until `until`
        when given."""
        state = result.get("state") or {}
        histories = state.get("histories") or []
        since = parse_datetime(str(histories[-1].get("date") or "")) if histories else None
        current = str(state.get("current") or "")
        return cls(
            app=app,
            kestra_id=result["id"],
            delivery=cls.Delivery.DELIVERED,
            origin=cls.Origin.DISCOVERED,
            snapshot=dict(result),
            state=current,
            stage=stages.stage_for(delivery=stages.DELIVERY_DELIVERED, state=current),
            stage_since=since or now,
            next_action_at=now,
            claim=claim,
            lease_until=until,
        )

    @property
    def shown_version(self) -> str:
        """A fingerprint of everything an execution's page and the API's view show of it:
        the version the live channel passes on with each change (executions.live), and
        with the app and the viewer's rights, the page's version (views.common.live_version)."""
        history = self.snapshot.get("state", {}).get("histories") or []
        shown = [
            self.stage,
            self.state,
            self.delivery,
            self.error,
            len(history),
            self.outputs,
            self.task_outputs,
            self.resume_form,
            self.log_count,
            self.verdict,
            self.votes_cast,
            self.pause_deadline,
            self.is_settled,
        ]
        encoded = json.dumps(shown, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()[:16]

    @property
    def fingerprint(self) -> tuple[str, int]:
        """The state as the last poll stored it, to compare with a search result."""
        return state_fingerprint(self.snapshot.get("state") or {})

    def refresh_stage(self) -> None:
        history = [h.get("state", "") for h in self.snapshot.get("state", {}).get("histories", [])]
        self.stage = stages.stage_for(delivery=self.delivery, state=self.state, history=history)

    def settle_stage(self, *, stage_before: str, now: datetime) -> None:
        """The stage for what is stored now, and when it began: unchanged since then if the
        stage is the same, else Kestra's date for its current state when it has one."""
        self.refresh_stage()
        if self.stage == stage_before and self.stage_since is not None:
            return
        histories = self.snapshot.get("state", {}).get("histories") or []
        since = None
        if histories and self.delivery == self.Delivery.DELIVERED:
            since = parse_datetime(str(histories[-1].get("date") or ""))
        self.stage_since = since or now

    def note_pause(
        self, run: Mapping[str, Any] | None, flow: Mapping[str, Any] | None, *, now: datetime
    ) -> bool:
        """Keep which pause is under way (`run`: the paused task run, `paused_run`); True
        when a new one began. A
        new pause (another task run) is a new decision: no verdict, votes of its own, and
        its deadline from the Pause task in `flow`. Once no task is paused the last pause
        is kept, with its verdict and votes, for the pages and the labels."""
        if run is None or str(run.get("id") or "") == self.pause_key:
            return False
        self.pause_key = str(run.get("id") or "")
        self.verdict = ""
        dates = [
            h.get("date")
            for h in run.get("state", {}).get("histories") or []
            if h.get("state") == stages.STATE_PAUSED
        ]
        self.paused_at = (parse_datetime(str(dates[-1])) if dates else None) or now
        limit = pause_limit(find_task(flow or {}, str(run.get("taskId") or "")))
        self.pause_deadline = self.paused_at + limit[0] if limit else None
        self.pause_behavior = limit[1] if limit else ""
        return True

    def apply_snapshot(self, kestra_execution: dict[str, Any]) -> None:
        """Keep what Kestra said of the execution: the whole of it, and its current state."""
        self.snapshot = kestra_execution
        self.state = kestra_execution.get("state", {}).get("current", "")

    def mark_delivered(self, kestra_execution: dict[str, Any]) -> None:
        """Kestra has the execution (created now, or found from an earlier attempt): the
        form values are no longer needed and polling takes over."""
        self.kestra_id = kestra_execution["id"]
        self.delivery = self.Delivery.DELIVERED
        self.payload = {}
        self.error = ""
        self.apply_snapshot(kestra_execution)

    def give_up(self, failure: Failure, error: str = "") -> None:
        """Delivery is over without Kestra having it: the form values are dropped. `error`:
        Kestra's words, when it gave any."""
        self.delivery = self.Delivery.FAILED
        self.payload = {}
        self.failure = failure
        self.error = error


class ExecutionLog(models.Model):
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="logs")
    position = models.PositiveIntegerField()
    timestamp = models.DateTimeField(null=True)
    level = models.CharField(max_length=10)
    task_id = models.CharField(max_length=150, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        # The column, not the relation: "execution" would sort by the execution's own
        # ordering, joining its table on every read of the logs.
        ordering = ["execution_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "position"], name="log_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.task_id}: {self.message[:80]}"


def _upload_path(instance: SubmissionFile, filename: str) -> str:
    return f"submissions/{instance.execution.token}/{instance.input_id}/{filename}"


def _upload_storage() -> Storage:
    """The storage named by UPLOAD_STORAGE (the database unless set otherwise)."""
    return storages["uploads"]


class StoredFile(models.Model):
    """The bytes of a file kept by `executions.file_storage.DatabaseStorage`: every node
    reads them, and they are written in the submission's transaction."""

    name = models.CharField(max_length=500, unique=True)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class SubmissionFile(models.Model):
    """A file a person uploaded with a submission, kept until Kestra has it."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="files")
    input_id = models.CharField(max_length=150)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150, default="application/octet-stream")
    file = models.FileField(upload_to=_upload_path, storage=_upload_storage, max_length=500)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["execution", "input_id"], name="one_file_per_input")
        ]

    def __str__(self) -> str:
        return f"{self.input_id}: {self.name}"


VIA_LINK = "emailed link"  # decided through a signed link from a notification, not a login
VIA_HELP = _("How the person came when not through their own session (an emailed link).")


class Decision(models.Model):
    """The record of an approval, a rejection or a cancellation: who, when, from where, what."""

    class Action(models.TextChoices):
        RESUME = "RESUME", _("Resumed (approved)")
        CANCEL = "CANCEL", _("Cancelled (rejected)")
        CHANGES = "CHANGES", _("Cancelled (sent back for changes)")

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    label = models.CharField(max_length=150, blank=True, help_text=_("The button's text."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True, help_text=_("Kept if the user goes."))
    session = models.CharField(
        max_length=16, blank=True, help_text=_("A digest of an anonymous browser session.")
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=20, blank=True, help_text=VIA_HELP)
    values = models.JSONField(
        default=dict, blank=True, help_text=_("What was sent; secrets masked.")
    )
    reason = models.TextField(blank=True, help_text=_("The deciding vote's comment."))
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-created"]

    def __str__(self) -> str:
        who = self.username or f"anonymous {self.session}"
        return f"{self.get_action_display()} by {who}"


class Vote(models.Model):
    """One person's vote on one pause of an execution, under the app's approval policy:
    counted, or recorded as too late (the decision was made, or Kestra moved on)."""

    class Choice(models.TextChoices):
        APPROVE = "APPROVE", _("Approve")
        REJECT = "REJECT", _("Reject")
        CHANGES = "CHANGES", _("Request changes")

    class Status(models.TextChoices):
        COUNTED = "COUNTED", _("Counted")
        TOO_LATE = "TOO_LATE", _("Too late")

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="votes")
    pause_key = models.CharField(max_length=64, blank=True)
    step = models.PositiveSmallIntegerField(default=0)
    choice = models.CharField(max_length=10, choices=Choice.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COUNTED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True, help_text=_("Kept if the user goes."))
    session = models.CharField(
        max_length=16, blank=True, help_text=_("A digest of an anonymous browser session.")
    )
    seat = models.CharField(
        max_length=150, blank=True, help_text=_("The approver who delegated this vote.")
    )
    via = models.CharField(max_length=20, blank=True, help_text=VIA_HELP)
    comment = models.TextField(blank=True)
    values = models.JSONField(
        default=dict, blank=True, help_text=_("What was sent; secrets masked.")
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["execution", "pause_key", "step", "username"],
                condition=models.Q(status="COUNTED") & ~models.Q(username=""),
                name="one_counted_vote_per_person_and_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_choice_display()} by {self.voter}"

    @property
    def voter(self) -> str:
        return self.username or f"anonymous {self.session}"

    @property
    def voter_key(self) -> str:
        """Who voted, as the count tells voters apart."""
        return voter_key(self.username, self.session)


def session_digest(session_key: str) -> str:
    """How a browser session is recorded and told apart: never the key itself."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:16] if session_key else ""


def voter_key(username: str, session: str) -> str:
    """A user by name; an anonymous browser session by its digest."""
    return username or f"~{session}"


@dataclass(frozen=True)
class Standing:
    """The decision on one pause: the app's policy, the count, the counted votes and the
    delegations, and whether the escalation approvers may decide too by now."""

    policy: ApprovalPolicy
    tally: Tally
    votes: list[Vote]
    delegations: list[Delegation]
    escalated: bool

    def step_delegations(self) -> list[Delegation]:
        return [d for d in self.delegations if d.step == self.tally.step]

    def has_voted(self, key: str) -> bool:
        """Whether this voter, or a delegate in their place, voted in the step under way."""
        step = self.tally.step
        return any(v.step == step and key in (v.voter_key, v.seat) for v in self.votes)

    def voted_before(self, key: str) -> bool:
        """Whether this voter voted in an earlier step of the pause under way."""
        return any(v.step < self.tally.step and v.voter_key == key for v in self.votes)


class Delegation(models.Model):
    """An approver handed their vote on one pause to someone else, with a note."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="delegations")
    pause_key = models.CharField(max_length=64, blank=True)
    step = models.PositiveSmallIntegerField(default=0)
    from_username = models.CharField(max_length=150)
    to_username = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["execution", "pause_key", "step", "from_username"],
                name="one_delegation_per_approver_and_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_username} → {self.to_username}"


class KestraRequestCount(models.Model):
    """Requests to Kestra by endpoint, status and latency bucket, added up by every process
    (`executions.request_counts`): one scrape of any web node sees the whole cluster's."""

    endpoint = models.CharField(max_length=40)
    status = models.CharField(max_length=12)
    bucket = models.FloatField(help_text=_("The latency bucket's upper bound, in seconds."))
    count = models.PositiveBigIntegerField(default=0)
    seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "status", "bucket"], name="one_count_per_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.status} ≤{self.bucket}s: {self.count}"


class LiveChange(models.Model):
    """One saved change to an execution, for the web processes to pass on to the pages
    that show it, when LIVE_CHANNEL is "database" (executions.live): they read the rows
    after the last one they saw; rows older than a minute are deleted."""

    execution_id = models.BigIntegerField()
    version = models.CharField(max_length=32, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.execution_id} {self.version}"
