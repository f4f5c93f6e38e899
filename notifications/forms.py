"""The preferences form: validates, the view saves."""

from __future__ import annotations

from typing import Any

import apprise
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps_catalog.notification_settings import EVENTS

EVENT_LABELS = {
    "pending": _("A request waits for my decision"),
    "reminder": _("Reminders while it still waits"),
    "escalation": _("A request is escalated to me"),
    "delegation": _("Someone hands me their decision"),
    "decision": _("My request was decided"),
    "finished": _("My request ended"),
}


class PreferencesForm(forms.Form):
    receive = forms.MultipleChoiceField(
        choices=[(event, EVENT_LABELS[event]) for event in EVENTS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Tell me when"),
    )
    chat_address = forms.CharField(
        required=False,
        max_length=1000,
        strip=True,
        label=_("My chat address"),
        help_text=_(
            "An Apprise URL (slack://…, msteams://…, discord://…, json://…). Kept encrypted and"
            " never shown again; leave empty to keep the one you gave."
        ),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    forget_chat = forms.BooleanField(required=False, label=_("Stop sending to my chat address"))
    language = forms.ChoiceField(
        choices=[("", _("My browser's language"))] + list(settings.LANGUAGES),
        required=False,
        label=_("Language of the portal and of my messages"),
    )

    def clean_chat_address(self) -> str:
        address: str = self.cleaned_data["chat_address"]
        if address and not apprise.Apprise().add(address):
            raise forms.ValidationError(_("This is not a chat address Apprise knows."))
        return address

    @property
    def muted(self) -> list[str]:
        wanted: list[Any] = self.cleaned_data["receive"]
        return [event for event in EVENTS if event not in wanted]
