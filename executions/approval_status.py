"""Where a decision stands, as the pages and the inbox show it to one person: the policy in
sentences, the votes so far and their comments, who can still vote, the deadline, the
delegations and the escalation, and what this person may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from accounts import policy
from accounts.policy import Person
from apps_catalog import approval
from executions.models import Delegation, Execution, Standing, Vote, session_digest

# What Kestra does when a Pause task's duration ends, in the words of the page.
WHEN_TIME_IS_UP = {
    "RESUME": gettext_lazy("the request goes on without a decision"),
    "WARN": gettext_lazy("the request goes on, marked with a warning"),
    "FAIL": gettext_lazy("the request fails"),
    "CANCEL": gettext_lazy("the request is cancelled"),
}
MAX_CHAIN = 20  # resubmissions shown around a request
VERDICTS = {
    approval.APPROVED: pgettext_lazy("verdict", "Approved"),
    approval.REJECTED: pgettext_lazy("verdict", "Rejected"),
    approval.CHANGES_REQUESTED: pgettext_lazy("verdict", "Sent back for changes"),
}


@dataclass
class DecisionStatus:
    rules: list[str]
    step: str
    approvals: list[str]
    needed: int
    waiting_on: str
    votes: list[Vote]
    delegations: list[Delegation]
    escalation: str
    deadline: datetime | None
    when_time_is_up: str
    verdict: str
    written: bool = True  # the app has an approval policy of its own
    refusal: str = ""
    seat: str = ""
    can_vote: bool = False
    can_delegate: bool = False
    can_resubmit: bool = False
    reason_rules: dict[str, str] = field(default_factory=dict)

    @property
    def progress(self) -> str:
        return ngettext(
            "%(approvals)s of %(needed)s approval",
            "%(approvals)s of %(needed)s approvals",
            self.needed,
        ) % {"approvals": len(self.approvals), "needed": self.needed}


def decision_status(
    execution: Execution,
    user: Person,
    *,
    session_key: str,
    now: datetime,
    standing: Standing | None = None,
) -> DecisionStatus | None:
    """The decision on the execution's pause under way (or its last one), for this person;
    None when it never paused."""
    if not execution.pause_key and not execution.decision_pending:
        return None
    standing = standing or execution.standing(now)
    rules = standing.policy
    tally = standing.tally
    status = DecisionStatus(
        rules=describe_policy(rules),
        step=_step_name(rules, tally.step),
        approvals=list(tally.approvals),
        needed=tally.needed,
        waiting_on=_waiting_on(standing),
        votes=standing.votes,
        delegations=standing.delegations,
        escalation=_escalation(rules, standing.escalated),
        deadline=execution.pause_deadline,
        when_time_is_up=str(WHEN_TIME_IS_UP.get(execution.pause_behavior, "")),
        verdict=str(VERDICTS.get(execution.verdict, "")),
        written=rules.written,
        reason_rules={
            choice: rules.reason_rule(choice)
            for choice in (approval.APPROVE, approval.REJECT, approval.CHANGES)
        },
    )
    requester = bool(
        (user.is_authenticated and execution.submitted_by_id == user.pk)
        or (session_key and session_key == execution.session_key)
    )
    status.can_resubmit = requester and execution.verdict == approval.CHANGES_REQUESTED
    if not execution.decision_pending:
        return status
    seat = policy.decision_seat(
        user, execution, standing, session=session_digest(session_key), session_key=session_key
    )
    if isinstance(seat, policy.Refusal):
        status.refusal = seat.message
        return status
    status.can_vote = True
    status.seat = seat.seat
    status.can_delegate = rules.delegation and not seat.seat and user.is_authenticated
    return status


def resubmission_chain(execution: Execution) -> list[Execution]:
    """The requests this one is part of, oldest first: each sent back for changes and
    submitted again as the next."""
    chain = [execution]
    earlier = execution.resubmission_of
    while earlier is not None and len(chain) < MAX_CHAIN:
        chain.insert(0, earlier)
        earlier = earlier.resubmission_of
    later = _resubmission(execution)
    while later is not None and len(chain) < MAX_CHAIN:
        chain.append(later)
        later = _resubmission(later)
    return chain if len(chain) > 1 else []


def _resubmission(execution: Execution) -> Execution | None:
    """The first request submitted again in place of this one, if any. Its id is asked
    first: nearly every execution page has none, and a one-column query costs a fraction of
    reading a whole execution; none at all when the row was read with the answer."""
    if execution.resubmitted is False:
        return None
    first = execution.resubmissions.order_by("created").values_list("pk", flat=True).first()
    return None if first is None else Execution.objects.filter(pk=first).first()


def _step_name(rules: approval.ApprovalPolicy, index: int) -> str:
    if len(rules.steps) < 2:
        return ""
    name = rules.steps[index].name
    numbers = {"number": index + 1, "count": len(rules.steps), "name": name}
    if name:
        return _("Step %(number)s of %(count)s: %(name)s") % numbers
    return _("Step %(number)s of %(count)s") % numbers


def _waiting_on(standing: Standing) -> str:
    """The named approvers of the step under way who have not voted yet (their delegates
    in their place), and the groups named."""
    step = standing.policy.steps[standing.tally.step]
    handed = {d.from_username: d.to_username for d in standing.step_delegations()}
    users = [
        _("%(delegate)s (for %(name)s)") % {"delegate": handed[name], "name": name}
        if name in handed
        else name
        for name in step.approvers.users
        if not standing.has_voted(name)
    ]
    groups = [] if standing.tally.decided else list(step.approvers.groups)
    return policy.describe_approvers(approval.Approvers(tuple(users), tuple(groups)))


def preview_status(rules: approval.ApprovalPolicy) -> DecisionStatus:
    """The decision as a pause shows it before anyone voted, for the stage preview."""
    first = rules.steps[0]
    return DecisionStatus(
        rules=describe_policy(rules),
        step=_step_name(rules, 0),
        approvals=[],
        needed=first.needed,
        waiting_on=policy.describe_approvers(first.approvers),
        votes=[],
        delegations=[],
        escalation=_escalation(rules, escalated=False),
        deadline=None,
        when_time_is_up="",
        verdict="",
        written=rules.written,
    )


def _escalation(rules: approval.ApprovalPolicy, escalated: bool) -> str:
    if not rules.escalate_to.named:
        return ""
    who = policy.describe_approvers(rules.escalate_to)
    if escalated:
        return _("Escalated: %(names)s may decide too.") % {"names": who}
    return _("If nobody decides within %(span)s, %(names)s may decide too.") % {
        "span": _span(rules.escalate_after),
        "names": who,
    }


def _span(span: timedelta | None) -> str:
    """PT24H → "24 h", PT30M → "30 min", PT2S → "2 s"."""
    seconds = int(span.total_seconds()) if span is not None else 0
    if seconds >= 3600 and seconds % 3600 == 0:
        return _("%(count)s h") % {"count": seconds // 3600}
    if seconds >= 60 and seconds % 60 == 0:
        return _("%(count)s min") % {"count": seconds // 60}
    return _("%(count)s s") % {"count": seconds}


def describe_policy(rules: approval.ApprovalPolicy) -> list[str]:
    """The policy in sentences, for the approval page."""
    if not rules.written:
        return []
    lines = []
    if rules.self_approval == approval.SELF_ONLY:
        lines.append(_("Only the person who made the request answers it."))
    elif rules.self_approval == approval.SELF_FORBIDDEN:
        lines.append(_("The person who made the request may not decide on it."))
    for number, step in enumerate(rules.steps, start=1):
        lines.append(_describe_step(step, number if len(rules.steps) > 1 else 0))
    if rules.rejections > 1:
        lines.append(
            ngettext(
                "%(count)s rejection rejects the request.",
                "%(count)s rejections reject the request.",
                rules.rejections,
            )
            % {"count": rules.rejections}
        )
    return lines


def _describe_step(step: approval.Step, number: int) -> str:
    who = policy.describe_approvers(step.approvers) or _("anyone who may act on this app")
    if step.quorum is None:
        count = _("every one of them approves")
    elif step.quorum == 1:
        count = _("one approval is needed")
    else:
        count = ngettext(
            "%(count)s approval is needed", "%(count)s approvals are needed", step.quorum
        ) % {"count": step.quorum}
    described = _("Approvers: %(names)s; %(count)s.") % {"names": who, "count": count}
    if not number:
        return described
    if step.name:
        return _("Step %(number)s (%(name)s): %(rule)s") % {
            "number": number,
            "name": step.name,
            "rule": described,
        }
    return _("Step %(number)s: %(rule)s") % {"number": number, "rule": described}
