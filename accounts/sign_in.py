"""The login page, the way out to the identity provider and back, and logout.

The code flow itself is mozilla-django-oidc's (state, nonce and PKCE kept in the session);
these views add what the library leaves to its user: a page that says why a sign-in was
refused instead of a bare redirect or a 500, a session that ends after
OIDC_SESSION_MAX_AGE, and the provider's logout (RP-initiated) when it offers one.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    OIDCLogoutView,
)

from accounts import idp
from accounts.identities import IdentityRefused

logger = logging.getLogger(__name__)

# An OAuth error code is a short word (RFC 6749, 4.1.2.1); anything else is not repeated.
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")


def sign_in_options(request: HttpRequest) -> dict[str, Any]:
    """For the login pages (the portal's and the admin's), a context processor: the
    provider's button when one is configured, the password form while LOCAL_LOGIN allows."""
    return {
        "local_login": settings.LOCAL_LOGIN,
        "provider_label": settings.OIDC_BUTTON_LABEL if idp.is_configured() else "",
    }


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    logger.warning("sign-in through the identity provider refused (%s): %s", status, reason)
    context = {"reason": reason, "provider_label": settings.OIDC_BUTTON_LABEL}
    return render(request, "registration/sign_in_refused.html", context, status=status)


class ProviderSignIn(OIDCAuthenticationRequestView):
    """Send the browser to the provider, with a fresh state, nonce and PKCE challenge."""

    get_settings = staticmethod(idp.oidc_setting)

    def __init__(self, **kwargs: Any) -> None:
        # The library reads the endpoint here; it is read per request instead (see get).
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not idp.is_configured():
            raise Http404(_("No identity provider is configured."))
        try:
            self.OIDC_OP_AUTH_ENDPOINT = idp.provider().authorization_endpoint
        except idp.ProviderUnavailable as exc:
            return _refused(request, f"the identity provider cannot be used ({exc})", 502)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class ProviderCallback(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code, or with an error."""

    get_settings = staticmethod(idp.oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not idp.is_configured():
            raise Http404(_("No identity provider is configured."))
        try:
            return super().get(request)
        except SuspiciousOperation:
            # The library's words for a state this session did not start.
            return _refused(request, "this sign-in was not started in this browser", 400)
        except idp.TokenRejected as exc:
            return _refused(request, f"the provider's answer failed a check: {exc}", 400)
        except IdentityRefused as exc:
            return _refused(request, f"the portal cannot take this account: {exc}", 403)
        except idp.ProviderUnavailable as exc:
            return _refused(request, f"the identity provider cannot be used ({exc})", 502)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 502
            if 400 <= status < 500:
                return _refused(
                    request, "the provider refused the sign-in code: it expired or was used", 400
                )
            return _refused(request, f"the identity provider answered {status}", 502)
        except requests.RequestException as exc:
            reason = f"the identity provider does not answer ({type(exc).__name__})"
            return _refused(request, reason, 502)

    def login_failure(self) -> HttpResponse:
        error = self.request.GET.get("error", "")
        if _ERROR_CODE.fullmatch(error):
            return _refused(self.request, f"the provider answered {error}", 400)
        if getattr(self, "user", None) is not None:  # authenticated, but not active
            return _refused(self.request, "this account is switched off in the portal", 403)
        reason = "this sign-in was not started in this browser, or was finished already"
        return _refused(self.request, reason, 400)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        # An absolute end: activity does not extend it, so groups are read again by then.
        max_age = timedelta(seconds=settings.OIDC_SESSION_MAX_AGE)
        self.request.session.set_expiry(timezone.now() + max_age)
        return response


class Logout(OIDCLogoutView):
    """End the portal's session, then the provider's when it offers RP-initiated logout."""

    get_settings = staticmethod(idp.oidc_setting)


def provider_logout_url(request: HttpRequest) -> str:
    """Where the browser goes after logout (OIDC_OP_LOGOUT_URL_METHOD): the provider's
    end_session_endpoint for a session that came from it, else the login page."""
    after = resolve_url(settings.LOGOUT_REDIRECT_URL)
    id_token = request.session.get("oidc_id_token")
    if not id_token or not idp.is_configured():
        return after
    try:
        end_session = idp.provider().end_session_endpoint
    except idp.ProviderUnavailable as exc:
        logger.warning("logout: the identity provider does not answer (%s)", exc)
        return after
    if not end_session:
        return after
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(after),
        }
    )
    return f"{end_session}?{query}"
