from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from guardian.admin import GuardedModelAdmin

from apps_catalog.models import App, Tag


@admin.register(App)
class AppAdmin(GuardedModelAdmin):
    list_display = [
        "display_name",
        "namespace",
        "app_id",
        "flow_id",
        "access",
        "enabled",
        "updated",
    ]
    list_filter = ["namespace", "access", "enabled", "tags"]
    search_fields = ["display_name", "app_id", "namespace", "flow_id", "description"]
    readonly_fields = [
        "uid",
        "app_id",
        "namespace",
        "flow_id",
        "display_name",
        "created",
        "updated",
    ]
    fields = [
        "uid",
        "source",
        "app_id",
        "namespace",
        "flow_id",
        "display_name",
        "enabled",
        "created",
        "updated",
    ]
    actions = ["enable", "disable"]

    @admin.action(description="Enable the selected apps")
    def enable(self, request: HttpRequest, queryset: QuerySet[App]) -> None:
        count = queryset.update(enabled=True)
        self.message_user(request, f"{count} app(s) enabled.", messages.SUCCESS)

    @admin.action(description="Disable the selected apps")
    def disable(self, request: HttpRequest, queryset: QuerySet[App]) -> None:
        count = queryset.update(enabled=False)
        self.message_user(request, f"{count} app(s) disabled.", messages.SUCCESS)


admin.site.register(Tag)
