from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import ApiToken, Identity, token_digest


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins issue tokens for people (shown once, in a message) and revoke them by deleting."""

    list_display = ["name", "user", "prefix", "created", "last_used"]
    list_filter = ["created", "last_used"]
    search_fields = ["name", "user__username", "prefix"]
    fields = ["user", "name", "prefix", "created", "last_used"]
    readonly_fields = ["prefix", "created", "last_used"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        # A token's owner never changes: a new owner gets a new token.
        return [*self.readonly_fields, "user"] if obj else list(self.readonly_fields)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        issuer = request.user

        class IssueForm(form):  # type: ignore[misc, valid-type]
            def clean_user(self) -> User:
                holder = self.cleaned_data["user"]
                if not policy.may_issue_token(issuer, holder):
                    raise ValidationError(
                        f"{holder} has rights you do not have (permissions, groups or apps):"
                        " only they or a superuser may issue their token."
                    )
                return holder

        return IssueForm

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        issued, raw = ApiToken.objects.issue(user=obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.digest = issued.pk, issued.prefix, token_digest(raw)
        obj.created = issued.created
        messages.warning(
            request,
            _("The token for %(user)s: %(token)s — copy it now, it is not shown again.")
            % {"user": obj.user, "token": raw},
        )


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    """Who at the identity provider each account stands for. Read only: the provider's
    sign-in writes it; deleting one unlinks the account, and the person's next sign-in
    links the account of that name again or makes one."""

    list_display = ["user", "subject", "issuer", "groups", "last_seen"]
    search_fields = ["user__username", "subject"]
    readonly_fields = ["user", "issuer", "subject", "groups", "last_seen"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Identity | None = None) -> bool:
        return False
