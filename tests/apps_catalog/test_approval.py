"""The approval policy as YAML (`approval:`, a portal extension) and the count of votes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps_catalog import approval
from apps_catalog.approval import ApprovalPolicy, Approvers, Ballot, Step, tally
from apps_catalog.definition import AppDefinition, DefinitionError, parse_app
from executions.approval_status import describe_policy

HEAD = """\
id: vm
type: io.kestra.plugin.ee.apps.Execution
displayName: VM request
namespace: company.team
flowId: vm
"""


def parse(extra: str) -> AppDefinition:
    return parse_app(HEAD + extra)


def issues(extra: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse(extra)
    return [str(issue) for issue in caught.value.issues]


def test_an_app_without_a_policy_keeps_kestras_behaviour():
    definition = parse("")
    assert definition.approval is None
    policy = definition.approval_policy
    assert policy.self_approval == approval.SELF_ALLOWED
    assert not policy.written
    assert describe_policy(policy) == []


def test_one_line_forbids_self_approval_with_the_safe_defaults():
    policy = parse("approval: {selfApproval: false}\n").approval
    assert policy == ApprovalPolicy()
    assert policy.self_approval == approval.SELF_FORBIDDEN
    assert policy.reason_rule(approval.REJECT) == approval.REQUIRED
    assert policy.reason_rule(approval.APPROVE) == approval.OPTIONAL
    assert describe_policy(policy) == [
        "The person who made the request may not decide on it.",
        "Approvers: anyone who may act on this app; one approval is needed.",
    ]


def test_a_full_policy_reads_and_survives_storage():
    definition = parse(
        """\
approval:
  selfApproval: only
  rejections: 2
  reason: {approve: REQUIRED, reject: NONE}
  steps:
    - name: Team lead
      approvers: {groups: [Leads]}
    - name: Finance
      approvers: {users: [carol, dan]}
      quorum: ALL
  escalateAfter: PT24H
  escalateTo: {users: [boss], groups: [Directors]}
  delegation: false
"""
    )
    policy = definition.approval
    assert policy is not None
    assert policy.steps == (
        Step("Team lead", Approvers(groups=("Leads",)), 1),
        Step("Finance", Approvers(users=("carol", "dan")), None),
    )
    assert policy.steps[1].needed == 2
    assert policy.self_approval == approval.SELF_ONLY
    assert policy.rejections == 2
    assert policy.reason_rule(approval.APPROVE) == approval.REQUIRED
    assert policy.reason_rule(approval.REJECT) == approval.NONE
    assert policy.reason_rule(approval.CHANGES) == approval.REQUIRED  # always
    assert policy.escalate_after == timedelta(hours=24)
    assert policy.escalate_to == Approvers(("boss",), ("Directors",))
    assert not policy.delegation
    assert AppDefinition.from_dict(definition.to_dict()) == definition
    assert describe_policy(policy)[1:3] == [
        "Step 1 (Team lead): Approvers: the group Leads; one approval is needed.",
        "Step 2 (Finance): Approvers: carol and dan; every one of them approves.",
    ]


def test_each_mistake_is_reported_at_its_line():
    found = issues(
        """\
approval:
  approvers: {users: [a]}
  quorum: 3
  selfApproval: maybe
  reason: {reject: required}
  escalateAfter: PT1H
  steps: []
  color: red
"""
    )
    assert found == [
        "line 7: approval.approvers: goes inside each step when the policy has steps",
        "line 8: approval.quorum: goes inside each step when the policy has steps",
        "line 9: approval.selfApproval: must be true, false or only, got the string 'maybe'",
        "line 10: approval.reason.reject: must be one of NONE, OPTIONAL, REQUIRED, got "
        "'required' (values are upper case: REQUIRED)",
        "line 11: approval.escalateAfter: needs escalateTo beside it",
        "line 12: approval.steps: must list at least one step",
        "line 13: approval.color: is not a known property; expected one of approvers, quorum, "
        "steps, selfApproval, rejections, reason, escalateAfter, escalateTo, delegation",
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "approval: {approvers: {users: [a, b]}, quorum: 3}\n",
            "line 6: approval.quorum: asks for 3 approvals from 2 named users",
        ),
        (
            "approval: {approvers: {groups: [HR]}, quorum: ALL}\n",
            "line 6: approval.quorum: ALL needs approvers.users: the people who must all approve",
        ),
        (
            "approval: {quorum: 0}\n",
            "line 6: approval.quorum: must be an integer from 1 to 100, got 0",
        ),
        (
            "approval: {steps: [{name: Lead}]}\n",
            "line 6: approval.steps[0].approvers: is required",
        ),
        (
            "approval: {approvers: {users: [''], teams: [x]}}\n",
            "line 6: approval.approvers.teams: is not a known property; expected one of users, "
            "groups",
        ),
        (
            "approval: {escalateTo: {users: [boss]}, escalateAfter: tomorrow}\n",
            "line 6: approval.escalateAfter: must be an ISO-8601 duration such as PT30S or "
            "PT1M30S, got 'tomorrow'",
        ),
    ],
)
def test_bad_policies_say_what_is_wrong(extra, message):
    assert message in issues(extra)


def vote(voter: str, choice: str = approval.APPROVE, step: int = 0, seat: str = "") -> Ballot:
    return Ballot(voter, step, choice, seat)


TWO_OF_ANY = ApprovalPolicy(steps=(Step(quorum=2),))


def test_a_quorum_needs_distinct_approvers():
    assert tally(TWO_OF_ANY, [vote("alice")]).verdict == ""
    assert tally(TWO_OF_ANY, [vote("alice"), vote("alice")]).verdict == ""
    result = tally(TWO_OF_ANY, [vote("alice"), vote("bob")])
    assert result.verdict == approval.APPROVED
    assert result.approvals == ("alice", "bob")


def test_all_means_every_named_user_and_a_delegate_fills_a_seat():
    policy = ApprovalPolicy(steps=(Step(approvers=Approvers(users=("carol", "dan")), quorum=None),))
    assert tally(policy, [vote("carol"), vote("erin")]).verdict == ""
    assert tally(policy, [vote("carol"), vote("erin", seat="dan")]).verdict == approval.APPROVED


def test_steps_are_met_in_order_and_votes_count_in_their_own_step():
    policy = ApprovalPolicy(steps=(Step("Lead"), Step("Finance", quorum=2)))
    first = tally(policy, [vote("lead")])
    assert (first.step, first.verdict, first.needed) == (1, "", 2)
    assert first.done_steps == (("lead",),)
    assert tally(policy, [vote("fin1", step=1), vote("fin2", step=1)]).step == 0
    done = tally(policy, [vote("lead"), vote("fin1", step=1), vote("fin2", step=1)])
    assert done.verdict == approval.APPROVED
    assert done.approvals == ("fin1", "fin2")


def test_one_rejection_rejects_unless_the_policy_asks_for_more():
    assert tally(TWO_OF_ANY, [vote("alice"), vote("bob", approval.REJECT)]).verdict == (
        approval.REJECTED
    )
    patient = ApprovalPolicy(steps=(Step(quorum=3),), rejections=2)
    one = tally(patient, [vote("bob", approval.REJECT)])
    assert one.verdict == ""
    assert one.rejections == ("bob",)
    two = tally(patient, [vote("bob", approval.REJECT), vote("eve", approval.CHANGES)])
    assert two.verdict == approval.CHANGES_REQUESTED  # the last word says how


def test_a_rejection_in_a_later_step_rejects_after_the_first_was_met():
    policy = ApprovalPolicy(steps=(Step("Lead"), Step("Finance")))
    result = tally(policy, [vote("lead"), vote("fin", approval.REJECT, step=1)])
    assert (result.step, result.verdict) == (1, approval.REJECTED)
