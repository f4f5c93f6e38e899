"""The catalog: the apps a logged-in person may use, filtered by tags and text."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps_catalog.selectors import catalog_for_user, catalog_search, catalog_tags

PAGE_SIZE = 24
# Bounds on what a query string can ask for, so a crafted URL cannot build huge SQL.
MAX_TAGS = 20
MAX_WORDS = 10
MAX_TEXT = 200


def _search_terms(request: HttpRequest) -> tuple[list[str], str]:
    tags = [tag.strip() for tag in request.GET.getlist("tags") if tag.strip()]
    text = " ".join(request.GET.get("q", "")[:MAX_TEXT].split()[:MAX_WORDS])
    return list(dict.fromkeys(tags))[:MAX_TAGS], text


@require_GET
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    tags, text = _search_terms(request)
    available = catalog_for_user(user=request.user)
    apps = catalog_search(available, tags=tags, text=text)
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "tags": tags,
        "q": text,
        "all_tags": list(catalog_tags(available).values_list("name", flat=True)),
        # The filters without the page number, for the pager's links.
        "filters": urlencode([("q", text)] * bool(text) + [("tags", tag) for tag in tags]),
    }
    return render(request, "apps_catalog/catalog.html", context)
