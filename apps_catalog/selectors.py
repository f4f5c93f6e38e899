"""Reads for the catalog: searching the apps a person may use (accounts.policy.catalog),
listing them and their cards."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast

from apps_catalog.models import App, app_url, shown_texts
from apps_catalog.thumbnails import ThumbnailReader

# The catalog's order, the same on the web page and in the API: by name, ties by creation.
CATALOG_ORDER = ("display_name", "pk")


# Bounds on what a query string can ask for, so a crafted URL cannot build huge SQL.
MAX_TAGS = 20
MAX_WORDS = 10
MAX_TEXT = 200


def search_terms(tags: Iterable[str], text: str) -> tuple[list[str], str]:
    """The tags (trimmed, each once, in order) and words of a catalog search, within the
    bounds, for the web page and the API alike."""
    wanted = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))[:MAX_TAGS]
    return wanted, " ".join(text[:MAX_TEXT].split()[:MAX_WORDS])


def namespace_term(namespace: str) -> str:
    """The namespace a catalog search asks for, trimmed and within the bounds."""
    return namespace.strip()[:MAX_TEXT]


def in_namespace(apps: QuerySet[App], namespace: str, *, exact: bool = False) -> QuerySet[App]:
    """The apps in `namespace` and, as Kestra's namespace filter, in those below it
    (`company` takes `company.team`, not `company2`); only in it when `exact`."""
    if not namespace:
        return apps
    if exact:
        return apps.filter(namespace=namespace)
    return apps.filter(Q(namespace=namespace) | Q(namespace__startswith=f"{namespace}."))


def catalog_search(
    apps: QuerySet[App], *, tags: Sequence[str] = (), text: str = "", namespace: str = ""
) -> QuerySet[App]:
    """The apps in `namespace` (and below it) that carry every one of `tags` and match
    every word of `text` somewhere in their name, description, id, namespace or tags
    (case-insensitive)."""
    apps = in_namespace(apps, namespace)
    wanted = sorted({tag for tag in tags if tag})
    if wanted:
        # One grouped subquery rather than a join per tag: the SQL stays the same size.
        tagged = (
            App.tags.through.objects.filter(tag__name__in=wanted)
            .values("app_id")
            .annotate(matched=Count("tag_id", distinct=True))
            # django-stubs 5.2 loses annotations made after values() (django-stubs#3471)
            .filter(matched=len(wanted))  # type: ignore[misc]
            .values("app_id")
        )
        apps = apps.filter(pk__in=tagged)
    for word in text.split():
        with_tag = App.tags.through.objects.filter(tag__name__icontains=word).values("app_id")
        apps = apps.filter(
            Q(display_name__icontains=word)
            | Q(description__icontains=word)
            | Q(app_id__icontains=word)
            | Q(namespace__icontains=word)
            | Q(pk__in=with_tag)
        )
    return apps


@dataclass(frozen=True, slots=True)
class CatalogCard:
    """What a catalog card shows of an app: read as plain values, no model instances."""

    uid: str
    display_name: str
    description: str
    thumbnail_url: str | None
    url: str
    tags: list[str]


@dataclass(frozen=True, slots=True)
class CatalogListing:
    """The ids of the apps found, in catalog order, and what they carry: their tags and
    namespaces, each once, in order (the choices that narrow the search)."""

    ids: list[int]
    tags: list[str]
    namespaces: list[str]


def catalog_listing(apps: QuerySet[App]) -> CatalogListing:
    """These apps' CatalogListing: one query, so the rules that chose the apps are built
    and run once."""
    # The tag lists come as JSON text and are decoded in one call, not one call per app.
    as_text = Cast("tag_names", TextField())
    rows = list(apps.order_by(*CATALOG_ORDER).values_list("pk", as_text, "namespace"))
    tag_lists = json.loads(f"[{','.join(text for _pk, text, _ns in rows)}]")
    return CatalogListing(
        ids=[pk for pk, _text, _ns in rows],
        tags=sorted({name for names in tag_lists for name in names}),
        namespaces=sorted({namespace for _pk, _text, namespace in rows}),
    )


def catalog_cards(*, ids: Sequence[int]) -> list[CatalogCard]:
    """The cards of the apps with these ids, in this order: one query, whatever the page.
    A thumbnail kept as a namespace file is read through the cache (Kestra on a miss)."""
    rows = App.objects.filter(pk__in=ids).values_list(
        "pk",
        "uid",
        "display_name",
        "description",
        "name_translations",
        "namespace",
        "thumbnail",
        "tag_names",
    )
    url_of = _app_url_of()
    thumbnails = ThumbnailReader()
    by_pk = {
        pk: CatalogCard(
            uid,
            *shown_texts(name, description, translations),
            thumbnails.url(uid=uid, namespace=namespace, thumbnail=thumbnail),
            url_of(uid),
            tags,
        )
        for pk, uid, name, description, translations, namespace, thumbnail, tags in rows
    }
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _app_url_of() -> Callable[[str], str]:
    """`app_url` for a page of apps at the cost of one reverse(): a uid is base62, which
    goes into a path as it is."""
    head, _marker, tail = app_url("-uid-").partition("-uid-")
    return lambda uid: f"{head}{uid}{tail}"
