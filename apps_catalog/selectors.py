"""Reads for the catalog: searching the apps a person may use (accounts.policy.catalog),
listing them and their cards."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from apps_catalog.models import App, app_url, quoted_column, shown_texts
from apps_catalog.thumbnails import ThumbnailReader

Person = User | AnonymousUser

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
    every word of `text` somewhere in their name, description, id, namespace or tags, or
    their name or description in another language (case-insensitive: App.search_text)."""
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
        apps = apps.filter(search_text__contains=word.casefold())
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
    return _listing(*_listing_rows(apps).query.sql_with_params())


# Who and when, in the unsearched catalog's query as compiled once (catalog_listing_of):
# values no person and no moment of the catalog can have.
STAND_IN_PK = -424_242
STAND_IN_NOW = datetime(2000, 1, 1, 0, 0, 0, 424_242, tzinfo=UTC)
Catalog = Callable[[Person, datetime], QuerySet[App]]


def catalog_listing_of(
    user: Person,
    catalog: Catalog,
    *,
    tags: Sequence[str] = (),
    text: str = "",
    namespace: str = "",
) -> CatalogListing:
    """The CatalogListing of the apps in this person's `catalog` (accounts.policy.catalog)
    found by catalog_search. The unsearched catalog, the page asked most, has its query
    compiled once per kind of person (anonymous, signed in, superuser), with stand-ins for
    the person and the time that are then replaced by theirs: Django took longer to build
    and compile it than the database to run it."""
    now = timezone.now()
    if tags or text or namespace:
        found = catalog_search(catalog(user, now), tags=tags, text=text, namespace=namespace)
        return catalog_listing(found)
    sql, params = _unsearched_sql(catalog, user.is_authenticated, user.is_superuser)
    stand_in_now = connection.ops.adapt_datetimefield_value(STAND_IN_NOW)
    real_now = connection.ops.adapt_datetimefield_value(now)
    bound = [
        user.pk if value == STAND_IN_PK else real_now if value == stand_in_now else value
        for value in params
    ]
    return _listing(sql, bound)


@lru_cache(maxsize=16)
def _unsearched_sql(catalog: Catalog, authenticated: bool, superuser: bool) -> tuple[str, tuple]:
    person = User(pk=STAND_IN_PK, is_superuser=superuser) if authenticated else AnonymousUser()
    return _listing_rows(catalog(person, STAND_IN_NOW)).query.sql_with_params()


def _listing_rows(apps: QuerySet[App]) -> QuerySet[App, tuple[int, str, str]]:
    as_text = Cast("tag_names", TextField())
    return apps.order_by(*CATALOG_ORDER).values_list("pk", as_text, "namespace")


def _listing(sql: str, params: Sequence[Any]) -> CatalogListing:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    tag_lists = _json_values(text for _pk, text, _ns in rows)
    return CatalogListing(
        ids=[pk for pk, _text, _ns in rows],
        tags=sorted({name for names in tag_lists for name in names}),
        namespaces=sorted({namespace for _pk, _text, namespace in rows}),
    )


def catalog_cards(*, ids: Sequence[int]) -> list[CatalogCard]:
    """The cards of the apps with these ids, in this order: one query, whatever the page.
    A thumbnail kept as a namespace file is read through the cache (Kestra on a miss)."""
    if not ids:
        return []
    sql = _cards_sql().format(ids=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, list(ids))
        rows = cursor.fetchall()
    url_of = _app_url_of()
    thumbnails = ThumbnailReader()
    translations = _json_values(row[-2] for row in rows)
    tag_lists = _json_values(row[-1] for row in rows)
    by_pk = {
        pk: CatalogCard(
            uid,
            *shown_texts(name, description, names),
            thumbnails.url(uid=uid, namespace=namespace, thumbnail=thumbnail),
            url_of(uid),
            tags,
        )
        for (pk, uid, name, description, namespace, thumbnail, *_json), names, tags in zip(
            rows, translations, tag_lists, strict=True
        )
    }
    return [by_pk[pk] for pk in ids if pk in by_pk]


@cache
def _cards_sql() -> str:
    """The cards' query, written once from the model's metadata (`{ids}` is filled in with
    one placeholder per id): the ORM takes longer to build and compile it than the
    database to run it, on the page asked most often. Plain columns, and the tag list as
    JSON text, as are the translated names."""
    names = ("id", "uid", "display_name", "description", "namespace", "thumbnail")
    return _CARDS_SQL.format(
        columns=", ".join(quoted_column(App, name) for name in names),
        translations=quoted_column(App, "name_translations"),
        tags=quoted_column(App, "tag_names"),
        app=connection.ops.quote_name(App._meta.db_table),
        id=quoted_column(App, "id"),
        ids="{ids}",
    )


# Filled in with quoted table and column names only; the ids are parameters.
_CARDS_SQL = (
    "SELECT {columns}, CAST({translations} AS text), CAST({tags} AS text)"
    " FROM {app} WHERE {id} IN ({ids})"
)


def _json_values(texts: Iterable[str]) -> list[Any]:
    """JSON values given as text (tag names, translated names), decoded in one call for all
    the rows, not one call per app."""
    values: list[Any] = json.loads(f"[{','.join(texts)}]")
    return values


def _app_url_of() -> Callable[[str], str]:
    """`app_url` for a page of apps at the cost of one reverse(): a uid is base62, which
    goes into a path as it is."""
    head, _marker, tail = app_url("-uid-").partition("-uid-")
    return lambda uid: f"{head}{uid}{tail}"
