"""Each person's notification preferences, and the page a signed decision link opens."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import policy
from apps_catalog.approval import APPROVE, CHANGES, REJECT
from apps_catalog.notification_settings import EVENTS
from executions import actions, approval_status, forms, interactions
from executions.models import VIA_LINK
from notifications import links
from notifications.forms import PreferencesForm
from notifications.models import LANGUAGE_SESSION_KEY, Preference

ACTION_FIELD = "portal.action"


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert user.is_authenticated  # login_required
    preference, _ = Preference.objects.get_or_create(user=user)
    initial = {
        "receive": [e for e in EVENTS if e not in preference.muted],
        "language": preference.language,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        preference.muted = form.muted
        if form.cleaned_data["forget_chat"]:
            preference.chat_address = ""
        elif form.cleaned_data["chat_address"]:
            preference.chat_address = form.cleaned_data["chat_address"]
        preference.language = form.cleaned_data["language"]
        preference.save(update_fields=["muted", "chat_secret", "language"])
        request.session[LANGUAGE_SESSION_KEY] = preference.language
        # The page answering is already in the old language: the message says it in the new one.
        with translation.override(preference.language or translation.get_language()):
            messages.success(request, gettext("Your notification preferences are saved."))
        return _remember_language(redirect("notifications:preferences"), preference.language)
    context = {"form": form, "has_chat": bool(preference.chat_secret), "email": user.email}
    return render(
        request, "notifications/preferences.html", context, status=400 if form.errors else 200
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher, for anyone: remembered in a cookie and, for a signed-in
    person, in their preferences; then back to the page it was used on."""
    code = request.POST.get("language", "")
    if code not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(gettext("This language is not one the portal speaks."))
    # Back to the page the switcher was used on. The header names no page itself: a page's
    # address may hold what must not be copied into it (a sign-in callback's code).
    back = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("apps_catalog:catalog")
    if request.user.is_authenticated:
        Preference.objects.update_or_create(user=request.user, defaults={"language": code})
        request.session[LANGUAGE_SESSION_KEY] = code
    return _remember_language(redirect(back), code)


def _remember_language(response: HttpResponse, code: str) -> HttpResponse:
    """The language cookie, as Django's own set_language writes it; none: the browser's."""
    if not code:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH)
        return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
    return response


def _refused(request: HttpRequest, refusal: links.LinkRefused) -> HttpResponse:
    context = {"message": str(refusal)}
    return render(request, "notifications/link_refused.html", context, status=refusal.status)


@never_cache
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, token: str) -> HttpResponse:
    """A signed decision link: GET shows the decision and its form (and decides nothing);
    POST acts once, as the person the link was sent to, under the app's approval policy.
    The record says it came "via emailed link"."""
    try:
        holder = links.read(token, request.user)
        policy.app_for(holder.user, holder.execution.app.uid, known=holder.execution.app)
        if not policy.can_open(holder.user, holder.execution):
            raise policy.NotFound("No such execution")
    except links.LinkRefused as refusal:
        return _refused(request, refusal)
    except policy.AccessRefused:
        return _refused(request, links.LinkRefused(links.NO_ACCESS, 403))
    execution = holder.execution
    notice, fields, status = "", None, 200
    if request.method == "POST":
        act = {APPROVE: _approve, REJECT: _reject, CHANGES: _changes}.get(
            str(request.POST.get(ACTION_FIELD))
        )
        if act is None:
            notice, status = "Choose Approve, Reject or Request changes.", 400
        else:
            try:
                links.spend(holder)
            except links.LinkRefused as refusal:
                return _refused(request, refusal)
            outcome = act(request, holder)
            if outcome.ok:
                context = {"app": execution.app, "execution": execution, "notice": outcome.notice}
                return render(request, "notifications/link_done.html", context)
            links.give_back(holder)
            notice, fields = outcome.notice, outcome.fields or None
            status = interactions.STATUS_OF[outcome.result]
    if fields is None:
        fields = forms.resume_fields(execution)
    decision = approval_status.decision_status(
        execution, holder.user, session_key="", now=timezone.now()
    )
    context = {
        "app": execution.app,
        "execution": execution,
        "person": holder.user,
        "decision": decision,
        "fields": fields,
        "notice": notice,
        "page": reverse(
            "executions:execution",
            kwargs={"uid": execution.app.uid, "execution_id": execution.public_id},
        ),
    }
    return render(request, "notifications/link_decide.html", context, status=status)


def _voter(request: HttpRequest, holder: links.Holder) -> interactions.Voter:
    """The person the link was sent to, whoever's browser this is; never its session."""
    actor = dataclasses.replace(
        actions.Actor.from_request(request), user=holder.user, session="", via=VIA_LINK
    )
    return interactions.Voter(user=holder.user, session_key="", actor=actor)


def _approve(request: HttpRequest, holder: links.Holder) -> interactions.Outcome:
    execution = holder.execution
    return interactions.resume(
        app=execution.app,
        execution=execution,
        post=request.POST,
        uploaded=request.FILES,
        voter=_voter(request, holder),
    )


def _reject(request: HttpRequest, holder: links.Holder) -> interactions.Outcome:
    execution = holder.execution
    return interactions.cancel(
        app=execution.app, execution=execution, voter=_voter(request, holder), post=request.POST
    )


def _changes(request: HttpRequest, holder: links.Holder) -> interactions.Outcome:
    execution = holder.execution
    return interactions.request_changes(
        app=execution.app, execution=execution, voter=_voter(request, holder), post=request.POST
    )
