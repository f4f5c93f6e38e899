"""Plain Django pages the portal's pages are compared with: the same shape of output, none
of the portal's work (access rules, layouts, the execution's state)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def plain(request: HttpRequest) -> HttpResponse:
    """A plain Django page of the same shape: a template over a few dozen rows."""
    return render(request, "plain.html", {"rows": _rows()})


def plain_in_layout(request: HttpRequest) -> HttpResponse:
    """The same rows inside the portal's layout (base.html: its header, navigation, language
    switcher and scripts), with none of a portal page's own work."""
    return render(request, "plain_in_layout.html", {"rows": _rows()})


def _rows() -> list[dict[str, str]]:
    return [{"level": "INFO", "task": f"task{i}", "message": f"message {i}"} for i in range(40)]


# Filled by bench/catalog.py with the cards the catalog shows its user.
CATALOG_CARDS: list[Any] = []  # apps_catalog.selectors.CatalogCard
CATALOG_TAGS: list[str] = []
CATALOG_NAMESPACES: list[str] = []


@login_required
def plain_catalog(request: HttpRequest) -> HttpResponse:
    """The catalog's template and pager over cards from a list in memory, with the same tag
    and namespace choices."""
    from apps_catalog.views import PAGE_SIZE

    page = Paginator(CATALOG_CARDS, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "apps": page.object_list,
        "tags": [],
        "q": "",
        "all_tags": CATALOG_TAGS,
        "all_namespaces": CATALOG_NAMESPACES,
        "filters": "",
    }
    return render(request, "apps_catalog/catalog.html", context)
