"""What a person does to a running execution: resume it (approve) or cancel it (reject).

Each call goes to Kestra straight away and is recorded as a Decision; the worker's next
poll, brought forward, shows the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from executions import forms, live, stages
from executions.kestra import get_client
from executions.kestra.client import FileField
from executions.models import Decision, Execution, session_digest
from notifications import events


@dataclass(frozen=True)
class Actor:
    """Who acts, as the record keeps it: never the session key itself, only a digest."""

    user: User | None = None
    session: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    via: str = ""  # how the person came, when not through their own session: VIA_LINK

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user: User | AnonymousUser = request.user
        key = request.session.session_key or ""
        return cls(
            user=user if user.is_authenticated else None,
            session=session_digest(key),
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )


def _record(
    execution: Execution,
    action: str,
    actor: Actor,
    label: str,
    values: dict[str, Any],
    reason: str = "",
    *,
    decided: bool = False,
) -> None:
    """The record; a decision on a pause (`decided`) also tells the requester, in the same
    transaction."""
    with transaction.atomic():
        decision = Decision.objects.create(
            reason=reason,
            execution=execution,
            action=action,
            label=label[:150],
            user=actor.user,
            username=actor.user.get_username() if actor.user else "",
            session=actor.session,
            ip_address=actor.ip_address,
            user_agent=actor.user_agent,
            via=actor.via,
            values=values,
        )
        if decided:
            events.decided(decision)


class AlreadyOver(Exception):
    """Kestra says the execution ended before the portal heard of it: nothing to cancel."""


def execution_cancel(
    *,
    execution: Execution,
    actor: Actor,
    label: str = "Cancel",
    action: str = Decision.Action.CANCEL,
    reason: str = "",
    decided: bool = False,
) -> None:
    """Ask Kestra to kill the execution (KILLING, then KILLED); the page shows it at once.
    `action` says why in the record: a cancel, a rejection, or sent back for changes.

    Kestra answers a kill of a finished execution as if it had worked, so its state is
    read first: a cancel is recorded only when there was something to cancel."""
    assert execution.kestra_id is not None
    client = get_client()
    current = client.execution(execution.kestra_id)
    if current.get("state", {}).get("current") in stages.TERMINAL_STATES:
        raise AlreadyOver
    client.kill(execution.kestra_id)
    _record(execution, action, actor, label, {}, reason, decided=decided)
    execution.state = stages.STATE_KILLING
    execution.refresh_stage()
    execution.save(update_fields=["state", "stage", "updated"])
    live.publish(execution.pk, execution.shown_version)
    Execution.objects.filter(pk=execution.pk).poll_soon(timezone.now())


def masked(execution: Execution, values: dict[str, str], files: dict[str, FileField]) -> dict:
    """What the record keeps of the onResume values: secrets masked, files by name."""
    shown: dict[str, Any] = forms.shown_values(values, execution.resume_inputs)
    shown.update({k: f"file: {spec[0]}" for k, spec in files.items()})
    return shown


def execution_resume(
    *,
    execution: Execution,
    actor: Actor,
    values: dict[str, str],
    files: dict[str, FileField] | None = None,
    label: str = "Resume",
    reason: str = "",
    decided: bool = False,
) -> None:
    """Resume the paused execution with the onResume values; the page moves to RESUME."""
    assert execution.kestra_id is not None
    get_client().resume(execution.kestra_id, values, files)
    shown = masked(execution, values, files or {})
    _record(execution, Decision.Action.RESUME, actor, label, shown, reason, decided=decided)
    execution.state = "RESTARTED"
    execution.resume_form = {}
    execution.refresh_stage()
    execution.save(update_fields=["state", "resume_form", "stage", "updated"])
    live.publish(execution.pk, execution.shown_version)
    Execution.objects.filter(pk=execution.pk).poll_soon(timezone.now())
