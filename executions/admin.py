from django.contrib import admin

from executions.models import Execution


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "app",
        "stage",
        "state",
        "delivery",
        "attempts",
        "last_polled_at",
        "created",
    ]
    list_filter = ["stage", "delivery", "app"]
    search_fields = ["kestra_id", "token"]
    readonly_fields = [f.name for f in Execution._meta.get_fields() if f.concrete]
    exclude = ["payload"]

    def has_add_permission(self, request: object) -> bool:
        return False
