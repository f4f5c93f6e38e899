"""Kestra's functions, as Pebble core (`max`, `min`, `range`, `block`) and Kestra (`now`,
`fromJson`, `render`...) define them. Each is called as `f(env, *args, **kwargs)`; see
registry.py. The backend functions (`secret`, `kv`, `read`, `fileURI`, `appLink`) belong
to the callers, who add them to this table's copy. `block` asks the engine, which holds
the template's blocks (`env.block`).
"""

from __future__ import annotations

import json as json_text
import random
import uuid as uuid_module
from collections.abc import Callable, Mapping
from typing import Any

import yaml as pyyaml

from kestra_pebble import dates
from kestra_pebble import ion as ion_text
from kestra_pebble.arguments import pebble_arguments
from kestra_pebble.errors import PebbleError
from kestra_pebble.java import class_name, java_string, long_value
from kestra_pebble.registry import Env, Function

FUNCTIONS: dict[str, Function] = {}

_MISSING: Any = object()


def _function(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(implementation: Callable[..., Any]) -> Callable[..., Any]:
        bound = pebble_arguments(leading=1)(implementation)
        for name in names:
            FUNCTIONS[name] = bound
        return implementation

    return register


@_function("now")
def now(
    env: Env,
    format: Any = None,  # noqa: A002 (Kestra's name)
    timeZone: Any = None,  # noqa: N803 (Kestra's names)
    existingFormat: Any = None,  # noqa: N803, ARG001 (accepted, as by Kestra, and unused)
    locale: Any = None,
) -> str:
    return dates.format_datetime(dates.now(), format, timeZone, locale)


def _text_argument(function: str, argument: str, value: Any) -> str | None:
    if value is _MISSING:
        raise PebbleError(f"The '{function}' function expects an argument '{argument}'.")
    if value is None:
        return None
    if not isinstance(value, str):
        raise PebbleError(
            f"The '{function}' function expects an argument '{argument}' with type string."
        )
    return value


@_function("fromJson", "json")
def from_json(env: Env, json: Any = _MISSING) -> Any:
    text = _text_argument("fromJson", "json", json)
    if text is None:
        return None
    try:
        return json_text.loads(text)
    except json_text.JSONDecodeError as error:
        raise PebbleError(f"Invalid json: {error}") from error


@_function("fromIon")
def from_ion(env: Env, ion: Any = _MISSING) -> Any:
    text = _text_argument("fromIon", "ion", ion)
    if text is None:
        return None
    try:
        return ion_text.loads(text)
    except ion_text.IonError as error:
        raise PebbleError(f"Invalid ion: {error}") from error


class _YamlLoader(pyyaml.SafeLoader):
    """YAML as Jackson reads it for Kestra: dates and times stay text."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in pyyaml.SafeLoader.yaml_implicit_resolvers.items()
}


@_function("yaml")
def yaml(env: Env, yaml: Any = _MISSING) -> Any:
    if yaml is _MISSING:
        raise PebbleError("The 'yaml' function expects an argument 'yaml'.")
    if not isinstance(yaml, str):
        raise PebbleError("The 'yaml' function expects an argument 'yaml' with type string.")
    try:
        return pyyaml.load(yaml, Loader=_YamlLoader)  # noqa: S506 (a SafeLoader)
    except pyyaml.YAMLError as error:
        raise PebbleError(f"Invalid yaml: {error}") from error


def _greater(left: Any, right: Any, comparison: str) -> bool:
    """Pebble's `OperatorUtils.gt`/`lt`: numbers only; null compares as false."""
    if left is None or right is None:
        return False
    numbers = (int, float)
    if not isinstance(left, numbers) or not isinstance(right, numbers):
        raise PebbleError(f"invalid operands for mathematical comparison [{comparison}]")
    return (
        float(left) > float(right) if comparison == "GREATER_THAN" else float(left) < float(right)
    )


def _extreme(values: tuple[Any, ...], comparison: str) -> Any:
    best = None
    for candidate in values:
        if best is None or _greater(candidate, best, comparison):
            best = candidate
    return best


@_function("max")
def max_(env: Env, *values: Any) -> Any:
    return _extreme(values, "GREATER_THAN")


@_function("min")
def min_(env: Env, *values: Any) -> Any:
    return _extreme(values, "LESS_THAN")


@_function("block")
def block(env: Env, name: Any = None) -> str:
    """The template's block of that name rendered again ("" when there is none), as
    Pebble's BlockFunction writes it."""
    return env.block(java_string(name))


@_function("range")
def range_(env: Env, start: Any = None, end: Any = None, increment: Any = None) -> list[Any]:
    step = 1 if increment is None else increment
    if isinstance(step, bool) or not isinstance(step, int | float):
        raise PebbleError(f"The increment of the range function must be a number {step}")
    step = long_value(step)
    if step == 0:
        raise PebbleError("The increment of the range function must be different than 0")
    numbers = isinstance(start, int | float) and isinstance(end, int | float)
    characters = isinstance(start, str) and isinstance(end, str)
    if (not numbers and not characters) or isinstance(start, bool) or isinstance(end, bool):
        raise PebbleError(
            "Arguments of range function must be of type Number or String with a length of 1"
        )
    if characters and (len(start) != 1 or len(end) != 1):
        raise PebbleError(
            "Arguments of range function must be of type Number or String with a length of 1"
        )
    low = ord(start) if characters else long_value(start)
    high = ord(end) if characters else long_value(end)
    count = max(0, (high - low) // step + 1)
    if count > env.max_items:
        raise PebbleError(
            f"The range function would give {count} items, more than the {env.max_items} allowed"
        )
    items = range(low, high + (1 if step > 0 else -1), step)
    return [chr(code) for code in items] if characters else list(items)


_MAX_RENDERINGS = 100  # Kestra's VariableRenderer.MAX_RENDERING_AMOUNT


def _render_value(env: Env, value: Any, recursive: bool) -> Any:
    """Kestra's `renderObject`: text is rendered (again and again until it stops changing,
    when recursive), maps and lists are rendered item by item, anything else is kept."""
    if isinstance(value, str):
        if "{" not in value:
            return value
        rendered = env.render(value, env.context)
        for _ in range(_MAX_RENDERINGS):
            if not recursive or rendered == value:
                return rendered
            value, rendered = rendered, env.render(rendered, env.context)
        raise PebbleError("Too many rendering attempts")
    if isinstance(value, Mapping):
        return {
            _render_value(env, key, recursive): _render_value(env, item, recursive)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_render_value(env, item, recursive) for item in value]
    return value


@_function("render")
def render(env: Env, toRender: Any = _MISSING, recursive: Any = None) -> Any:  # noqa: N803 (Kestra's name)
    if toRender is _MISSING:
        raise PebbleError("The 'render' function expects an argument 'toRender'.")
    if recursive is None:
        recursive = True
    if not isinstance(recursive, bool):
        raise PebbleError(
            "The 'render' function expects an optional argument 'recursive' with type boolean."
        )
    return _render_value(env, toRender, recursive)


@_function("renderOnce")
def render_once(env: Env, toRender: Any = _MISSING) -> Any:  # noqa: N803 (Kestra's name)
    if toRender is _MISSING:
        raise PebbleError("The 'render' function expects an argument 'toRender'.")
    return _render_value(env, toRender, recursive=False)


@_function("uuid")
def uuid(env: Env) -> str:
    return str(uuid_module.uuid4())


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@_function("id")
def id_(env: Env) -> str:
    """Kestra's ids (FriendlyId): a random UUID written in base 62, up to 22 characters."""
    number = uuid_module.uuid4().int
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits)) or "0"


@_function("printContext", "fetchContext")
def print_context(env: Env) -> dict[str, Any]:
    return dict(env.context)


@_function("parent")
def parent(env: Env) -> str:
    """Kestra removes Pebble's `extends`, so no template has a parent block to render."""
    raise PebbleError("Can not use parent function if template does not extend another template.")


@_function("randomInt")
def random_int(env: Env, lower: Any = _MISSING, upper: Any = _MISSING) -> int:
    for name, value in (("lower", lower), ("upper", upper)):
        if value is _MISSING:
            raise PebbleError(f"The 'GenerateRandomNumber' function expects an argument {name}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise PebbleError(
                f"The 'GenerateRandomNumber' function expects an argument {name} with type "
                f"Integer, not {class_name(value)}."
            )
    if upper < lower:
        raise PebbleError("In 'GenerateRandomNumber' upper is less than lower")
    return lower if upper == lower else random.randrange(lower, upper)  # noqa: S311 (not for secrets)
