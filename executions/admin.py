from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from executions import presenters
from executions.models import Decision, Execution, ExecutionQuerySet

# Picks the rows of one choice, as of the time given.
Pick = Callable[[Any, datetime], QuerySet[Execution]]


class _AsOfNowFilter(admin.SimpleListFilter):
    """A list filter whose choices each pick rows by the time now: value → (label, pick)."""

    picks: ClassVar[Mapping[str, tuple[str | Promise, Pick]]] = {}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, (label, _pick) in self.picks.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Execution]) -> QuerySet[Execution]:
        choice = self.picks.get(self.value() or "")
        return choice[1](queryset, timezone.now()) if choice else queryset


class WatchedFilter(_AsOfNowFilter):
    title = _("watched")
    parameter_name = "watched"
    picks = {
        "yes": (_("Someone has the page open"), ExecutionQuerySet.watched),
        "no": (_("Nobody watching"), ExecutionQuerySet.unwatched),
    }


class HeldFilter(_AsOfNowFilter):
    title = _("held by a worker")
    parameter_name = "held"
    picks = {
        "yes": (_("Held now"), lambda rows, now: rows.filter(lease_until__gte=now)),
        # due and unleased: what the next tracking claim will take
        "overdue": (_("Due and nobody holds it"), lambda rows, now: rows.due(now).unleased(now)),
    }


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    """The tracking queue as operators see it: where each execution is, when it was last
    polled, how many delivery attempts it took, and the last error."""

    list_display = [
        "public_id",
        "app",
        "stage",
        "state",
        "delivery",
        "origin",
        "attempts",
        "last_polled_at",
        "next_action_at",
        "short_error",
        "created",
    ]
    list_filter = ["stage", "delivery", "origin", WatchedFilter, HeldFilter, "app"]
    search_fields = ["kestra_id", "token", "error", "app__app_id", "app__display_name"]
    date_hierarchy = "created"
    list_select_related = ["app"]
    # Read-only fields show whatever `exclude` says: the form values (SECRET ones in clear)
    # are left out of the list itself.
    readonly_fields = [
        f.name for f in Execution._meta.get_fields() if f.concrete and f.name != "payload"
    ]
    exclude = ["payload"]

    @admin.display(description=_("last error"))
    def short_error(self, execution: Execution) -> str:
        return presenters.failure_text(execution)[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """The audit record: read-only for everyone, superusers included."""

    list_display = ["created", "action", "label", "who", "ip_address", "execution"]
    list_filter = ["action", "execution__app"]
    search_fields = ["username", "session", "execution__kestra_id", "ip_address"]
    list_select_related = ["execution__app"]

    @admin.display(description=_("who"))
    def who(self, decision: Decision) -> str:
        who = decision.username or gettext("anonymous session %(session)s") % {
            "session": decision.session
        }
        if decision.via:
            return gettext("%(who)s (via %(via)s)") % {"who": who, "via": decision.via}
        return who

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
