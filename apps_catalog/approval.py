"""Approval policies, the portal's extension to Kestra's app YAML (`approval:`), and the
count of votes that says when a paused execution is decided.

Pure core: no Django, no I/O. `apps_catalog.definition` reads the YAML into an
`ApprovalPolicy`; `accounts.policy` asks it who may decide; `tally` turns the votes cast
so far into the current step and, once the policy is met, a verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

# Who made the request may decide: never (the default of a written policy), like anyone
# else, or they alone (a pause that asks the requester for more information).
SELF_FORBIDDEN = "forbidden"
SELF_ALLOWED = "allowed"
SELF_ONLY = "only"

# A comment with a vote.
NONE = "NONE"
OPTIONAL = "OPTIONAL"
REQUIRED = "REQUIRED"
REASON_RULES = (NONE, OPTIONAL, REQUIRED)

# What a vote says, and the verdict it may bring.
APPROVE = "APPROVE"
REJECT = "REJECT"
CHANGES = "CHANGES"  # rejected, with a request to change and resubmit
APPROVED = "APPROVED"
REJECTED = "REJECTED"
CHANGES_REQUESTED = "CHANGES"
QUORUM_ALL = "ALL"


def iso_duration(span: timedelta) -> str:
    """timedelta(hours=24) → "PT86400S": what the parser reads back (seconds_of)."""
    seconds = span.total_seconds()
    return f"PT{int(seconds)}S" if seconds.is_integer() else f"PT{seconds:.6f}S"


def seconds_of(text: str) -> timedelta:
    """Inverse of iso_duration."""
    return timedelta(seconds=float(text.removeprefix("PT").removesuffix("S")))


@dataclass(frozen=True)
class Approvers:
    """People named by user name, and groups named by group name."""

    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def named(self) -> bool:
        return bool(self.users or self.groups)

    def include(self, username: str, groups: Iterable[str]) -> bool:
        return username in self.users or not set(self.groups).isdisjoint(groups)

    def to_dict(self) -> dict[str, list[str]]:
        return {"users": list(self.users), "groups": list(self.groups)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Approvers:
        data = data or {}
        return cls(users=tuple(data.get("users") or ()), groups=tuple(data.get("groups") or ()))


@dataclass(frozen=True)
class Step:
    """One step of a policy: who may approve in it, and how many approvals it needs (None:
    every named user)."""

    name: str = ""
    approvers: Approvers = Approvers()
    quorum: int | None = 1

    @property
    def needed(self) -> int:
        return len(self.approvers.users) if self.quorum is None else self.quorum

    def to_dict(self) -> dict[str, Any]:
        quorum: int | str = QUORUM_ALL if self.quorum is None else self.quorum
        return {"name": self.name or None, "approvers": self.approvers.to_dict(), "quorum": quorum}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        quorum = data.get("quorum", 1)
        return cls(
            name=data.get("name") or "",
            approvers=Approvers.from_dict(data.get("approvers")),
            quorum=None if quorum == QUORUM_ALL else int(quorum),
        )


@dataclass(frozen=True)
class ApprovalPolicy:
    """Who decides on a paused execution of an app, how many must agree, and what they
    must say. `written` is False for the policy of an app without `approval:`, which keeps
    Kestra's behaviour: whoever may act on the execution decides, alone, the requester
    included."""

    steps: tuple[Step, ...] = (Step(),)
    self_approval: str = SELF_FORBIDDEN
    rejections: int = 1
    approve_reason: str = OPTIONAL
    reject_reason: str = REQUIRED
    escalate_after: timedelta | None = None
    escalate_to: Approvers = Approvers()
    delegation: bool = True
    written: bool = True

    def to_dict(self) -> dict[str, Any]:
        """As the `approval:` YAML says it (nulls count as absent there)."""
        self_approval: bool | str = {SELF_FORBIDDEN: False, SELF_ALLOWED: True}.get(
            self.self_approval, self.self_approval
        )
        after = self.escalate_after
        return {
            "steps": [step.to_dict() for step in self.steps],
            "selfApproval": self_approval,
            "rejections": self.rejections,
            "reason": {"approve": self.approve_reason, "reject": self.reject_reason},
            "escalateAfter": None if after is None else iso_duration(after),
            "escalateTo": self.escalate_to.to_dict() if after is not None else None,
            "delegation": self.delegation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApprovalPolicy:
        """Inverse of to_dict, for a policy this module wrote itself."""
        after = data.get("escalateAfter")
        reason = data.get("reason") or {}
        self_approval = data.get("selfApproval", False)
        return cls(
            steps=tuple(Step.from_dict(step) for step in data.get("steps") or ()) or (Step(),),
            self_approval={False: SELF_FORBIDDEN, True: SELF_ALLOWED}.get(
                self_approval, str(self_approval)
            ),
            rejections=int(data.get("rejections", 1)),
            approve_reason=reason.get("approve", OPTIONAL),
            reject_reason=reason.get("reject", REQUIRED),
            escalate_after=None if after is None else seconds_of(after),
            escalate_to=Approvers.from_dict(data.get("escalateTo")),
            delegation=bool(data.get("delegation", True)),
        )

    def reason_rule(self, choice: str) -> str:
        """Whether a vote of this kind takes a comment; sending one back always needs one."""
        if choice == CHANGES:
            return REQUIRED
        return self.approve_reason if choice == APPROVE else self.reject_reason


# The policy of an app without `approval:`: Kestra's own behaviour.
KESTRA_DEFAULT = ApprovalPolicy(
    self_approval=SELF_ALLOWED,
    approve_reason=OPTIONAL,
    reject_reason=OPTIONAL,
    delegation=False,
    written=False,
)


@dataclass(frozen=True)
class Ballot:
    """A vote as the count sees it: who cast it, in whose place (a delegation), in which
    step, and what it says."""

    voter: str
    step: int
    choice: str
    seat: str = ""  # the approver whose place a delegate took; "" for the voter's own

    @property
    def holder(self) -> str:
        return self.seat or self.voter


@dataclass(frozen=True)
class Tally:
    """Where the decision stands: the step under way, its approvals and rejections so far,
    how many approvals it needs, and the verdict once there is one."""

    step: int
    approvals: tuple[str, ...] = ()
    rejections: tuple[str, ...] = ()
    needed: int = 1
    verdict: str = ""
    done_steps: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def decided(self) -> bool:
        return bool(self.verdict)


def tally(policy: ApprovalPolicy, ballots: Iterable[Ballot]) -> Tally:
    """Count the ballots step by step: a step is met once its quorum of distinct approvers
    (or every named user, for ALL) approved; the first step not met is under way. Enough
    rejections in the step under way reject; the last of them says how (rejected, or sent
    back for changes). All steps met: approved."""
    ballots = list(ballots)
    done: list[tuple[str, ...]] = []
    for index, step in enumerate(policy.steps):
        here = [ballot for ballot in ballots if ballot.step == index]
        approvals = tuple(dict.fromkeys(b.holder for b in here if b.choice == APPROVE))
        rejections = [b for b in here if b.choice != APPROVE]
        rejected = tuple(dict.fromkeys(b.holder for b in rejections))
        if len(rejected) >= policy.rejections:
            verdict = CHANGES_REQUESTED if rejections[-1].choice == CHANGES else REJECTED
            return Tally(index, approvals, rejected, step.needed, verdict, tuple(done))
        if not _met(step, approvals):
            return Tally(index, approvals, rejected, step.needed, "", tuple(done))
        done.append(approvals)
    last = len(policy.steps) - 1
    approvals = done.pop() if done else ()
    return Tally(last, approvals, (), policy.steps[last].needed, APPROVED, tuple(done))


def _met(step: Step, approvals: tuple[str, ...]) -> bool:
    if step.quorum is None:
        return set(step.approvers.users) <= set(approvals)
    return len(approvals) >= step.quorum
