"""The admin for apps: the YAML in a code editor, errors at their line, a preview of every
stage, enable/disable, and per-app grants to users and groups (guardian)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from accounts import policy
from apps_catalog.definition import AppDefinition, DefinitionError, parse_app
from apps_catalog.forms import AppSourceForm, issue_dicts, normalise_newlines
from apps_catalog.models import App, Tag
from apps_catalog.selectors import catalog_search
from apps_catalog.services import app_save_source, app_set_enabled
from apps_catalog.sources import SourceEditError
from executions import stage_preview
from executions.kestra import KestraError, KestraNotFound, get_client


@admin.register(App)
class AppAdmin(GuardedModelAdmin):
    form = AppSourceForm
    # guardian types this as an instance attribute, django-stubs as a ClassVar: both mean it.
    change_form_template = "admin/apps_catalog/app/change_form.html"  # type: ignore[misc]
    list_display = [
        "display_name",
        "namespace",
        "app_id",
        "flow_id",
        "access",
        "catalog",
        "enabled",
        "tag_list",
        "updated",
    ]
    list_filter = ["namespace", "tags", "access", "catalog", "enabled"]
    search_fields = ["display_name", "app_id", "namespace", "flow_id", "description", "tags__name"]
    readonly_fields = [
        "uid",
        "app_id",
        "namespace",
        "flow_id",
        "display_name",
        "access",
        "catalog",
        "enabled",
        "tag_list",
        "created",
        "updated",
    ]
    fieldsets = [
        (None, {"fields": ["source"]}),
        (
            _("As parsed (read-only: change the YAML)"),
            {
                "fields": [
                    "uid",
                    ("namespace", "app_id", "flow_id"),
                    "display_name",
                    ("access", "catalog", "enabled"),
                    "tag_list",
                    ("created", "updated"),
                ]
            },
        ),
    ]
    actions = ["enable", "disable"]
    list_per_page = 50

    class Media:
        css = {"all": ["vendor/codemirror/codemirror.css", "portal/admin-apps.css"]}
        js = [
            "vendor/codemirror/codemirror.js",
            "vendor/codemirror/mode/yaml/yaml.js",
            "portal/admin-apps.js",
        ]

    def get_fieldsets(self, request: HttpRequest, obj: App | None = None) -> Any:
        # A new app has nothing parsed to show yet, and its uid is only drawn on save.
        return self.fieldsets if obj is not None else self.fieldsets[:1]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[App], search_term: str
    ) -> tuple[QuerySet[App], bool]:
        """The fields as written (the flow id too), or the catalog's own search: its name
        and description in every language the app has, whatever the case."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return found, duplicates
        return found | catalog_search(queryset, text=search_term), duplicates

    @admin.display(description=_("tags"))
    def tag_list(self, app: App) -> str:
        return ", ".join(app.tag_names)

    # -- who may: accounts.policy, as for the API ----------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policy.can_manage(request.user, "read")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return policy.can_manage(request.user, "add")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policy.can_manage(request.user, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policy.can_manage(request.user, "delete")

    # -- saving ----------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: App, form: ModelForm, change: bool) -> None:
        """Through the service, so the admin and import_apps store an app the same way;
        `obj` is updated in place, so a renamed app keeps its uid."""
        assert isinstance(form, AppSourceForm)
        app_save_source(
            source=form.cleaned_data["source"], definition=form.definition, app=obj, flow=form.flow
        )
        for warning in form.warnings:
            messages.warning(request, warning)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Tags and group grants come from the YAML and were saved with the app."""

    # -- actions ---------------------------------------------------------------------

    @admin.action(description=_("Enable the selected apps"), permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[App]) -> None:
        self._set_enabled(request, queryset, enabled=True)

    @admin.action(description=_("Disable the selected apps"), permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[App]) -> None:
        self._set_enabled(request, queryset, enabled=False)

    def _set_enabled(self, request: HttpRequest, queryset: QuerySet[App], *, enabled: bool) -> None:
        changed, refused = 0, []
        for app in queryset:
            try:
                changed += app_set_enabled(app=app, enabled=enabled)
            except (SourceEditError, DefinitionError):
                refused.append(str(app))
        if enabled:
            done = ngettext("%(count)s app enabled.", "%(count)s apps enabled.", changed)
        else:
            done = ngettext("%(count)s app disabled.", "%(count)s apps disabled.", changed)
        self.message_user(request, done % {"count": changed}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                gettext(
                    "Set `disabled` in the YAML by hand for: %(apps)s"
                    " (their `disabled` is not a plain true or false)."
                )
                % {"apps": ", ".join(refused)},
                messages.WARNING,
            )

    # -- preview ---------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        preview_url = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="apps_catalog_app_preview",
        )
        return [preview_url, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Parse the posted YAML; answer its issues, or every stage drawn with sample data."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        object_id = request.POST.get("object_id", "")
        app = App.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        if not self._may_preview(request, app):
            raise PermissionDenied
        source = normalise_newlines(request.POST.get("source", ""), app.source if app else "")
        try:
            definition = parse_app(source)
        except DefinitionError as error:
            return JsonResponse({"valid": False, "issues": issue_dicts(error.issues), "html": ""})
        flow, notice = _flow_for_preview(definition, app)
        uid = app.uid if app else stage_preview.PREVIEW_UID
        html = stage_preview.render_stage_previews(
            request, definition, uid=uid, flow=flow, notice=notice
        )
        return JsonResponse({"valid": True, "issues": [], "html": html})

    def _may_preview(self, request: HttpRequest, app: App | None) -> bool:
        if app is not None:
            return self.has_change_permission(request, app)
        return self.has_add_permission(request)


def _flow_for_preview(
    definition: AppDefinition, app: App | None
) -> tuple[dict[str, Any] | None, str]:
    """The flow whose inputs the form shows: from Kestra, else the app's stored copy."""
    name = f"{definition.namespace}.{definition.flow_id}"
    try:
        return get_client().flow(
            definition.namespace, definition.flow_id, definition.flow_revision
        ), ""
    except KestraNotFound:
        return None, gettext(
            "There is no flow %(flow)s in Kestra: the form shows sample fields."
        ) % {"flow": name}
    except KestraError:
        if app and app.flow_snapshot and app.flow_id == definition.flow_id:
            return app.flow_snapshot, gettext(
                "Kestra cannot be reached: the form shows the last copy."
            )
        return None, gettext("Kestra cannot be reached: the form shows sample fields.")


admin.site.register(Tag)
