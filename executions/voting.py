"""Votes and delegations on a paused execution, under its app's approval policy.

Each vote is written with the execution's row locked, and counted with every vote before
it: so two approvers deciding at the same moment are counted one after the other, and only
the vote that meets the policy sets the verdict. Whoever set it calls Kestra, once
(`executions.interactions`); a vote that comes after the verdict is recorded as too late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import policy
from accounts.policy import Person, Refusal
from executions import live
from executions.actions import Actor
from executions.models import Delegation, Execution, Standing, Vote
from notifications import events

TOO_LATE = gettext_noop("This request was decided a moment ago: your vote is recorded as too late.")


class VoteRefused(Exception):
    """The approval policy does not let this person do this; `refusal` says which rule."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


class VoteTooLate(Exception):
    """The pause was decided already, or Kestra moved on: the vote is kept as too late."""


@dataclass(frozen=True)
class Cast:
    """A vote counted: the verdict it brought ("" while the policy is not met yet) and
    where the decision stands after it."""

    vote: Vote
    verdict: str
    standing: Standing


def _locked(execution_id: int) -> Execution:
    # `of`: only the execution's row, not its app's (read with it, and shared by every vote).
    return (
        Execution.objects.select_for_update(of=("self",)).select_related("app").get(pk=execution_id)
    )


def _vote(
    execution: Execution, actor: Actor, choice: str, comment: str, values: dict[str, Any]
) -> Vote:
    return Vote(
        execution=execution,
        pause_key=execution.pause_key,
        choice=choice,
        user=actor.user,
        username=actor.user.get_username() if actor.user else "",
        session=actor.session,
        via=actor.via,
        comment=comment,
        values=values,
    )


def vote_cast(
    *,
    execution_id: int,
    user: Person,
    actor: Actor,
    session_key: str,
    choice: str,
    comment: str,
    values: dict[str, Any],
    now: datetime,
) -> Cast:
    """Count this person's vote on the pause under way. Raises VoteRefused when the policy
    does not let them vote (now: the step may have moved on since their page was drawn),
    VoteTooLate (the vote kept as such) when the pause has a verdict already."""
    with transaction.atomic():
        execution = _locked(execution_id)
        vote = _vote(execution, actor, choice, comment, values)
        if not execution.awaits_decision:
            vote.status = Vote.Status.TOO_LATE
            vote.save()
            return_value: Cast | Refusal | None = None
        else:
            return_value = _count(execution, vote, user, session_key, now)
    # Raised once the transaction is over: a vote kept as too late stays kept.
    if return_value is None:
        raise VoteTooLate(_(TOO_LATE))
    if isinstance(return_value, Refusal):
        raise VoteRefused(return_value)
    return return_value


def _count(
    execution: Execution, vote: Vote, user: Person, session_key: str, now: datetime
) -> Cast | Refusal:
    standing = execution.standing(now)
    seat = policy.decision_seat(
        user, execution, standing, session=vote.session, session_key=session_key
    )
    if isinstance(seat, Refusal):
        return seat
    vote.step = standing.tally.step
    vote.seat = seat.seat
    vote.save()
    after = execution.standing(now)
    Execution.objects.filter(pk=execution.pk).update(
        verdict=after.tally.verdict, votes_cast=F("votes_cast") + 1
    )
    live.publish(execution.pk)
    return Cast(vote, after.tally.verdict, after)


def vote_too_late(
    *, execution: Execution, actor: Actor, choice: str, comment: str, values: dict[str, Any]
) -> Vote:
    """Keep a vote that came after Kestra moved on (the pause timed out, or was ended
    elsewhere): nothing is sent to Kestra."""
    vote = _vote(execution, actor, choice, comment, values)
    vote.status = Vote.Status.TOO_LATE
    vote.save()
    return vote


def verdict_undo(*, cast: Cast) -> None:
    """Kestra could not take the verdict (unreachable, or it refused): the deciding vote is
    taken back, so the decision can be made again."""
    with transaction.atomic():
        execution = _locked(cast.vote.execution_id)
        cast.vote.delete()
        if execution.verdict == cast.verdict:
            Execution.objects.filter(pk=execution.pk).update(
                verdict="", votes_cast=F("votes_cast") + 1
            )
            live.publish(execution.pk)


def delegation_create(
    *,
    execution_id: int,
    user: Person,
    actor: Actor,
    session_key: str,
    to_username: str,
    note: str,
    now: datetime,
) -> Delegation:
    """Hand this approver's vote on the pause under way to someone else. Raises VoteRefused
    when the policy has no delegation, the person is not an approver of the step in their
    own seat, or the delegate may not take it."""
    with transaction.atomic():
        execution = _locked(execution_id)
        if not execution.awaits_decision:
            raise VoteTooLate(_("This request is not waiting for a decision any more."))
        standing = execution.standing(now)
        if not standing.policy.delegation:
            raise VoteRefused(
                Refusal("no-delegation", _("This app's approvals are not delegated."))
            )
        seat = policy.decision_seat(
            user, execution, standing, session=actor.session, session_key=session_key
        )
        if isinstance(seat, Refusal):
            raise VoteRefused(seat)
        if seat.seat:
            message = _("This decision was delegated to you: it cannot be handed on.")
            raise VoteRefused(Refusal("delegated", message))
        delegate = get_user_model().objects.filter(username=to_username).first()
        if delegate is None:
            raise VoteRefused(
                Refusal(
                    "delegate-not-eligible",
                    _("No user is named %(name)s.") % {"name": repr(to_username)},
                )
            )
        if delegate.pk == getattr(user, "pk", None):
            raise VoteRefused(Refusal("delegate-not-eligible", _("Choose someone other than you.")))
        refusal = policy.may_delegate_to(delegate, execution, standing)
        if refusal is not None:
            raise VoteRefused(refusal)
        delegation = Delegation.objects.create(
            execution=execution,
            pause_key=execution.pause_key,
            step=standing.tally.step,
            from_username=seat.voter,
            to_username=delegate.get_username(),
            note=note,
        )
        Execution.objects.filter(pk=execution.pk).update(votes_cast=F("votes_cast") + 1)
        live.publish(execution.pk)
        events.delegated(delegation)
    return delegation
