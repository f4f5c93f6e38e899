"""The outbox in the admin: every message with its attempts (what the demo's emails would
say is here too); nothing in it may be changed by hand."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Attempt, Notification


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["started", "outcome", "error"]
    readonly_fields = ["started", "outcome", "error"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created", "event", "channel", "address", "subject", "status", "attempts"]
    list_filter = ["status", "event", "channel"]
    search_fields = ["address", "subject"]
    date_hierarchy = "created"
    inlines = [AttemptInline]
    readonly_fields = [
        "event", "channel", "execution", "user", "address", "subject", "text", "link",
        "status", "attempts", "next_attempt_at", "sent_at", "last_error", "created",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
