"""Each person's notification preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps_catalog.notification_settings import EVENTS
from notifications.forms import PreferencesForm
from notifications.models import Preference


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert user.is_authenticated  # login_required
    preference, _ = Preference.objects.get_or_create(user=user)
    initial = {"receive": [e for e in EVENTS if e not in preference.muted]}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        preference.muted = form.muted
        if form.cleaned_data["forget_chat"]:
            preference.chat_address = ""
        elif form.cleaned_data["chat_address"]:
            preference.chat_address = form.cleaned_data["chat_address"]
        preference.save(update_fields=["muted", "chat_secret"])
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notifications:preferences")
    context = {"form": form, "has_chat": bool(preference.chat_secret), "email": user.email}
    return render(
        request, "notifications/preferences.html", context, status=400 if form.errors else 200
    )
