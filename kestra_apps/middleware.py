"""Requests no page can answer sensibly, refused before any view sees them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.models import LANGUAGE_SESSION_KEY

NUL = "\x00"
# Room for a form's other fields beside its files, in a request's body.
FIELDS_ALLOWANCE = 1024 * 1024


class RefuseOversizedBodyMiddleware:
    """A body whose Content-Length says it holds more than PORTAL_MAX_UPLOAD_MB (its files
    together, and a megabyte of other fields) is refused with 413 before a byte of it is
    read: nothing is spooled to disk, no worker spends a minute receiving it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or ""
        limit = settings.PORTAL_MAX_UPLOAD_MB * 1024 * 1024 + FIELDS_ALLOWANCE
        if length.isdigit() and int(length) > limit:
            return HttpResponse(
                _("The request is larger than the %(size)s MB allowed.")
                % {"size": settings.PORTAL_MAX_UPLOAD_MB},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class RejectNullCharactersMiddleware:
    """A NUL character in the path or a parameter is never meaningful here, and PostgreSQL
    refuses it in any query: answer 400 rather than fail with a 500 deep inside."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path or self._in_parameters(request):
            return HttpResponseBadRequest(_("The request holds a NUL character."))
        return self.get_response(request)

    @staticmethod
    def _in_parameters(request: HttpRequest) -> bool:
        parameters = [request.GET]
        if request.method == "POST" and request.content_type in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }:
            parameters.append(request.POST)
        return any(
            NUL in key or any(NUL in value for value in values)
            for query in parameters
            for key, values in query.lists()
        )


class PreferredLanguageMiddleware:
    """A signed-in person's saved language (their preferences, copied into their session at
    sign-in) comes before the cookie and the browser's Accept-Language that LocaleMiddleware
    read: it follows them to any browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Without a session cookie there is no session to read.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            saved = request.session.get(LANGUAGE_SESSION_KEY)
            if saved and saved in dict(settings.LANGUAGES):
                translation.activate(saved)
                request.LANGUAGE_CODE = saved
        return self.get_response(request)
