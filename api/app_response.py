"""Kestra's AppResponse, {dispatch, stream, layout: {blocks}}: the blocks the web page would
show for the same app, execution and person, as JSON (executions.blocks gives each block's
representation).

Action buttons carry the token to dispatch them with; a button whose action makes no
sense here (or is not this person's to take) is left out, as the page leaves it out.
Everything is read from the portal's database, never from Kestra.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from api import tokens
from apps_catalog.models import App
from executions import forms, stages
from executions.approval_status import DecisionStatus
from executions.blocks import CANCEL, CREATE, RESUME, ApiTarget, app_stage_blocks
from executions.models import Execution


@dataclass(frozen=True)
class Viewer:
    """What the response depends on besides the app and the execution."""

    base_url: str  # absolute, for `{{ app.url }}` and file links
    can_act: bool  # may vote on or cancel this execution (accounts.policy.can_act_now)
    decision: DecisionStatus | None = None  # where the decision on its pause stands


def available_actions(app: App, execution: Execution | None, can_act: bool) -> list[str]:
    """The actions that make sense now, in the order a layout usually offers them."""
    if execution is None:
        return [] if app.parsed.execution_id else [CREATE]
    found = []
    if can_act and execution.awaits_decision:
        found.append(RESUME)
    if can_act and execution.is_cancellable:
        found.append(CANCEL)
    return found


def _file_links(app: App, execution: Execution, base_url: str, path: str) -> dict[str, str]:
    query = urlencode({"path": path, "executionId": execution.public_id})
    links = {}
    for kind in ("meta", "preview", "download"):
        kwargs = {"tenant": settings.KESTRA_TENANT, "uid": app.uid}
        url = reverse(f"api:file_{kind}", kwargs=kwargs)
        links[kind] = f"{base_url}{url}?{query}"
    return links


def resume_fields(execution: Execution | None) -> list[forms.Field]:
    if execution is None or execution.stage != stages.PAUSE:
        return []
    return forms.resume_fields(execution)


def app_response(
    app: App,
    execution: Execution | None,
    viewer: Viewer,
    *,
    fields: Iterable[forms.Field] | None = None,
) -> dict[str, Any]:
    """The AppResponse for this app at this execution (None: the OPEN stage).

    `fields` are the form's fields, with their errors after a refused dispatch; by default
    the OPEN form is empty (the caller fetched it) and the resume form is the stored one.
    """
    stage = execution.stage if execution is not None else stages.OPEN
    actions = available_actions(app, execution, viewer.can_act)
    target = ApiTarget(
        tokens={action: tokens.dispatch_token(action, app, execution) for action in actions},
        fields=list(fields) if fields is not None else resume_fields(execution),
        file_links=partial(_file_links, app, execution, viewer.base_url) if execution else None,
    )
    # At OPEN, expressions read the form's answers, as the page's do.
    answers = forms.answers(target.fields) if execution is None else None
    blocks = app_stage_blocks(app, stage, execution, viewer.base_url, inputs=answers).api(target)
    return {
        "dispatch": target.tokens[actions[0]] if actions else None,
        "stream": tokens.stream_token(app, execution),
        "layout": {"blocks": blocks},
        # Beyond Kestra's shape: what a script needs to follow up without parsing blocks.
        "stage": stage,
        "executionId": execution.public_id if execution is not None else None,
        "state": execution.state or None if execution is not None else None,
        "final": stages.is_final(stage),
        "decision": decision_json(viewer.decision),
    }


def decision_json(status: DecisionStatus | None) -> dict[str, Any] | None:
    """The decision panel of the page, as data: the policy, the votes, the deadline, and
    what this caller may do (a refusal says why not)."""
    if status is None:
        return None
    return {
        "verdict": status.verdict or None,
        "progress": status.progress,
        "approvals": status.approvals,
        "needed": status.needed,
        "step": status.step or None,
        "waitingOn": status.waiting_on or None,
        "rules": status.rules,
        "deadline": status.deadline.isoformat() if status.deadline else None,
        "whenTimeIsUp": status.when_time_is_up or None,
        "escalation": status.escalation or None,
        "votes": [
            {
                "voter": v.voter,
                "choice": v.choice,
                "comment": v.comment,
                "onBehalfOf": v.seat or None,
            }
            for v in status.votes
        ],
        "delegations": [
            {"by": d.from_username, "to": d.to_username, "note": d.note} for d in status.delegations
        ],
        "mayVote": status.can_vote,
        "refusal": status.refusal or None,
    }
