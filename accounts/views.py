"""A person's API tokens: list, create (the token is shown once), revoke."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import ApiToken


class SignedInRequest(HttpRequest):
    """A request that passed login_required: its user is an account, never anonymous."""

    user: User


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text=_("What the token is for, e.g. “CI deploy”."))


def _page(
    request: SignedInRequest, form: TokenForm, raw: str = "", status: int = 200
) -> HttpResponse:
    context = {"tokens": request.user.api_tokens.all(), "form": form, "new_token": raw}
    response = render(request, "accounts/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may hold a token shown once
    return response


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: SignedInRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    # Shown in this response only, never stored: no redirect, no message that keeps it.
    _, raw = ApiToken.objects.issue(user=request.user, name=form.cleaned_data["name"])
    return _page(request, TokenForm(), raw=raw, status=201)


@login_required
@require_POST
def token_revoke(request: SignedInRequest, pk: int) -> HttpResponse:
    get_object_or_404(ApiToken, pk=pk, user=request.user).delete()
    return redirect("accounts:tokens")


def signin_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a sign-in from a client or for a user name that failed too
    often: 429, and when to try again."""
    wait = int(get_cool_off(request).total_seconds())
    response = render(request, "registration/locked_out.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response
