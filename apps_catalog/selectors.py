"""Reads on app definitions that carry rules: which apps a person finds in the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps_catalog.models import App, AppGroupObjectPermission, AppUserObjectPermission

USE_CODENAME = "use_app"

# Columns a catalog card never shows: the source and the flow copy may be large.
_NOT_ON_CARDS = ("source", "definition", "flow_snapshot")


def catalog_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[App]:
    """Enabled, unexpired, listed apps the user may use: public ones and private ones granted."""
    now = timezone.now()
    apps = App.objects.filter(enabled=True, catalog=True).filter(
        Q(expiration_start__isnull=True) | Q(expiration_start__lte=now),
        Q(expiration_end__isnull=True) | Q(expiration_end__gt=now),
    )
    if user.is_superuser:
        return apps.prefetch_related("tags")
    return apps.filter(
        Q(access=App.Access.PUBLIC) | Q(pk__in=granted_app_ids(user))
    ).prefetch_related("tags")


def granted_app_ids(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Any]:
    """The ids of the apps granted to the user, directly or through a group: the same rule
    as guardian's get_objects_for_user(accept_global_perms=False), read straight from the
    app's own permission tables, which costs a page asked often much less to build."""
    if not user.is_authenticated:
        return App.objects.none().values("pk")
    direct = AppUserObjectPermission.objects.filter(
        user=user, permission__codename=USE_CODENAME
    ).values("content_object_id")
    via_group = AppGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=USE_CODENAME
    ).values("content_object_id")
    return App.objects.filter(Q(pk__in=direct) | Q(pk__in=via_group)).values("pk")


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
            .filter(matched=len(wanted))
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


def catalog_cards(*, ids: Sequence[int]) -> list[App]:
    """The apps with these ids, in this order, with what a catalog card shows."""
    apps = App.objects.filter(pk__in=ids).defer(*_NOT_ON_CARDS).prefetch_related("tags")
    by_pk = {app.pk: app for app in apps}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def catalog_tags(apps: QuerySet[App]) -> list[str]:
    """The tag names carried by at least one of these apps, in order."""
    # DISTINCT in the database: one row per tag, not one per (app, tag) pair.
    names = (
        App.tags.through.objects.filter(app_id__in=apps.values("pk"))
        .values_list("tag__name", flat=True)
        .distinct()
        .order_by("tag__name")
    )
    return list(names)
