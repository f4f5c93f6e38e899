"""Reads on app definitions that carry rules: which apps a person finds in the catalog."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.db import connection
from django.db.models import Count, Field, Model, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from apps_catalog.models import (
    App,
    AppGroupObjectPermission,
    AppUserObjectPermission,
    app_url,
    safe_thumbnail,
)

USE_CODENAME = "use_app"
# The catalog's order, the same on the web page and in the API: by name, ties by creation.
CATALOG_ORDER = ("display_name", "pk")


def catalog_for_user(*, user: User | AnonymousUser) -> QuerySet[App]:
    """Enabled, unexpired, listed apps the user may use: public ones and private ones granted."""
    now = timezone.now()
    rules = (
        Q(enabled=True, catalog=True)
        & (Q(expiration_start__isnull=True) | Q(expiration_start__lte=now))
        & (Q(expiration_end__isnull=True) | Q(expiration_end__gt=now))
    )
    if not user.is_superuser:
        rules &= Q(access=App.Access.PUBLIC) | granted(user)
    return App.objects.filter(rules)


def granted(user: User | AnonymousUser) -> Q:
    """Apps granted to the user, directly or through a group: the same rule as guardian's
    get_objects_for_user(accept_global_perms=False), read straight from the app's own
    permission tables."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    params = (user.pk, USE_CODENAME, USE_CODENAME, user.pk)
    return Q(pk__in=RawSQL(_granted_sql(), params))  # noqa: S611 - values are parameters


# The apps granted through a user permission, or a group permission of one of the user's
# groups; filled in with quoted table and column names only, values are parameters.
_GRANTED_SQL = (
    "SELECT {d_app} FROM {direct} WHERE {d_user} = %s AND {d_perm} IN ({use})"
    " UNION SELECT {g_app} FROM {via_group} WHERE {g_perm} IN ({use})"
    " AND {g_group} IN (SELECT {m_group} FROM {members} WHERE {m_user} = %s)"
)
_USE_SQL = "SELECT {p_id} FROM {permission} WHERE {p_codename} = %s"


@cache
def _granted_sql() -> str:
    """`_GRANTED_SQL` for this database, written once from the models' metadata. The ORM
    builds the same query (two subqueries, five joins) in more time than the database
    takes to run it, on the page asked most often."""
    quote = connection.ops.quote_name
    members = get_user_model().groups.through
    direct, via_group = AppUserObjectPermission, AppGroupObjectPermission

    def column(model: type[Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field) and field.column  # a concrete field: it has a column
        return quote(field.column)

    use = _USE_SQL.format(
        p_id=column(Permission, "id"),
        permission=quote(Permission._meta.db_table),
        p_codename=column(Permission, "codename"),
    )
    return _GRANTED_SQL.format(
        use=use,
        direct=quote(direct._meta.db_table),
        d_app=column(direct, "content_object"),
        d_user=column(direct, "user"),
        d_perm=column(direct, "permission"),
        via_group=quote(via_group._meta.db_table),
        g_app=column(via_group, "content_object"),
        g_perm=column(via_group, "permission"),
        g_group=column(via_group, "group"),
        members=quote(members._meta.db_table),
        m_group=column(members, "group"),
        m_user=column(members, "user"),
    )


def catalog_search(
    apps: QuerySet[App], *, tags: Sequence[str] = (), text: str = ""
) -> QuerySet[App]:
    """The apps that carry every one of `tags` and match every word of `text` somewhere
    in their name, description, id, namespace or tags (case-insensitive)."""
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


def catalog_listing(apps: QuerySet[App]) -> tuple[list[int], list[str]]:
    """The ids of these apps in catalog order, and the names of the tags they carry, in
    order: one query, so the rules that chose the apps are built and run once."""
    # The tag lists come as JSON text and are decoded in one call, not one call per app.
    as_text = Cast("tag_names", TextField())
    rows = list(apps.order_by(*CATALOG_ORDER).values_list("pk", as_text))
    tag_lists = json.loads(f"[{','.join(text for _pk, text in rows)}]")
    return [pk for pk, _text in rows], sorted({name for names in tag_lists for name in names})


def catalog_cards(*, ids: Sequence[int]) -> list[CatalogCard]:
    """The cards of the apps with these ids, in this order: one query, whatever the page."""
    rows = App.objects.filter(pk__in=ids).values_list(
        "pk", "uid", "display_name", "description", "thumbnail", "tag_names"
    )
    url_of = _app_url_of()
    by_pk = {
        pk: CatalogCard(uid, name, description, safe_thumbnail(thumbnail), url_of(uid), tags)
        for pk, uid, name, description, thumbnail, tags in rows
    }
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _app_url_of() -> Callable[[str], str]:
    """`app_url` for a page of apps at the cost of one reverse(): a uid is base62, which
    goes into a path as it is."""
    head, _marker, tail = app_url("-uid-").partition("-uid-")
    return lambda uid: f"{head}{uid}{tail}"
