"""My requests: what this person (or this anonymous browser session) has submitted."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from executions.selectors import requests_of

PAGE_SIZE = 50


@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    mine = requests_of(user=request.user, session_key=request.session.session_key or "")
    page = Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "executions/my_requests.html", {"page": page})
