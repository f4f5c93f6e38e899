"""What every API view shares: the tenant in the path, what the runtime's views have in
common, and finding an app to manage."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from api.lookups import TAG as RUNTIME_TAG
from apps_catalog.models import App


# A view under /api/v1/<tenant>/: the portal serves one tenant, the one it uses in Kestra
# (KESTRA_TENANT); any other is not found. (A comment, not a docstring: the schema would
# show a docstring as every endpoint's description.)
class TenantView(APIView):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("tenant") != settings.KESTRA_TENANT:
            raise NotFound(_("No tenant %(tenant)s here.") % {"tenant": repr(kwargs.get("tenant"))})
        super().initial(request, *args, **kwargs)


# A view of the app runtime: anyone may call it, and accounts.policy decides for each app
# (api.lookups.usable_app).
@extend_schema(tags=[RUNTIME_TAG])
class RuntimeView(TenantView):
    permission_classes = [AllowAny]


def managed_app(uid: str) -> App:
    """Any app, enabled or not, for someone allowed to manage apps."""
    app = App.objects.filter(uid=uid).first()
    if app is None:
        raise NotFound(_("No app %(uid)s.") % {"uid": repr(uid)})
    return app
