"""Reads on app definitions that carry rules: which apps a person finds in the catalog."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from apps_catalog.models import App


def catalog_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[App]:
    """Enabled, unexpired, listed apps the user may use: public ones and private ones granted."""
    now = timezone.now()
    apps = App.objects.filter(enabled=True, catalog=True).filter(
        Q(expiration_start__isnull=True) | Q(expiration_start__lte=now),
        Q(expiration_end__isnull=True) | Q(expiration_end__gt=now),
    )
    if user.is_superuser:
        return apps.prefetch_related("tags")
    granted = get_objects_for_user(
        user, "apps_catalog.use_app", klass=App, accept_global_perms=False
    ).values("pk")
    return apps.filter(Q(access=App.Access.PUBLIC) | Q(pk__in=granted)).prefetch_related("tags")
