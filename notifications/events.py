"""What happened, turned into messages: each event writes its notifications as rows in
the caller's transaction (the outbox), one per recipient and channel, never twice for the
same event; a worker sends them (notifications.sending) once the transaction commits.

Messages carry no value from a submission (an anonymous form could otherwise send a
stranger any text): the app, the request's id, what happened, the approvers' own comment,
and a link to the page where the person acts. A GET on that page never acts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import policy
from apps_catalog import notification_settings as events
from apps_catalog.approval import APPROVED, CHANGES_REQUESTED
from apps_catalog.models import App
from executions import enqueue
from executions.models import Decision, Delegation, Execution, Standing
from notifications import links
from notifications.models import Notification, Preference, preferred_language

PERSONAL_CHAT = "personal"  # the address of a person's own chat, read when sending


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: a user (their email, their own chat), or only an email address
    (an anonymous requester on a public app)."""

    user: User | None = None
    email: str = ""


def execution_link(execution: Execution) -> str:
    path = reverse(
        "executions:execution",
        kwargs={"uid": execution.app.uid, "execution_id": execution.public_id},
    )
    return links.portal_url(path)


def signed_link(execution: Execution) -> str:
    """execution_link, signed (policy.execution_link): for an anonymous requester of a
    public app, who opens nothing else of it from another browser."""
    query = urlencode({"link": policy.execution_link(execution)})
    return f"{execution_link(execution)}?{query}"


# The events that ask someone to decide: their messages carry a signed link of the
# person's own (notifications.links) when NOTIFY_DECISION_LINKS is on.
_ASKING = frozenset({events.PENDING, events.REMINDER, events.ESCALATION, events.DELEGATION})


def decision_waits(execution: Execution, standing: Standing) -> int:
    """The pause under way waits for a decision: tell whoever may vote now."""
    return _send_to_deciders(execution, standing, events.PENDING, "")


def reminder_due(execution: Execution, standing: Standing, *, now: datetime) -> int:
    """Still waiting: remind the deciders, once per `remindEvery` since the pause began."""
    every = execution.app.parsed.notifications.remind_every
    began = execution.paused_at or execution.stage_since
    if every is None or began is None or now < began + every:
        return 0
    number = int((now - began) / every)
    return _send_to_deciders(execution, standing, events.REMINDER, f":{number}")


def escalated(execution: Execution, standing: Standing, *, now: datetime) -> int:
    """The escalation's time came: tell the added approvers who may vote now."""
    if not standing.escalated:
        return 0
    rule = standing.policy.escalate_to
    people = [
        p
        for p in policy.deciders(execution, standing)
        if rule.include(p.get_username(), _groups(p))
    ]
    return _write(execution, events.ESCALATION, "", [Recipient(p) for p in people], standing)


def delegated(delegation: Delegation) -> int:
    execution = delegation.execution
    delegate = User.objects.filter(username=delegation.to_username).first()
    if delegate is None:
        return 0
    extra = f":{delegation.pk}"
    return _write(execution, events.DELEGATION, extra, [Recipient(delegate)], None, delegation)


def decided(decision: Decision) -> int:
    """The decision reached Kestra: tell the requester how, with the reason."""
    execution = decision.execution
    return _write(
        execution, events.DECISION, f":{decision.pk}", _requester(execution), None, decision
    )


def finished(execution: Execution) -> int:
    """The request ended in Kestra: tell the requester, with a link to what it produced."""
    return _write(execution, events.FINISHED, "", _requester(execution), None)


def _send_to_deciders(execution: Execution, standing: Standing, event: str, extra: str) -> int:
    people = [Recipient(p) for p in policy.deciders(execution, standing)]
    return _write(execution, event, extra, people, standing, team=True)


def _groups(user: User) -> frozenset[str]:
    return policy.group_names(user)


def _requester(execution: Execution) -> list[Recipient]:
    """The person who made the request; an anonymous one only when the public app names
    the input holding their address and it is one."""
    if execution.submitted_by is not None:
        return [Recipient(execution.submitted_by)]
    field = execution.app.parsed.notifications.requester_email
    address = str(execution.inputs.get(field) or "") if field else ""
    try:
        validate_email(address)
    except ValidationError:
        return []
    return [Recipient(email=address)]


def _write(
    execution: Execution,
    event: str,
    extra: str,
    recipients: Iterable[Recipient],
    standing: Standing | None,
    subject_of: Decision | Delegation | None = None,
    *,
    team: bool = False,
) -> int:
    """The rows of one event, in the caller's transaction; how many were new."""
    config = execution.app.parsed.notifications
    if not config.sends(event):
        return 0
    link = execution_link(execution)
    personal = event in _ASKING and settings.NOTIFY_DECISION_LINKS
    context = _context(execution, event, standing, subject_of, link)
    shared = _Message(event, context, execution.app, settings.LANGUAGE_CODE)
    in_language = {settings.LANGUAGE_CODE: shared}
    base = f"{event}:{execution.pk}:{execution.pause_key}{extra}"
    now = timezone.now()
    rows = []
    for recipient in recipients:
        muted = _muted(recipient.user)
        if event in muted:
            continue
        # Each person's message is in the language of their preferences.
        language = _language(recipient.user, execution)
        if language not in in_language:
            in_language[language] = _Message(event, context, execution.app, language)
        message, own_link = in_language[language], link
        if recipient.user is None and execution.app.is_public:
            # An anonymous requester opens it from any device with the signed link.
            own_link = signed_link(execution)
            message = _Message(event, {**context, "link": own_link}, execution.app, language)
        elif personal and recipient.user is not None:
            own = links.issue(execution, recipient.user)
            message = _Message(event, {**context, "decide_link": own}, execution.app, language)
        for channel, address in _addresses(recipient):
            rows.append(
                Notification(
                    key=f"{base}:{channel}:{address}"[:255],
                    event=event,
                    channel=channel,
                    execution=execution,
                    user=recipient.user,
                    address=address,
                    subject=message.subject,
                    text=message.text,
                    html=message.html if channel == Notification.Channel.EMAIL else "",
                    link=own_link,
                    next_attempt_at=now,
                )
            )
    if team:
        rows += [
            Notification(
                key=f"{base}:CHAT:{name}"[:255],
                event=event,
                channel=Notification.Channel.CHAT,
                execution=execution,
                address=name,
                subject=shared.subject,
                text=shared.text,
                link=link,
                next_attempt_at=now,
            )
            for name in config.chat
        ]
    before = Notification.objects.filter(key__in=[row.key for row in rows]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    enqueue.notifications_on_commit()
    return len(rows) - before


class _Message:
    """One event's subject, text and HTML, for one recipient's links, in their language:
    the portal's words and the app's name (its `translations:`)."""

    def __init__(self, event: str, context: dict[str, object], app: App, language: str) -> None:
        hours = settings.NOTIFY_LINK_HOURS
        # The plural is chosen by a whole number (gettext's): 72.0 as 72, 0.5 as 0 (hours).
        context = {**context, "link_hours": hours, "link_hours_plural": round(hours)}
        with translation.override(language):
            context["app"] = app.shown_name
            if "by" in context and not context["by"]:
                context["by"] = pgettext("an unnamed person", "someone")
            if "approvals" in context:
                context["progress"] = _("%(approvals)s of %(needed)s") % context
            subject = render_to_string(f"notifications/{event}_subject.txt", context)
            self.subject = subject.strip()[:200]
            self.text = render_to_string(f"notifications/{event}.txt", context)
            self.html = render_to_string(f"notifications/{event}.html", context)


def _language(user: User | None, execution: Execution) -> str:
    """The language a person chose in their preferences; for a requester without an
    account, the one they made the request in; else the portal's."""
    chosen = preferred_language(user) if user else execution.language
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _muted(user: User | None) -> list[str]:
    if user is None:
        return []
    preference = Preference.objects.filter(user=user).first()
    return list(preference.muted) if preference else []


def _addresses(recipient: Recipient) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    email = recipient.user.email if recipient.user is not None else recipient.email
    if email:
        found.append((Notification.Channel.EMAIL, email))
    if recipient.user is not None:
        preference = Preference.objects.filter(user=recipient.user).first()
        if preference is not None and preference.chat_secret:
            found.append((Notification.Channel.CHAT, f"{PERSONAL_CHAT}:{recipient.user.pk}"))
    return found


def _context(
    execution: Execution,
    event: str,
    standing: Standing | None,
    subject_of: Decision | Delegation | None,
    link: str,
) -> dict[str, object]:
    context: dict[str, object] = {
        "request": execution.public_id,
        "link": link,
        "state": execution.state,
        "deadline": execution.pause_deadline,
    }
    if standing is not None:
        context["approvals"] = len(standing.tally.approvals)
        context["needed"] = standing.tally.needed
    if isinstance(subject_of, Decision):
        verdict = {"RESUME": APPROVED, "CHANGES": CHANGES_REQUESTED}.get(
            subject_of.action, "REJECTED"
        )
        context["verdict"] = verdict
        context["reason"] = subject_of.reason
        context["by"] = subject_of.username
    if isinstance(subject_of, Delegation):
        context["by"] = subject_of.from_username
        context["note"] = subject_of.note
    return context
