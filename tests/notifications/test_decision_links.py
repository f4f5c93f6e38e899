"""Signed decision links (issue 16): the approver's email carries a link of their own.
Opening it decides nothing; its form acts once, as that person, without a login, within
NOTIFY_LINK_HOURS, under the app's approval policy; the record says "via emailed link". A
link used twice, after expiry, by another person or tampered with is refused with a clear
page, and nothing acts."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

from executions.models import VIA_LINK, Decision, Execution, Vote
from notifications import links, sending
from tests import kestra_http
from tests.approvals import submitted, vacation_app
from tests.notifications.test_messages import bodies
from tests.personas import make_user, signed_in

pytestmark = pytest.mark.django_db

TWO_APPROVERS = (
    "approval:\n  approvers: {users: [mona, nick]}\n  quorum: 2\n  selfApproval: false\n"
)


@pytest.fixture
def hr(kestra) -> dict[str, User]:
    return {name: make_user(name, groups=["HR"]) for name in ("rita", "mona", "nick")}


def emailed_link(smtp, address: str) -> str:
    """The personal link in the text part of the one message to this address, as a path."""
    (message,) = smtp.mailbox.to(address)
    text, html = bodies(message)
    found = re.search(r"without signing in .*?: (\S+)", text)
    assert found, text
    assert f'href="{found.group(1)}"' in html
    return found.group(1).removeprefix("http://127.0.0.1:8000")


def paused_with_links(kestra, hr, smtp, policy: str = TWO_APPROVERS) -> tuple[Execution, str]:
    execution = submitted(kestra, signed_in(hr["rita"]), vacation_app(policy))
    sending.send_due()
    return execution, emailed_link(smtp, "mona@example.com")


def counted(execution: Execution) -> list[tuple[str, str, str]]:
    return list(
        Vote.objects.filter(execution=execution, status=Vote.Status.COUNTED).values_list(
            "username", "choice", "via"
        )
    )


def test_opening_the_link_decides_nothing_and_its_form_acts_once_as_the_recipient(kestra, hr, smtp):
    execution, path = paused_with_links(kestra, hr, smtp)
    assert emailed_link(smtp, "nick@example.com") != path  # each person has their own

    visitor = Client()  # a mail scanner, or the approver on a phone without a session
    page = visitor.get(path)
    assert page.status_code == 200
    assert "You decide as <strong>mona</strong>" in page.content.decode()
    assert b'value="APPROVE"' in page.content and b'value="REJECT"' in page.content
    assert counted(execution) == []

    done = visitor.post(path, {"portal.action": "APPROVE", "portal.comment": "Fine by me"})
    assert done.status_code == 200
    assert "Your decision on request" in done.content.decode()
    assert counted(execution) == [("mona", "APPROVE", VIA_LINK)]

    again = Client().post(path, {"portal.action": "APPROVE"})
    assert again.status_code == 410
    assert links.USED in again.content.decode()
    assert Client().get(path).status_code == 410
    assert counted(execution) == [("mona", "APPROVE", VIA_LINK)]

    nick = emailed_link(smtp, "nick@example.com")
    assert Client().post(nick, {"portal.action": "APPROVE"}).status_code == 200
    assert kestra_http.moved_on_once(kestra, execution.kestra_id)
    decision = Decision.objects.get(execution=execution)
    assert (decision.action, decision.username, decision.via) == ("RESUME", "nick", VIA_LINK)


def test_another_person_cannot_use_the_link_and_nothing_acts(kestra, hr, smtp):
    execution, path = paused_with_links(kestra, hr, smtp)
    nick = signed_in(hr["nick"])
    assert nick.get(path).status_code == 403
    refused = nick.post(path, {"portal.action": "APPROVE"})
    assert refused.status_code == 403
    assert links.SOMEONE_ELSE in refused.content.decode()
    assert counted(execution) == []
    assert signed_in(hr["mona"]).get(path).status_code == 200  # its own person may


def test_an_expired_or_tampered_link_is_refused(kestra, hr, smtp, settings):
    execution, path = paused_with_links(kestra, hr, smtp)
    assert Client().post(path[:-3] + "xx/", {"portal.action": "APPROVE"}).status_code == 404
    settings.NOTIFY_LINK_HOURS = 0.5 / 3600  # half a second
    time.sleep(1.1)
    expired = Client().post(path, {"portal.action": "APPROVE"})
    assert expired.status_code == 410
    assert links.EXPIRED in expired.content.decode()
    assert counted(execution) == []
    assert kestra_http.execution(kestra, execution.kestra_id)["state"]["current"] == "PAUSED"


def test_the_policy_still_applies_and_a_refused_vote_leaves_the_link_usable(kestra, hr, smtp):
    policy = "approval: {selfApproval: false}\n"  # a reason is required to reject
    execution, path = paused_with_links(kestra, hr, smtp, policy)

    no_reason = Client().post(path, {"portal.action": "REJECT"})
    assert no_reason.status_code == 400  # the reason the policy requires
    assert counted(execution) == []
    rejected = Client().post(path, {"portal.action": "REJECT", "portal.comment": "Not now"})
    assert rejected.status_code == 200
    assert counted(execution) == [("mona", "REJECT", VIA_LINK)]

    requester = links.issue(execution, hr["rita"]).removeprefix("http://127.0.0.1:8000")
    assert Client().get(requester).status_code == 410  # decided: over for everyone


def test_the_requester_may_not_approve_their_own_request_through_a_link(kestra, hr, smtp):
    policy = "approval: {selfApproval: false}\n"
    execution, _ = paused_with_links(kestra, hr, smtp, policy)
    own = links.issue(execution, hr["rita"]).removeprefix("http://127.0.0.1:8000")
    refused = Client().post(own, {"portal.action": "APPROVE"})
    assert refused.status_code == 403
    assert counted(execution) == []
    assert kestra_http.execution(kestra, execution.kestra_id)["state"]["current"] == "PAUSED"


@pytest.mark.parametrize(
    ("hours", "said"),
    [(72.0, "within 72 hours"), (1.0, "within 1 hour"), (1.5, "within 1.5 hours")],
)
def test_the_message_says_how_long_the_link_lasts_in_words_that_agree(
    kestra, hr, smtp, settings, hours, said
):
    settings.NOTIFY_LINK_HOURS = hours
    paused_with_links(kestra, hr, smtp)
    (message,) = smtp.mailbox.to("mona@example.com")
    text, html = bodies(message)
    assert said in text and said in html
