"""Who may manage apps through the API: Django's model permissions on App (or superuser).

Using apps (view, dispatch, streams, files, logs) is not decided here but by
accounts.access, exactly as for the web pages.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


def has_app_permissions(user: Any, *codenames: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    return bool(user.is_superuser or user.has_perms([f"apps_catalog.{c}" for c in codenames]))


class _AppModelPermission(BasePermission):
    # Each inner tuple is one way to be allowed: the user needs every codename in it.
    ways: tuple[tuple[str, ...], ...] = ()

    def has_permission(self, request: Request, view: Any) -> bool:
        return any(has_app_permissions(request.user, *way) for way in self.ways)


class CanReadApps(_AppModelPermission):
    """Sources, search, export: like the admin, `view_app` or `change_app`."""

    ways = (("view_app",), ("change_app",))


class CanAddApps(_AppModelPermission):
    ways = (("add_app",),)


class CanChangeApps(_AppModelPermission):
    ways = (("change_app",),)


class CanDeleteApps(_AppModelPermission):
    ways = (("delete_app",),)


class CanImportApps(_AppModelPermission):
    """An import creates apps and updates those it already has."""

    ways = (("add_app", "change_app"),)


def is_manager(user: Any) -> bool:
    return any(has_app_permissions(user, c) for c in ("view_app", "change_app"))
