"""Resolve and validate flow inputs (and Pause ``onResume`` inputs) the way Kestra does.

Reference: kestra-apps.md §6.3. Inputs are resolved in declaration order, dependencies
first; a disabled input is dropped; each input collects its own errors so one bad value
never hides the others.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kestra_pebble import PebbleError

from . import yamlutil
from .expressions import is_truthy, render_typed
from .flows import input_to_json
from .jsonutil import iso_duration, iso_instant, jsonable, parse_iso_duration, to_text

EMAIL_RE = re.compile(r"^$|^[a-zA-Z0-9_!#$%&’*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+$")
URI_RE = re.compile(
    r"^[a-z]+:\/\/(?:www\.)?[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b"
    r"(?:[-a-zA-Z0-9()@:%_\+.~#?&\/=]*)$"
)
# Schemes Kestra accepts without a dot in the host (internal storage, namespace files, local).
URI_SCHEMES_WITHOUT_HOST = ("kestra://", "nsfile://", "file://")


class InvalidValue(ValueError):
    """One input's value is wrong; the message is Kestra's ``Cause``."""


@dataclass
class Upload:
    filename: str
    content: bytes


@dataclass
class InputResult:
    definition: dict[str, Any]
    value: Any = None
    enabled: bool = True
    is_default: bool = False
    errors: list[str] = field(default_factory=list)
    upload: Upload | None = None

    @property
    def id(self) -> str:
        return input_name(self.definition)

    def to_json(self, *, dialect: str) -> dict[str, Any]:
        out: dict[str, Any] = {"input": input_to_json(self.definition), "enabled": self.enabled}
        if self.value is not None and self.enabled:
            out["value"] = "******" if self.definition.get("type") == "SECRET" else self.value
        if dialect == "2.0":
            out["isDefault"] = self.is_default
        if self.errors:
            extra = {"renderError": False} if dialect == "2.0" else {}
            out["errors"] = [{"message": m, **extra} for m in self.errors]
        return out


def error_message(input_id: str, cause: str) -> str:
    return f"Invalid value for input `{input_id}`. Cause: {cause}"


# --- parsing one value by type --------------------------------------------------------------


def _parse_int(definition: dict[str, Any], text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidValue(f'For input string: "{text}"') from None
    _check_range(definition, value, int)
    return value


def _parse_float(definition: dict[str, Any], text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise InvalidValue(f'For input string: "{text}"') from None
    if math.isnan(value) or math.isinf(value):
        raise InvalidValue(f'For input string: "{text}"')
    _check_range(definition, value, float)
    return value


def _check_range(definition: dict[str, Any], value: Any, kind: Callable[[Any], Any]) -> None:
    if definition.get("min") is not None and value < kind(definition["min"]):
        raise InvalidValue(f"it must be more than `{definition['min']}`")
    if definition.get("max") is not None and value > kind(definition["max"]):
        raise InvalidValue(f"it must be less than `{definition['max']}`")


def _parse_bool(definition: dict[str, Any], text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise InvalidValue(f"it must be a boolean (`true` or `false`), got `{text}`")
    return lowered == "true"


def _parse_string(definition: dict[str, Any], text: str) -> str:
    validator = definition.get("validator")
    if validator and not re.fullmatch(str(validator), text):
        raise InvalidValue(f"it must match the pattern `{validator}`")
    return text


def _option_values(definition: dict[str, Any]) -> list[str]:
    raw = definition.get("values") or definition.get("options") or []
    return [to_text(v["value"]) if isinstance(v, dict) else to_text(v) for v in raw]


def _parse_select(definition: dict[str, Any], text: str) -> str:
    values = _option_values(definition)
    custom = definition.get("allowCustomValue") or definition.get("allowInput")
    if not custom and text not in values:
        raise InvalidValue(f"it must match the values `[{', '.join(values)}]`")
    return text


def _as_list(text: str) -> list[Any]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError:
            parsed = yamlutil.load(stripped)
        if not isinstance(parsed, list):
            raise InvalidValue(f"it must be a list, got `{text}`")
        return parsed
    return [stripped]


def _parse_multiselect(definition: dict[str, Any], text: str) -> list[Any]:
    items = [to_text(v) for v in _as_list(text)]
    values = _option_values(definition)
    if not (definition.get("allowCustomValue") or definition.get("allowInput")):
        for item in items:
            if item not in values:
                raise InvalidValue(
                    f"value `{item}` doesn't match the values `[{', '.join(values)}]`"
                )
    item_type = str(definition.get("itemType") or "STRING")
    return [parse_typed({"type": item_type}, i) for i in items]


def _check_temporal_bounds(
    definition: dict[str, Any], value: Any, parse: Callable[[str], Any]
) -> None:
    if definition.get("after") is not None and value <= parse(to_text(definition["after"])):
        raise InvalidValue(f"it must be after `{to_text(definition['after'])}`")
    if definition.get("before") is not None and value >= parse(to_text(definition["before"])):
        raise InvalidValue(f"it must be before `{to_text(definition['before'])}`")


def _parse_date(definition: dict[str, Any], text: str) -> str:
    try:
        value = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"Text '{text}' could not be parsed as a date (YYYY-MM-DD)") from None
    if len(text.strip()) != 10:
        raise InvalidValue(f"Text '{text}' could not be parsed as a date (YYYY-MM-DD)")
    _check_temporal_bounds(definition, value, dt.date.fromisoformat)
    return value.isoformat()


def _instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("an instant needs a time zone")
    return value.astimezone(dt.UTC)


def _parse_datetime(definition: dict[str, Any], text: str) -> str:
    try:
        value = _instant(text)
    except ValueError:
        raise InvalidValue(
            f"Text '{text}' could not be parsed as an ISO-8601 instant (2042-04-02T04:20:42Z)"
        ) from None
    _check_temporal_bounds(definition, value, _instant)
    return iso_instant(value)


def _parse_time(definition: dict[str, Any], text: str) -> str:
    try:
        value = dt.time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"Text '{text}' could not be parsed as a time (HH:MM:SS)") from None
    _check_temporal_bounds(definition, value, dt.time.fromisoformat)
    # Java's LocalTime.toString leaves out zero seconds: 09:30, 09:30:15.
    spec = "minutes" if not value.second and not value.microsecond else "auto"
    return value.isoformat(timespec=spec)


def _parse_duration(definition: dict[str, Any], text: str) -> str:
    try:
        value = parse_iso_duration(text)
    except ValueError as exc:
        raise InvalidValue(str(exc)) from None
    if definition.get("min") is not None and value < parse_iso_duration(str(definition["min"])):
        raise InvalidValue(f"It must be more than `{definition['min']}`")
    if definition.get("max") is not None and value > parse_iso_duration(str(definition["max"])):
        raise InvalidValue(f"It must be less than `{definition['max']}`")
    return iso_duration(value)


def _parse_json(definition: dict[str, Any], text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"Invalid JSON: {exc.msg} at line {exc.lineno}") from None


def _parse_yaml(definition: dict[str, Any], text: str) -> Any:
    try:
        return jsonable(yamlutil.load(text))
    except yaml.YAMLError as exc:
        raise InvalidValue(f"Invalid YAML: {exc}") from None


def _parse_uri(definition: dict[str, Any], text: str) -> str:
    if text.startswith(URI_SCHEMES_WITHOUT_HOST) or URI_RE.match(text):
        return text
    raise InvalidValue(f"Invalid URI format for `{text}`")


def _parse_email(definition: dict[str, Any], text: str) -> str:
    if not EMAIL_RE.match(text):
        raise InvalidValue("The input must be a valid email")
    return text


def _parse_array(definition: dict[str, Any], text: str) -> list[Any]:
    item_type = definition.get("itemType")
    if not item_type:
        raise InvalidValue("`itemType` is required on an ARRAY input")
    return [parse_typed({"type": str(item_type)}, to_text(item)) for item in _as_list(text)]


# The types a TABLE column or an OBJECT property may have (Kestra's RecordFieldsValidator).
RECORD_FIELD_TYPES = frozenset(
    {"STRING", "INT", "FLOAT", "BOOL", "DATE", "DATETIME", "TIME", "DURATION", "EMAIL", "URI"}
    | {"SELECT", "MULTISELECT"}
)


def _json_of(text: str, kind: type, name: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"Invalid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(value, kind):
        raise InvalidValue(f"it must be {name}")
    return value


def _record(fields: list[dict[str, Any]], value: Any, where: str) -> dict[str, Any]:
    """One row of a TABLE or the value of an OBJECT, each declared field parsed by its type."""
    if not isinstance(value, dict):
        raise InvalidValue(f"{where} must be an object")
    out: dict[str, Any] = {}
    for spec in fields:
        key = str(spec.get("id"))
        if input_kind(spec) not in RECORD_FIELD_TYPES:
            raise InvalidValue(f"field `{key}` cannot be of type {spec.get('type')}")
        raw = value.get(key)
        if raw is None or raw == "" or raw == []:
            if spec.get("required", True):
                raise InvalidValue(f"{where}: `{key}` is missing")
            continue
        try:
            out[key] = parse_typed(spec, to_text(raw))
        except InvalidValue as exc:
            raise InvalidValue(f"{where}: `{key}`: {exc}") from None
    return out


def _parse_table(definition: dict[str, Any], text: str) -> list[dict[str, Any]]:
    rows = _json_of(text, list, "a list of rows")
    columns = list(definition.get("columns") or [])
    parsed = [_record(columns, row, f"row {number}") for number, row in enumerate(rows, 1)]
    limits = definition.get("rows") or {}
    if limits.get("min") is not None and len(parsed) < int(limits["min"]):
        raise InvalidValue(f"it must have at least `{limits['min']}` rows")
    if limits.get("max") is not None and len(parsed) > int(limits["max"]):
        raise InvalidValue(f"it must have at most `{limits['max']}` rows")
    return parsed


def _parse_object(definition: dict[str, Any], text: str) -> dict[str, Any]:
    value = _json_of(text, dict, "an object")
    return _record(list(definition.get("properties") or []), value, "the object")


def _parse_ion(definition: dict[str, Any], text: str) -> Any:
    """Ion is a superset of JSON: JSON text is read as a value, other Ion text kept as it is."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


_PARSERS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "STRING": _parse_string,
    "SECRET": _parse_string,
    "INT": _parse_int,
    "FLOAT": _parse_float,
    "BOOL": _parse_bool,
    "BOOLEAN": _parse_bool,
    "SELECT": _parse_select,
    "ENUM": _parse_select,
    "MULTISELECT": _parse_multiselect,
    "DATE": _parse_date,
    "DATETIME": _parse_datetime,
    "TIME": _parse_time,
    "DURATION": _parse_duration,
    "JSON": _parse_json,
    "YAML": _parse_yaml,
    "URI": _parse_uri,
    "EMAIL": _parse_email,
    "ARRAY": _parse_array,
    "FILE": _parse_uri,
    "TABLE": _parse_table,
    "OBJECT": _parse_object,
    "ION": _parse_ion,
}


def input_name(definition: Mapping[str, Any]) -> str:
    """An input's id; 1.x flows may still call it `name`."""
    return str(definition.get("id") or definition.get("name"))


def input_kind(definition: Mapping[str, Any]) -> str:
    """An input's (or a record field's) type as Kestra names it; STRING when left out."""
    return str(definition.get("type") or "").upper() or "STRING"


def parse_typed(definition: dict[str, Any], text: str) -> Any:
    kind = input_kind(definition)
    parser = _PARSERS.get(kind)
    if parser is None:
        raise InvalidValue(f"Unsupported input type `{kind}`")
    return parser(definition, text)


def _check_file(definition: dict[str, Any], upload: Upload) -> None:
    if not upload.content:
        raise InvalidValue(f"Can't upload file: {upload.filename} is empty")
    allowed = definition.get("allowedFileExtensions") or definition.get("extension")
    if allowed:
        allowed_list = [allowed] if isinstance(allowed, str) else list(allowed)
        normalized = [e.lower() if e.startswith(".") else f".{e.lower()}" for e in allowed_list]
        if not any(upload.filename.lower().endswith(ext) for ext in normalized):
            raise InvalidValue(
                f"File extension not allowed. Accepted extensions: {', '.join(normalized)}"
            )


# --- resolving a whole form ---------------------------------------------------------------


@dataclass
class InputResolver:
    """Resolve every input of ``definitions`` from submitted text parts and uploads.

    ``file_uri(input_id, file_name)`` gives the ``kestra:///`` URI a file would be stored at;
    nothing is written here, the caller stores ``InputResult.upload`` once the form is valid.
    """

    definitions: list[dict[str, Any]]
    submitted: dict[str, list[str]]
    uploads: dict[str, Upload]
    file_uri: Callable[[str, str], str]
    context: dict[str, Any] = field(default_factory=dict)
    _done: dict[str, InputResult] = field(default_factory=dict)

    def resolve_all(self) -> list[InputResult]:
        by_id = {input_name(d): d for d in expand_forms(self.definitions)}
        return [self._resolve(input_id, by_id, ()) for input_id in by_id]

    def _resolve(
        self, input_id: str, by_id: dict[str, dict[str, Any]], stack: tuple[str, ...]
    ) -> InputResult:
        if input_id in self._done:
            return self._done[input_id]
        definition = dict(by_id[input_id])
        result = InputResult(definition=definition)
        if input_id in stack:
            result.errors.append(f"Circular dependency on input `{input_id}`")
            result.enabled = False
            return result
        deps = self._dependencies(definition, by_id, (*stack, input_id))
        if deps is None:
            result.enabled = False
        else:
            self._apply_dependencies(result, deps)
        if result.enabled:
            self._fill_value(result)
        self._done[input_id] = result
        return result

    def _dependencies(
        self, definition: dict[str, Any], by_id: dict[str, dict[str, Any]], stack: tuple[str, ...]
    ) -> list[InputResult] | None:
        """The resolved dependencies, or None when one of them is disabled."""
        depends = definition.get("dependsOn") or {}
        wanted = [d for d in depends.get("inputs") or [] if d in by_id]
        results = [self._resolve(d, by_id, stack) for d in wanted]
        return None if any(not r.enabled for r in results) else results

    def _apply_dependencies(self, result: InputResult, deps: list[InputResult]) -> None:
        local = {**self.context, "inputs": nest({d.id: d.value for d in deps})}
        definition = result.definition
        condition = (definition.get("dependsOn") or {}).get("condition")
        if condition:
            try:
                result.enabled = is_truthy(render_typed(condition, local))
            except PebbleError as exc:
                result.enabled = False
                result.errors.append(f"Invalid condition: {exc}")
                return
        expression = definition.get("expression")
        if result.enabled and expression and definition.get("type") in ("SELECT", "MULTISELECT"):
            try:
                definition["values"] = _as_value_list(render_typed(expression, local))
            except (PebbleError, InvalidValue) as exc:
                result.errors.append(f"Invalid expression: {exc}")

    def _fill_value(self, result: InputResult) -> None:
        definition, input_id = result.definition, result.id
        kind = input_kind(definition)
        upload = self.uploads.get(input_id) if kind == "FILE" else None
        if upload is not None:
            self._fill_upload(result, upload)
            return
        raw = self._submitted_text(input_id, kind)
        if raw is None and definition.get("defaults") is not None:
            raw = self._default_text(result)
        if raw is None and kind == "SELECT" and definition.get("autoSelectFirst"):
            options = _option_values(definition)
            raw = options[0] if options else None
        if raw is None:
            if definition.get("required", True):
                result.errors.append("missing required input")
            return
        try:
            result.value = parse_typed(definition, raw)
        except InvalidValue as exc:
            result.value = raw
            result.errors.append(str(exc))

    def _fill_upload(self, result: InputResult, upload: Upload) -> None:
        try:
            _check_file(result.definition, upload)
        except InvalidValue as exc:
            result.errors.append(str(exc))
            return
        result.value = self.file_uri(result.id, upload.filename)
        result.upload = upload

    def _submitted_text(self, input_id: str, kind: str) -> str | None:
        parts = [p for p in self.submitted.get(input_id, []) if p != ""]
        if not parts:
            return None
        if kind in ("MULTISELECT", "ARRAY") and len(parts) > 1:
            return json.dumps(parts)
        return parts[0]

    def _default_text(self, result: InputResult) -> str | None:
        result.is_default = True
        default = result.definition["defaults"]
        if isinstance(default, str):
            try:
                return to_text(render_typed(default, self.context))
            except PebbleError as exc:
                result.errors.append(f"Invalid default value: {exc}")
                return None
        return to_text(default)


def expand_forms(definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A FORM's inputs in its place, each under the form's id (``environment.region``),
    as Kestra expands them before resolving."""
    out: list[dict[str, Any]] = []
    for definition in definitions:
        if input_kind(definition) != "FORM":
            out.append(definition)
            continue
        form_id = input_name(definition)
        for child in definition.get("inputs") or []:
            out.append({**child, "id": f"{form_id}.{input_name(child)}"})
    return out


def _as_value_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise InvalidValue(f"`{value}` is not a list") from None
    if not isinstance(value, list):
        raise InvalidValue(f"`{value}` is not a list")
    return value


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"request.name": x}`` becomes ``{"request": {"name": x}}`` (``MapUtils``)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        target = out
        *parents, leaf = key.split(".")
        for part in parents:
            existing = target.get(part)
            if not isinstance(existing, dict):
                existing = target[part] = {}
            target = existing
        target[leaf] = value
    return out


def values_of(
    results: list[InputResult], *, masked: bool, keep_nulls: bool = False
) -> dict[str, Any]:
    """The enabled inputs' values, nested by dotted id; nulls dropped like Kestra's JSON."""
    flat = {}
    for result in results:
        if not result.enabled or (result.value is None and not keep_nulls):
            continue
        secret = result.definition.get("type") == "SECRET"
        flat[result.id] = "******" if (secret and masked) else result.value
    return nest(flat)


def context_values(results: list[InputResult]) -> dict[str, Any]:
    """Values for expressions: absent optional inputs are null so ``{{ inputs.x }}`` is empty."""
    return nest({r.id: r.value if r.enabled else None for r in results})


def cause_messages(results: list[InputResult]) -> list[tuple[str, str]]:
    """``(input id, full message)`` for every error, in input order."""
    return [(r.id, error_message(r.id, e)) for r in results for e in r.errors]
