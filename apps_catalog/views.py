"""The catalog: the apps a logged-in person may use, filtered by namespace, tags and text;
and an app's thumbnail kept as a namespace file."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import policy
from apps_catalog.models import App
from apps_catalog.selectors import (
    catalog_cards,
    catalog_listing_of,
    namespace_term,
    search_terms,
)
from apps_catalog.thumbnails import thumbnail_read

PAGE_SIZE = 24
# A thumbnail is shown as a picture, never run as a page: an SVG opened on its own runs no
# script and loads nothing (the sandbox), and no browser guesses another type (nosniff).
THUMBNAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@require_GET
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    tags, text = search_terms(request.GET.getlist("tags"), request.GET.get("q", ""))
    namespace = namespace_term(request.GET.get("namespace", ""))
    # The ids and their tags first (one light query, and the count for free), then only one
    # page of cards: the page costs the same number of queries with 50 apps or 5,000.
    listing = catalog_listing_of(
        request.user, policy.catalog, tags=tags, text=text, namespace=namespace
    )
    page = Paginator(listing.ids, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = [("namespace", namespace)] * bool(namespace) + [("q", text)] * bool(text)
    context = {
        "page": page,
        "apps": catalog_cards(ids=list(page.object_list)),
        "tags": tags,
        "q": text,
        "namespace": namespace,
        # Only tags and namespaces that narrow the list without emptying it, and the chosen.
        "all_tags": sorted(set(listing.tags) | set(tags)),
        "all_namespaces": sorted(set(listing.namespaces) | {namespace} - {""}),
        # The filters without the page number, for the pager's links.
        "filters": urlencode(filters + [("tags", tag) for tag in tags]),
    }
    return render(request, "apps_catalog/catalog.html", context)


@require_GET
def thumbnail(request: HttpRequest, uid: str) -> HttpResponse:
    """The app's namespace-file thumbnail, to whoever may see the app (policy); 404 for
    anyone else, and when there is no such picture (or Kestra cannot give it now)."""
    app = App.objects.filter(uid=uid).first()
    if app is None or not policy.can_see_app(request.user, app):
        raise Http404("No such thumbnail")
    found = thumbnail_read(namespace=app.namespace, thumbnail=app.thumbnail)
    if found is None:
        raise Http404("No such thumbnail")
    response = HttpResponse(found.content, content_type=found.content_type)
    response["Content-Security-Policy"] = THUMBNAIL_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Private: who may see it depends on the person (their session).
    response["Cache-Control"] = f"private, max-age={int(settings.THUMBNAIL_CACHE_SECONDS)}"
    return response
