"""Who may manage apps through the API: accounts.policy.can_manage (Django's model
permissions on App, or a superuser), as DRF permission classes.

Using apps (view, dispatch, streams, files, logs) is decided by accounts.policy too, in
api.lookups, exactly as for the web pages.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts import policy


class _ManageApps(BasePermission):
    what: policy.ManageAction

    def has_permission(self, request: Request, view: Any) -> bool:
        return policy.can_manage(request.user, self.what)


class CanReadApps(_ManageApps):
    """Sources, search, export: like the admin, `view_app` or `change_app`."""

    what = "read"


class CanAddApps(_ManageApps):
    what = "add"


class CanChangeApps(_ManageApps):
    what = "change"


class CanDeleteApps(_ManageApps):
    what = "delete"


class CanImportApps(_ManageApps):
    what = "import"
