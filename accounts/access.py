"""Who may see and use an app: the one place that decides.

Cannot see it → 404. A private app opened without a session → the login page, then back.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404, HttpRequest

from apps_catalog.models import App

USE_PERMISSION = "apps_catalog.use_app"


class LoginRequired(Exception):
    """The app exists for some people, but only after they log in."""


def can_use(user: User | AnonymousUser, app: App) -> bool:
    if app.is_public:
        return True
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.has_perm(USE_PERMISSION, app))


def app_for_request(request: HttpRequest, uid: str, *, known: App | None = None) -> App:
    """The enabled app with this uid, if this person may use it; raises Http404 or LoginRequired.

    `known` is that app when the caller already read it (enabled, with this uid) along with
    something else; it is then not read again."""
    # No ORDER BY: the uid is unique, and sorting is what costs on a page asked every second.
    app = known or next(iter(App.objects.filter(uid=uid, enabled=True).order_by()[:1]), None)
    if app is None:
        raise Http404("No such app")
    if can_use(request.user, app):
        return app
    if not request.user.is_authenticated:
        raise LoginRequired
    raise Http404("No such app")


def can_act_on(request: HttpRequest, app: App, execution: object) -> bool:
    """May this person resume or cancel the execution?

    On a public app: the browser session that submitted it, or a logged-in user granted use
    of the app. On a private app: anyone who may use the app.
    """
    user = request.user
    if user.is_authenticated and (user.is_superuser or user.has_perm(USE_PERMISSION, app)):
        return True
    if not app.is_public:
        return can_use(user, app)
    session_key = request.session.session_key
    submitted_by = getattr(execution, "submitted_by_id", None)
    return bool(
        (session_key and session_key == getattr(execution, "session_key", ""))
        or (user.is_authenticated and submitted_by == user.pk)
    )
