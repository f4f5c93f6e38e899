from __future__ import annotations

from django.conf import settings
from django.db import models

from apps_catalog.ids import new_uid
from apps_catalog.models import App
from executions import stages


class Execution(models.Model):
    """One execution of an app's flow, as the portal tracks it: from submission to final state."""

    class Delivery(models.TextChoices):
        QUEUED = stages.DELIVERY_QUEUED, "Queued"
        DELIVERED = stages.DELIVERY_DELIVERED, "Delivered"
        FAILED = stages.DELIVERY_FAILED, "Failed"

    class Origin(models.TextChoices):
        PORTAL = "PORTAL", "Submitted in the portal"
        DISCOVERED = "DISCOVERED", "Started outside the portal"

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="executions")
    token = models.CharField(max_length=22, unique=True, default=new_uid, editable=False)
    kestra_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.QUEUED)
    state = models.CharField(max_length=20, blank=True)
    stage = models.CharField(max_length=10, default=stages.CREATED)
    inputs = models.JSONField(default=dict, blank=True, help_text="What the person submitted.")
    payload = models.JSONField(
        default=dict, blank=True, help_text="Form values still to deliver; cleared once delivered."
    )
    snapshot = models.JSONField(
        default=dict, blank=True, help_text="Kestra's execution, as polled."
    )
    outputs = models.JSONField(default=dict, blank=True)
    log_count = models.PositiveIntegerField(
        default=0, help_text="How many log lines are stored: pages ask every second."
    )
    task_outputs = models.JSONField(
        default=dict, blank=True, help_text="Outputs of the task runs, by task id."
    )
    resume_form = models.JSONField(
        default=dict,
        blank=True,
        help_text="Kestra's validation of the paused task's onResume inputs, while PAUSED.",
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_action_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # Who holds the lease: a token per claim, so a worker only writes back what it still holds.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    watched_until = models.DateTimeField(
        null=True, blank=True, help_text="Someone has the page open until then: poll every second."
    )
    poll_interval = models.FloatField(
        default=0, help_text="Seconds between checks while nobody watches (grows while idle)."
    )
    poll_errors = models.PositiveIntegerField(
        default=0, help_text="Polls in a row that failed; reset by a successful one."
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PORTAL)
    stage_since = models.DateTimeField(
        null=True, blank=True, help_text="When the current stage began (Kestra's date if known)."
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    session_key = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
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
        return stages.is_final(self.stage)

    def refresh_stage(self) -> None:
        history = [h.get("state", "") for h in self.snapshot.get("state", {}).get("histories", [])]
        self.stage = stages.stage_for(delivery=self.delivery, state=self.state, history=history)


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


class SubmissionFile(models.Model):
    """A file a person uploaded with a submission, kept until Kestra has it."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="files")
    input_id = models.CharField(max_length=150)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150, default="application/octet-stream")
    file = models.FileField(upload_to=_upload_path, max_length=500)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["execution", "input_id"], name="one_file_per_input")
        ]

    def __str__(self) -> str:
        return f"{self.input_id}: {self.name}"


class Decision(models.Model):
    """The record of an approval, a rejection or a cancellation: who, when, from where, what."""

    class Action(models.TextChoices):
        RESUME = "RESUME", "Resumed (approved)"
        CANCEL = "CANCEL", "Cancelled (rejected)"

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    label = models.CharField(max_length=150, blank=True, help_text="The button's text.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user goes.")
    session = models.CharField(
        max_length=16, blank=True, help_text="A digest of an anonymous browser session."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    values = models.JSONField(default=dict, blank=True, help_text="What was sent; secrets masked.")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        who = self.username or f"anonymous {self.session}"
        return f"{self.get_action_display()} by {who}"
