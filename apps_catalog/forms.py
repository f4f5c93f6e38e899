"""The admin's form for an app: its YAML source, checked by the parser and against Kestra."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps_catalog.definition import AppDefinition, DefinitionError, Issue, parse_app
from apps_catalog.models import App
from apps_catalog.services import app_warnings
from apps_catalog.sources import top_level_line
from executions.kestra import KestraNotFound, KestraRejected, KestraUnavailable, get_client


class YamlEditor(forms.Textarea):
    """A textarea that admin-apps.js turns into a code editor; still a textarea without JS."""

    def __init__(self) -> None:
        super().__init__(
            attrs={"class": "yaml-source", "rows": 30, "cols": 100, "spellcheck": "false"}
        )


def normalise_newlines(source: str, previous: str = "") -> str:
    """Browsers send a textarea's lines ended by \\r\\n whatever was typed. The source keeps
    \\n, unless the stored one was written with \\r\\n (imported from such a file)."""
    if "\r\n" in previous:
        return source
    return source.replace("\r\n", "\n")


def issue_dicts(issues: list[Issue]) -> list[dict[str, Any]]:
    return [{"path": i.path, "line": i.line, "message": i.message} for i in issues]


class AppSourceForm(forms.ModelForm):
    """Validates; saving is the service's job (apps_catalog.services.app_save_source).

    After is_valid(): `definition` is the parsed app, `flow` the flow Kestra served (None
    when it could not be asked), `issues` every problem with its line, and `warnings`
    what the person should know although the app can be saved.
    """

    source = forms.CharField(
        label=capfirst(App._meta.get_field("source").verbose_name),
        widget=YamlEditor(),
        strip=False,  # stored exactly as written, trailing newline included
        help_text=gettext_lazy("The app in Kestra's Apps YAML. Errors are marked at their line."),
    )

    class Meta:
        model = App
        fields = ["source"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definition: AppDefinition | None = None
        self.flow: dict[str, Any] | None = None
        self.issues: list[Issue] = []
        self.warnings: list[str] = []

    @property
    def issues_json(self) -> list[dict[str, Any]]:
        return issue_dicts(self.issues)

    def clean_source(self) -> str:
        previous = self.instance.source if self.instance.pk else ""
        source = normalise_newlines(self.cleaned_data["source"], previous)
        try:
            self.definition = parse_app(source)
        except DefinitionError as error:
            self.issues = list(error.issues)
            raise ValidationError([str(issue) for issue in error.issues]) from error
        return source

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.definition is not None:
            self._check_unique(self.definition, cleaned["source"])
        if self.definition is not None:  # still valid: worth asking Kestra
            self._check_flow(self.definition, cleaned["source"])
        if self.definition is not None:
            self.warnings += app_warnings(
                definition=self.definition, source=cleaned["source"], flow=self.flow
            )
        return cleaned

    def _fail(self, source: str, key: str, message: str) -> None:
        issue = Issue(key, top_level_line(source, key), message)
        self.issues.append(issue)
        self.add_error("source", str(issue))
        self.definition = None

    def _check_unique(self, definition: AppDefinition, source: str) -> None:
        others = App.objects.filter(namespace=definition.namespace, app_id=definition.id)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            message = _("another app already has the id %(id)s in this namespace") % {
                "id": repr(definition.id)
            }
            self._fail(source, "id", message)

    def _check_flow(self, definition: AppDefinition, source: str) -> None:
        """A flow Kestra says does not exist is an error; Kestra not answering only a
        warning, so an edit is never lost to an outage."""
        flow = f"{definition.namespace}.{definition.flow_id}"
        revision = definition.flow_revision
        try:
            self.flow = get_client().flow(definition.namespace, definition.flow_id, revision)
        except KestraNotFound:
            if revision:
                self._fail(
                    source,
                    "flowRevision",
                    _("flow %(flow)s has no revision %(revision)s")
                    % {"flow": flow, "revision": revision},
                )
            else:
                self._fail(
                    source, "flowId", _("there is no flow %(flow)s in Kestra") % {"flow": flow}
                )
        except KestraUnavailable as exc:
            self.warnings.append(
                _(
                    "Kestra could not be reached (%(reason)s), so flow %(flow)s was not"
                    " checked. The app was saved; open it once Kestra is back to be sure the"
                    " flow exists."
                )
                % {"reason": exc, "flow": flow}
            )
        except KestraRejected as exc:
            self.warnings.append(
                _("Kestra refused to show flow %(flow)s (%(reason)s).")
                % {"flow": flow, "reason": exc.message}
            )
