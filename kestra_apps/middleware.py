"""Requests no page can answer sensibly, refused before any view sees them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

NUL = "\x00"


class RejectNullCharactersMiddleware:
    """A NUL character in the path or a parameter is never meaningful here, and PostgreSQL
    refuses it in any query: answer 400 rather than fail with a 500 deep inside."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path or self._in_parameters(request):
            return HttpResponseBadRequest("The request holds a NUL character.")
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
