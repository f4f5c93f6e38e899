"""Forms built from a flow's inputs. Kestra's validation endpoint decides what is valid."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import gettext as _

from apps_catalog.models import App
from executions.kestra import KestraUnavailable, get_client
from executions.kestra.client import FileField
from executions.models import Execution, find_task, paused_run

FLOW_CACHE_SECONDS = 30
UNAVAILABLE_RETRY_SECONDS = 10
FIELD_PREFIX = "input."
MASK = "******"

_WIDGETS = {
    "STRING": "text",
    "EMAIL": "email",
    "URI": "url",
    "SECRET": "password",
    "INT": "number",
    "FLOAT": "number",
    "BOOL": "toggle",
    "BOOLEAN": "toggle",
    "SELECT": "select",
    "ENUM": "select",
    "MULTISELECT": "multiselect",
    "DATE": "date",
    "DATETIME": "datetime",
    "TIME": "time",
    "DURATION": "duration",
    "JSON": "textarea",
    "YAML": "textarea",
    "ARRAY": "textarea",
    "FILE": "file",
    "TABLE": "table",
    "OBJECT": "textarea",
    "ION": "textarea",
}
# What a TABLE column's or an OBJECT property's type asks for, in the hint under the field.
_KINDS = {
    "INT": "a whole number",
    "FLOAT": "a number",
    "BOOL": "true or false",
    "DATE": "a date",
    "DATETIME": "a date and time",
    "TIME": "a time",
    "DURATION": "a duration",
    "EMAIL": "an e-mail address",
    "URI": "an address",
    "SELECT": "one of the choices",
    "MULTISELECT": "a list of choices",
}


@dataclass(frozen=True)
class Group:
    """A FORM input: the inputs it groups are one step of the form."""

    id: str
    label: str
    description: str = ""


@dataclass
class Field:
    """One form field as the page shows it."""

    id: str
    type: str
    label: str
    description: str = ""
    required: bool = True
    value: str = ""
    values: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # value → label, for {label, value}
    group: Group | None = None

    @property
    def options(self) -> list[tuple[str, str]]:
        """The offered values with what to show for each: its label, or itself."""
        return [(value, self.labels.get(value, value)) for value in self.values]

    @property
    def name(self) -> str:
        return f"{FIELD_PREFIX}{self.id}"

    @property
    def widget(self) -> str:
        if self.type in {"SELECT", "ENUM"} and self.attrs.get("allowCustomValue"):
            return "combobox"
        if self.type == "SELECT" and self.attrs.get("isRadio"):
            return "radio"
        return _WIDGETS.get(self.type, "text")

    @property
    def parts(self) -> list[dict[str, Any]]:
        """A TABLE's columns or an OBJECT's properties, each a typed input of its own."""
        return list(self.attrs.get("columns") or self.attrs.get("properties") or [])

    @property
    def columns_json(self) -> str:
        """The columns as the table editor (widgets.js) reads them."""
        return json.dumps(
            [
                {
                    "id": str(part.get("id")),
                    "label": str(part.get("displayName") or part.get("id")),
                    "type": str(part.get("type", "STRING")),
                    "required": bool(part.get("required", True)),
                    "options": _field(part, None, []).options,
                }
                for part in self.parts
            ]
        )

    @property
    def parts_hint(self) -> str:
        """What each column or property holds, for whoever types the JSON by hand."""
        return "; ".join(
            f"{part.get('id')}: {_KINDS.get(str(part.get('type')), 'text')}"
            + ("" if part.get("required", True) else " (optional)")
            for part in self.parts
        )

    @property
    def example(self) -> str:
        """A value of the right shape, shown while the box is empty."""
        record = {str(part.get("id")): "" for part in self.parts}
        if self.type == "TABLE":
            return json.dumps([record])
        if self.type == "OBJECT":
            return json.dumps(record)
        return {"YAML": "key: value", "ARRAY": '["first", "second"]'}.get(
            self.type, '{"key": "value"}'
        )

    @property
    def others(self) -> list[str]:
        """Chosen values that are not among the offered ones (allowCustomValue)."""
        return [value for value in self.selected if value and value not in self.values]


def flow_definition(app: App) -> dict[str, Any]:
    """The app's flow from Kestra, cached briefly: forms need its inputs on every page view.

    While Kestra cannot be reached, the copy kept from the last time it answered is used.
    """
    definition = app.parsed
    key = f"flow:{app.uid}:{definition.flow_revision or ''}"
    flow = cache.get(key)
    if flow is not None:
        return flow
    try:
        flow = get_client().flow(definition.namespace, definition.flow_id, definition.flow_revision)
    except KestraUnavailable:
        if app.flow_snapshot:
            # Serve the kept copy for a little while without asking again: each try could
            # cost a visitor the whole timeout.
            cache.set(key, app.flow_snapshot, UNAVAILABLE_RETRY_SECONDS)
            return app.flow_snapshot
        raise
    cache.set(key, flow, FLOW_CACHE_SECONDS)
    if flow != app.flow_snapshot:
        App.objects.filter(pk=app.pk).update(flow_snapshot=flow)
        app.flow_snapshot = flow
    return flow


def _expanded(flow: Mapping[str, Any]) -> list[tuple[dict[str, Any], Group | None]]:
    """The flow's inputs with each FORM's inputs in its place, under the form's id
    (`requester.name`), as Kestra resolves them; each with the FORM it belongs to."""
    out: list[tuple[dict[str, Any], Group | None]] = []
    for definition in flow.get("inputs") or []:
        if definition.get("type") != "FORM":
            out.append((dict(definition), None))
            continue
        group = Group(
            id=str(definition.get("id")),
            label=str(definition.get("displayName") or definition.get("id")),
            description=str(definition.get("description") or ""),
        )
        for child in definition.get("inputs") or []:
            out.append(({**child, "id": f"{group.id}.{child.get('id')}"}, group))
    return out


def flow_inputs(flow: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The inputs a form fills in: FORM groups expanded into theirs."""
    return [definition for definition, _ in _expanded(flow)]


def _groups(flow: Mapping[str, Any] | None) -> dict[str, Group]:
    return {str(d["id"]): g for d, g in _expanded(flow or {}) if g is not None}


def _dynamic(definition: Mapping[str, Any]) -> bool:
    """Whether only Kestra can tell this input's shape or value: it depends on other inputs,
    draws its values from an expression, or its default is an expression."""
    texts = [definition.get("defaults"), definition.get("prefill")]
    return bool(
        definition.get("dependsOn")
        or definition.get("expression")
        or definition.get("autoSelectFirst")
        or any(isinstance(t, str) and "{{" in t for t in texts)
    )


def is_static(flow: Mapping[str, Any]) -> bool:
    """A form Kestra need not be asked about before it is shown."""
    return not any(_dynamic(definition) for definition in flow_inputs(flow))


def fields_from_flow(
    flow: Mapping[str, Any],
    submitted: Mapping[str, Any] | None = None,
    extra_errors: Mapping[str, str] | None = None,
) -> list[Field]:
    """Fields straight from the flow's input definitions, for when Kestra cannot validate."""
    fields = []
    for definition, group in _expanded(flow):
        if definition.get("dependsOn"):
            continue
        input_id = str(definition.get("id", ""))
        value = (submitted or {}).get(input_id, definition.get("defaults"))
        errors = [extra_errors[input_id]] if extra_errors and input_id in extra_errors else []
        fields.append(_field(definition, value, errors, group))
    return fields


def answers(fields: Iterable[Field]) -> dict[str, Any]:
    """The form's values so far, as `inputs` in the OPEN stage's expressions: by input id,
    dotted ids nested as Kestra nests them (`inputs.request.name`), a MULTISELECT as its
    list; blank fields (and secrets, never shown back) are left out."""
    found: dict[str, Any] = {}
    for form_field in fields:
        if form_field.value == "":
            continue
        value: Any = form_field.value
        if form_field.type == "MULTISELECT":
            value = [chosen for chosen in form_field.selected if chosen]
        *parents, last = form_field.id.split(".")
        node = found
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    return found


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def option_labels(definition: Mapping[str, Any]) -> dict[str, str]:
    """A SELECT's or MULTISELECT's labels by value, for the options written as
    `{label, value}`: what a person picks in the form, and reads back in an Inputs block."""
    return {
        _as_text(v.get("value")): str(v["label"])
        for v in definition.get("values") or []
        if isinstance(v, dict) and v.get("label") not in (None, "")
    }


def _field(
    definition: Mapping[str, Any], value: Any, errors: list[str], group: Group | None = None
) -> Field:
    input_type = str(definition.get("type", "STRING"))
    options = definition.get("values") or []
    values = [_as_text(v.get("value") if isinstance(v, dict) else v) for v in options]
    labels = option_labels(definition)
    if input_type == "MULTISELECT" and isinstance(value, str):
        value = _json_list(value) if value else []
    selected = [_as_text(v) for v in value] if isinstance(value, list) else [_as_text(value)]
    return Field(
        id=str(definition["id"]),
        type=input_type,
        label=str(definition.get("displayName") or definition["id"]),
        description=str(definition.get("description") or ""),
        required=bool(definition.get("required", True)),
        value="" if input_type == "SECRET" else _as_text(value),
        values=values,
        labels=labels,
        selected=selected,
        errors=errors,
        group=group,
        attrs={
            key: definition[key]
            for key in (
                "allowCustomValue",
                "min",
                "max",
                "isRadio",
                "allowedFileExtensions",
                "validator",
                "after",
                "before",
                "columns",
                "rows",
                "properties",
            )
            if key in definition
        },
    )


def fields_from_validation(
    result: Mapping[str, Any],
    submitted: Mapping[str, str] | None = None,
    *,
    show_errors: bool = True,
    extra_errors: Mapping[str, str] | None = None,
    flow: Mapping[str, Any] | None = None,
) -> list[Field]:
    """Fields for the enabled inputs, in Kestra's order, holding what the person typed;
    grouped by the FORM inputs of `flow` when given.

    Errors are left out before the person has submitted (show_errors=False): a form does
    not open full of complaints about fields nobody has filled in yet.
    """
    groups = _groups(flow)
    fields = []
    for entry in result.get("inputs") or []:
        if not entry.get("enabled", True):
            continue
        definition = entry.get("input") or {}
        input_id = str(definition.get("id", ""))
        value = entry.get("value")
        if submitted is not None and input_id in submitted:
            value = submitted[input_id]
            if definition.get("type") == "MULTISELECT":
                value = _json_list(value)
        errors = [
            kestra_message(str(e.get("message")))
            for e in entry.get("errors") or []
            if e.get("message")
        ]
        if extra_errors and input_id in extra_errors:
            errors = [extra_errors[input_id], *errors]
        shown = errors if show_errors else []
        fields.append(_field(definition, value, shown, groups.get(input_id)))
    return fields


# Kestra's validation messages (English only), in the reader's language: the few that
# forms meet most, found by their shape; the values quoted in them stay as Kestra wrote them.
_KESTRA_MESSAGES: list[tuple[re.Pattern[str], Callable[[], str]]] = [
    (re.compile(r"missing required input"), lambda: _("missing required input")),
    (
        re.compile(r"Invalid value for input `(?P<id>[^`]*)`\. Cause: (?P<cause>.*)", re.S),
        lambda: _("Invalid value for input `%(id)s`. Cause: %(cause)s"),
    ),
    (
        re.compile(r"it must match the pattern `(?P<p>.*)`", re.S),
        lambda: _("it must match the pattern `%(p)s`"),
    ),
    (
        re.compile(r"it must be more than `(?P<n>.*)`", re.S),
        lambda: _("it must be more than `%(n)s`"),
    ),
    (
        re.compile(r"it must be less than `(?P<n>.*)`", re.S),
        lambda: _("it must be less than `%(n)s`"),
    ),
    (
        re.compile(r"it must match the values `(?P<values>.*)`", re.S),
        lambda: _("it must match the values `%(values)s`"),
    ),
]


def kestra_message(text: str) -> str:
    """One of Kestra's validation messages as the reader reads it: a known shape in their
    language (its cause too), anything else as Kestra wrote it."""
    for pattern, translated in _KESTRA_MESSAGES:
        found = pattern.fullmatch(text)
        if found is not None:
            parts = found.groupdict()
            if "cause" in parts:
                parts["cause"] = kestra_message(parts["cause"])
            return translated() % parts
    return text


def resume_flow(execution: Execution) -> dict[str, Any]:
    """The paused task's onResume inputs as a flow's `inputs`, from the copy of the flow the
    app keeps: what groups the resume form's fields into FORM steps, as Kestra's answer to
    a resume validation lists a group's inputs under their dotted ids without its FORM."""
    run = paused_run(execution.snapshot)
    flow = execution.app.flow_snapshot or {}
    task = find_task(flow.get("tasks") or [], str(run.get("taskId") or "")) if run else None
    return {"inputs": (task or {}).get("onResume") or []}


def resume_fields(execution: Execution) -> list[Field]:
    """The approver's form as stored while the execution waits: no errors yet."""
    return fields_from_validation(
        execution.resume_form, show_errors=False, flow=resume_flow(execution)
    )


def _json_list(value: str) -> list[Any]:
    try:
        parsed = json.loads(value)
    except ValueError:
        return [value]
    return parsed if isinstance(parsed, list) else [parsed]


def read_files(
    uploaded: Mapping[str, UploadedFile], inputs: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, UploadedFile], dict[str, str]]:
    """The files chosen for FILE inputs, and an error for each one that is too large."""
    files: dict[str, UploadedFile] = {}
    too_large: dict[str, str] = {}
    limit = settings.PORTAL_MAX_UPLOAD_MB * 1024 * 1024
    for definition in inputs:
        input_id = str(definition.get("id", ""))
        upload = uploaded.get(f"{FIELD_PREFIX}{input_id}")
        if definition.get("type") != "FILE" or upload is None:
            continue
        if upload.size is not None and upload.size > limit:
            too_large[input_id] = _("The file is larger than the %(size)s MB allowed.") % {
                "size": settings.PORTAL_MAX_UPLOAD_MB
            }
        else:
            files[input_id] = upload
    return files, too_large


def file_fields(files: Mapping[str, UploadedFile]) -> dict[str, FileField]:
    """Uploaded files as multipart file parts, rewound so each request sends them whole."""
    parts: dict[str, FileField] = {}
    for input_id, upload in files.items():
        upload.seek(0)
        name = upload.name or input_id
        parts[input_id] = (name, upload, upload.content_type or "application/octet-stream")
    return parts


def has_errors(fields: list[Field]) -> bool:
    return any(f.errors for f in fields)


def read_values(post: QueryDict, inputs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The form's values as Kestra's multipart text, one per input that was filled in."""
    values: dict[str, str] = {}
    for definition in inputs:
        input_id = str(definition.get("id", ""))
        name = f"{FIELD_PREFIX}{input_id}"
        input_type = definition.get("type")
        if input_type == "MULTISELECT":
            other = post.get(f"{name}.other", "")
            chosen = post.getlist(name) + [v.strip() for v in other.split(",") if v.strip()]
            if chosen:
                values[input_id] = json.dumps(chosen)
            continue
        if input_type == "FILE":
            continue
        if input_type in {"BOOL", "BOOLEAN"}:
            values[input_id] = "true" if post.get(name) in {"true", "on"} else "false"
            continue
        raw = post.get(name, "")
        if input_type == "DATETIME" and raw and not raw.endswith("Z") and "+" not in raw:
            raw = f"{raw}:00Z" if len(raw) == 16 else f"{raw}Z"
        if raw != "":
            values[input_id] = raw
    return values


def shown_values(values: Mapping[str, str], inputs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """What may be shown back to people: the submitted values without secrets."""
    secret = {str(d.get("id")) for d in inputs if d.get("type") == "SECRET"}
    return {key: (MASK if key in secret else value) for key, value in values.items()}


# Shorter secrets are masked where they are a whole value only: "1" inside every number
# would say more about the secret than it hides.
MIN_SECRET_IN_TEXT = 4


def secret_values(
    flow: Mapping[str, Any], snapshot: Mapping[str, Any], task_outputs: Mapping[str, Any]
) -> set[str]:
    """The SECRET values Kestra sends back about an execution: its SECRET inputs, and the
    SECRET onResume inputs of its pauses, as the task runs' outputs echo them (in the
    execution for Kestra 1.x, in the task outputs, by task id, for 2.x)."""
    found = {
        _at(snapshot.get("inputs"), str(d.get("id")))
        for d in flow_inputs(flow)
        if d.get("type") == "SECRET"
    }
    for run in snapshot.get("taskRunList") or []:
        task_id = str(run.get("taskId") or "")
        outputs = run.get("outputs") or task_outputs.get(task_id) or {}
        on_resume = outputs.get("onResume") or {}
        found |= {_at(on_resume, input_id) for input_id in secret_answers(flow, task_id)}
    return {value for value in found if value}


def secret_answers(flow: Mapping[str, Any], task_id: str) -> list[str]:
    """The ids of the task's SECRET onResume inputs: its outputs echo their values, which
    only a read of them from Kestra gives (what is stored is masked)."""
    task = find_task(flow.get("tasks") or [], task_id)
    return [
        str(d.get("id"))
        for d in flow_inputs({"inputs": (task or {}).get("onResume")})
        if d.get("type") == "SECRET"
    ]


def _at(values: Any, dotted_id: str) -> str:
    """The value of a dotted input id in Kestra's nested inputs, as text ("" if none)."""
    for key in dotted_id.split("."):
        values = values.get(key) if isinstance(values, Mapping) else None
    return values if isinstance(values, str) else ""


def masked(value: Any, secrets: set[str]) -> Any:
    """The value with each secret replaced by MASK, however deeply nested: a whole string
    equal to one, and any text holding one (of MIN_SECRET_IN_TEXT characters or more)."""
    if isinstance(value, str):
        if value in secrets:
            return MASK
        for secret in secrets:
            if len(secret) >= MIN_SECRET_IN_TEXT:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, Mapping):
        return {key: masked(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item, secrets) for item in value]
    return value
