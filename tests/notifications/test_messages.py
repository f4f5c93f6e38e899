"""Who hears about what, through a real SMTP server and a real webhook: the approvers when
a request waits, the delegate, the added approvers of an escalation, the requester when it
is decided and when it ends; each message once, with a link to the page where the person
acts, and nothing of the submission in it."""

from __future__ import annotations

import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from apps_catalog.services import app_save_source
from executions import services
from executions.models import Execution
from notifications import reminders, sending
from notifications.models import Attempt, Notification, Preference
from tests import kestra_http
from tests.approvals import FORM, submitted, vacation_app
from tests.personas import make_user, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr(kestra) -> dict[str, User]:
    return {name: make_user(name, groups=["HR"]) for name in ("rita", "mona", "nick", "pat")}


def page(app, execution: Execution, action: str = "") -> str:
    return f"/apps/{app.uid}/executions/{execution.kestra_id}/{action}"


def subject(message) -> str:
    """The Subject header as a person reads it (non-ASCII words come encoded)."""
    return str(make_header(decode_header(message["Subject"]))).strip()


def bodies(message) -> tuple[str, str]:
    text = html = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode().replace("\r\n", "\n")
        if part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode().replace("\r\n", "\n")
    return text, html


def test_the_approvers_hear_that_a_request_waits_and_the_requester_does_not(kestra, hr, smtp):
    app = vacation_app("approval:\n  approvers: {users: [mona, nick]}\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)

    assert sending.send_due() == 2
    assert sorted(rcpt[0] for rcpt, _ in smtp.mailbox.messages) == [
        "mona@example.com",
        "nick@example.com",
    ]
    (message,) = smtp.mailbox.to("mona@example.com")
    assert message["Subject"] == "Vacation requests: a request waits for your decision"
    text, html = bodies(message)
    link = f"http://127.0.0.1:8000/apps/{app.uid}/executions/{execution.kestra_id}/"
    assert link in text and f'href="{link}"' in html
    for value in FORM.values():  # nothing of the submission
        assert value not in text and value not in html
    assert message["Message-ID"].startswith("<notification-")
    assert sending.send_due() == 0  # sent once
    assert Attempt.objects.filter(outcome="SENT").count() == 2


def test_the_requester_hears_the_decision_with_its_reason_then_the_end(kestra, hr, smtp):
    app = vacation_app("approval: {selfApproval: false}\n")
    rita = signed_in(hr["rita"])
    execution = submitted(kestra, rita, app)
    reason = "Two people are away that week"
    assert (
        signed_in(hr["mona"])
        .post(page(app, execution, "cancel/"), {"portal.comment": reason})
        .status_code
        == 302
    )
    kestra_http.wait_for(kestra, execution.kestra_id, {"KILLED"})
    services.execution_poll(execution_id=execution.pk)
    sending.send_due()

    to_rita = smtp.mailbox.to("rita@example.com")
    subjects = sorted(m["Subject"] for m in to_rita)
    assert subjects == [
        "Vacation requests: your request ended: KILLED",
        "Vacation requests: your request was rejected",
    ]
    decided = next(m for m in to_rita if "rejected" in m["Subject"])
    assert f"rejected by mona.\nReason: {reason}" in bodies(decided)[0]


def test_a_delegate_hears_it_and_a_muted_event_is_not_sent(kestra, hr, smtp):
    Preference.objects.create(user=hr["nick"], muted=["pending"])
    app = vacation_app("approval:\n  approvers: {users: [mona, nick]}\n")
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    handed = signed_in(hr["mona"]).post(
        page(app, execution, "delegate/"), {"to": "pat", "note": "I am away"}
    )
    assert handed.status_code == 302
    sending.send_due()

    assert smtp.mailbox.to("nick@example.com") == []
    (to_pat,) = smtp.mailbox.to("pat@example.com")
    assert to_pat["Subject"] == "Vacation requests: mona handed you a decision"
    assert "Their note: I am away" in bodies(to_pat)[0]


def test_reminders_come_once_per_period_and_escalation_reaches_the_added_approvers(
    kestra, hr, smtp
):
    boss = make_user("boss", groups=["HR"])
    app = vacation_app(
        "approval:\n"
        "  approvers: {users: [mona]}\n"
        "  escalateAfter: PT1H\n"
        "  escalateTo: {users: [boss]}\n"
        "notifications:\n"
        "  events: [pending, reminder, escalation]\n"
        "  remindEvery: PT30M\n"
    )
    execution = submitted(kestra, signed_in(hr["rita"]), app)
    began = execution.paused_at
    assert reminders.pending_reminders(now=began + timedelta(minutes=10)) == 0
    assert reminders.pending_reminders(now=began + timedelta(minutes=31)) == 1
    assert reminders.pending_reminders(now=began + timedelta(minutes=45)) == 0  # the same one
    # An hour in: the second reminder, now also to the boss, and the escalation to the boss.
    assert reminders.pending_reminders(now=began + timedelta(minutes=61)) == 3
    sending.send_due()

    assert sorted(m["Subject"] for m in smtp.mailbox.to("mona@example.com")) == [
        "Reminder: Vacation requests: a request still waits for your decision",
        "Reminder: Vacation requests: a request still waits for your decision",
        "Vacation requests: a request waits for your decision",
    ]
    assert sorted(m["Subject"] for m in smtp.mailbox.to(boss.email)) == [
        "Reminder: Vacation requests: a request still waits for your decision",
        "Vacation requests: a request was escalated to you",
    ]


def test_an_apps_team_channel_and_a_persons_own_chat_get_the_message(
    kestra, hr, smtp, webhook, settings
):
    settings.CHAT_CHANNELS = {"hr-team": webhook.url("team")}
    preference = Preference.objects.create(user=hr["mona"])
    preference.chat_address = webhook.url("mona")
    preference.save()
    app = vacation_app(
        "approval:\n  approvers: {users: [mona]}\nnotifications: {chat: [hr-team]}\n"
    )
    submitted(kestra, signed_in(hr["rita"]), app)
    sending.send_due()

    paths = sorted(path for path, _ in webhook.received)
    assert paths == ["/mona", "/team"]
    body = webhook.received[0][1]
    assert body["title"] == "Vacation requests: a request waits for your decision"
    assert "Open it to approve or reject: http://127.0.0.1:8000/apps/" in body["message"]
    assert webhook.url("mona") not in str(list(Notification.objects.values_list()))
    stored = Preference.objects.get(user=hr["mona"]).chat_secret
    assert "127.0.0.1" not in stored and stored


def test_nothing_is_lost_while_the_mail_server_is_down_and_nothing_is_doubled(
    kestra, hr, smtp, settings
):
    settings.NOTIFY_BACKOFF_MAX_SECONDS = 0
    app = vacation_app("approval:\n  approvers: {users: [mona, nick, pat]}\n")
    for _ in range(4):
        submitted(kestra, signed_in(hr["rita"]), app)
    smtp.stop()
    assert sending.send_due() == 0
    assert Notification.objects.filter(status="PENDING").count() == 12
    failed = Attempt.objects.filter(outcome="FAILED")
    assert failed.count() == 12 and "the mail server did not take it" in failed.first().error

    smtp.start()
    Notification.objects.update(next_attempt_at=timezone.now())
    assert sending.send_due() == 12
    assert sending.send_due() == 0
    assert len(smtp.mailbox.messages) == 12
    ids = {message["Message-ID"] for _, message in smtp.mailbox.messages}
    assert len(ids) == 12
    assert set(Notification.objects.values_list("status", flat=True)) == {"SENT"}


PUBLIC_FEEDBACK = (
    "id: open_form\ntype: io.kestra.plugin.ee.apps.Execution\ndisplayName: Open form\n"
    "namespace: demo\nflowId: feedback\naccess: PUBLIC\n"
)


def _requested_to_the_end(kestra, app, visitor: Client) -> Execution:
    """The visitor's request of the open form, delivered, done in Kestra, polled, and its
    messages sent."""
    form = {"input.email": "visitor@example.org", "input.rating": "5"}
    assert visitor.post(f"/apps/{app.uid}/", form).status_code == 302
    execution = Execution.objects.get()
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    services.execution_poll(execution_id=execution.pk)
    sending.send_due()
    return execution


@pytest.mark.parametrize(
    ("extra", "told"), [("notifications: {requesterEmail: email}\n", 1), ("", 0)]
)
def test_an_anonymous_requester_hears_only_through_the_input_the_app_names(
    kestra, smtp, extra, told
):
    app, _ = app_save_source(source=PUBLIC_FEEDBACK + extra)
    visitor = Client()
    _requested_to_the_end(kestra, app, visitor)

    received = smtp.mailbox.to("visitor@example.org")
    assert len(received) == told
    if told:
        assert received[0]["Subject"] == "Open form: your request is done"
        assert "visitor@example.org" not in bodies(received[0])[0]  # no submitted values


def test_an_anonymous_requester_hears_in_the_language_they_made_the_request_in(kestra, smtp):
    source = PUBLIC_FEEDBACK + "notifications: {requesterEmail: email}\n"
    app, _ = app_save_source(source=source + "translations:\n  fr: {displayName: Avis}\n")
    visitor = Client(HTTP_ACCEPT_LANGUAGE="fr")
    _requested_to_the_end(kestra, app, visitor)

    (message,) = smtp.mailbox.to("visitor@example.org")
    assert subject(message) == "Avis : votre demande est terminée"


def test_an_anonymous_requesters_link_opens_the_request_in_any_browser(kestra, smtp):
    app, _ = app_save_source(source=PUBLIC_FEEDBACK + "notifications: {requesterEmail: email}\n")
    visitor = Client()
    execution = _requested_to_the_end(kestra, app, visitor)

    page = f"/apps/{app.uid}/executions/{execution.kestra_id}/"
    assert Client().get(page).status_code == 404  # another device, without the link
    text = bodies(smtp.mailbox.to("visitor@example.org")[0])[0]
    link = re.search(rf"http://\S+{re.escape(page)}\?link=(\S+)", text)
    assert link is not None
    assert Client().get(f"{page}?link={link[1]}").status_code == 200


def test_a_pause_started_in_kestra_is_told_once_adopted_and_polled(kestra, hr, smtp):
    app = vacation_app()
    kestra_id = kestra_http.start_paused(kestra, "demo", "vacation_request", kestra_http.VACATION)
    assert signed_in(hr["mona"]).get(f"/apps/{app.uid}/executions/{kestra_id}/").status_code == 200
    execution = Execution.objects.get(kestra_id=kestra_id)
    services.execution_poll(execution_id=execution.pk)  # the same pause: nothing more
    assert sending.send_due() == 4  # rita, mona, nick and pat are HR: all may decide
    assert sending.send_due() == 0
    assert len(smtp.mailbox.to("pat@example.com")) == 1


def test_each_person_reads_their_message_in_their_saved_language(
    kestra, hr, smtp, webhook, settings
):
    settings.CHAT_CHANNELS = {"hr-team": webhook.url("team")}
    Preference.objects.create(user=hr["mona"], language="fr")
    Preference.objects.create(user=hr["pat"], language="xx")
    app = vacation_app(
        "approval:\n  approvers: {users: [mona, nick, pat]}\nnotifications: {chat: [hr-team]}\n"
        "translations:\n  fr: {displayName: Demandes de congés}\n"
    )
    submitted(kestra, signed_in(hr["rita"]), app)
    sending.send_due()

    subjects = {rcpt[0]: subject(message) for rcpt, message in smtp.mailbox.messages}
    assert subjects["mona@example.com"].startswith("Demandes de congés")
    # No language saved, or one the portal does not speak: the portal's LANGUAGE_CODE.
    for person in ("nick", "pat"):
        assert subjects[f"{person}@example.com"] == (
            "Vacation requests: a request waits for your decision"
        )
    (team,) = [body for path, body in webhook.received if path == "/team"]
    assert team["title"] == "Vacation requests: a request waits for your decision"


def test_without_a_saved_language_messages_are_in_the_portals_language(kestra, hr, smtp, settings):
    settings.LANGUAGE_CODE = "fr"
    app = vacation_app(
        "approval:\n  approvers: {users: [nick]}\n"
        "translations:\n  fr: {displayName: Demandes de congés}\n"
    )
    submitted(kestra, signed_in(hr["rita"]), app)
    sending.send_due()

    ((_, message),) = smtp.mailbox.messages
    assert subject(message).startswith("Demandes de congés")


def test_each_approver_hears_in_the_language_of_their_preferences(kestra, hr, smtp):
    Preference.objects.create(user=hr["mona"], language="fr")
    app = vacation_app("approval:\n  approvers: {users: [mona, nick]}\n")
    submitted(kestra, signed_in(hr["rita"]), app)

    assert sending.send_due() == 2
    (french,) = smtp.mailbox.to("mona@example.com")
    (english,) = smtp.mailbox.to("nick@example.com")
    subject = str(make_header(decode_header(french["Subject"]))).strip()
    assert subject == "Vacation requests : une demande attend votre décision"
    assert english["Subject"] == "Vacation requests: a request waits for your decision"
    text, html = bodies(french)
    assert "Ouvrez-la pour approuver ou refuser" in text
    assert '<html lang="fr">' in html and "L’ouvrir pour décider" in html
