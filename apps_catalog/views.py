"""The catalog: the apps a logged-in person may use, filtered by tags and text."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import policy
from apps_catalog.selectors import catalog_cards, catalog_listing, catalog_search, search_terms

PAGE_SIZE = 24


@require_GET
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    tags, text = search_terms(request.GET.getlist("tags"), request.GET.get("q", ""))
    found = catalog_search(policy.catalog(request.user), tags=tags, text=text)
    # The ids and their tags first (one light query, and the count for free), then only one
    # page of cards: the page costs the same number of queries with 50 apps or 5,000.
    ids, found_tags = catalog_listing(found)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "apps": catalog_cards(ids=list(page.object_list)),
        "tags": tags,
        "q": text,
        # Only tags that narrow the list without emptying it, and the ones already chosen.
        "all_tags": sorted(set(found_tags) | set(tags)),
        # The filters without the page number, for the pager's links.
        "filters": urlencode([("q", text)] * bool(text) + [("tags", tag) for tag in tags]),
    }
    return render(request, "apps_catalog/catalog.html", context)
