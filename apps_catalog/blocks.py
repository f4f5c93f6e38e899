"""The catalogue of layout blocks an app definition may use.

Data, not logic: for each block its bare name, the Java class names Kestra accepts for it,
and its properties (kind, required, allowed values, default). `definition.py` validates
layouts against it; renderers read the filled-in values from `Block.props`, not from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

CORE_PACKAGE = "io.kestra.plugin.ee.apps.core.blocks"
EXECUTION_PACKAGE = "io.kestra.plugin.ee.apps.execution.blocks"
# Pre-release (0.20 development) packages. The first Apps docs still use them, so apps
# pasted from there name their Markdown, Alert, Button... blocks this way.
LEGACY_PACKAGES = ("io.kestra.ee.apps.blocks", "io.kestra.plugin.ee.apps.blocks")

ALERT_STYLES = ("SUCCESS", "INFO", "WARNING", "ERROR")
# Internal blocks: Kestra's documented default layout names one (Route, which moves the page
# on between stages; the portal's pages do that themselves, so it shows nothing).
INTERNAL_PACKAGE = f"{EXECUTION_PACKAGE}.internal"
BUTTON_STYLES = ("DEFAULT", "SUCCESS", "INFO", "WARNING", "DANGER")
# Kestra's docs table lists MEDIUM too (drawn as DEFAULT, the middle size).
BUTTON_SIZES = ("DEFAULT", "MEDIUM", "LARGE", "SMALL")
# Least severe first: a Logs filter's level keeps the lines at that level and after it.
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
TASK_OUTPUT_TYPES = (
    "STRING", "ENUM", "SELECT", "INT", "FLOAT", "BOOLEAN", "BOOL", "DATETIME", "DATE", "TIME",
    "DURATION", "FILE", "JSON", "URI", "SECRET", "ARRAY", "MULTISELECT", "YAML", "EMAIL",
)  # fmt: skip

PropKind = Literal[
    "string",  # text; `choices` makes it an enum
    "boolean",
    "duration",  # ISO-8601 duration text, as java.time.Duration reads it (PT30S)
    "string_list",
    "object",  # a mapping with the named `fields`, each a Prop
    "list",  # a list whose elements all follow `item`
    "mapping",  # a mapping with free keys and any values (a Table row)
    "any",  # any YAML value (TaskOutputs value: often an expression, maybe a structure)
]


@dataclass(frozen=True)
class Prop:
    """One property of a block (or of an object inside a block)."""

    kind: PropKind
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | bool | None = None
    fields: Mapping[str, Prop] = field(default_factory=lambda: MappingProxyType({}))
    item: Prop | None = None


@dataclass(frozen=True)
class BlockSpec:
    name: str
    package: str
    props: Mapping[str, Prop]
    legacy: bool = False  # also accepted under LEGACY_PACKAGES

    @property
    def class_name(self) -> str:
        return f"{self.package}.{self.name}"

    @property
    def accepted_names(self) -> tuple[str, ...]:
        legacy = tuple(f"{package}.{self.name}" for package in LEGACY_PACKAGES)
        return (self.class_name, *(legacy if self.legacy else ()), self.name)


def _props(**props: Prop) -> Mapping[str, Prop]:
    return MappingProxyType(props)


def _button(text: str) -> Mapping[str, Prop]:
    return _props(
        text=Prop("string", default=text),
        style=Prop("string", choices=BUTTON_STYLES, default="DEFAULT"),
        size=Prop("string", choices=BUTTON_SIZES, default="DEFAULT"),
    )


_TEXT = Prop("string")
_INCLUDE_EXCLUDE = Prop(
    "object", fields=_props(include=Prop("string_list"), exclude=Prop("string_list"))
)
_LOGS_FILTER = Prop(
    "object",
    fields=_props(
        # Offered most severe first, as Kestra's documentation lists them.
        logLevel=Prop("string", choices=tuple(reversed(LOG_LEVELS))),
        taskIds=Prop("string_list"),
    ),
)
_TASK_OUTPUT = Prop(
    "object",
    fields=_props(
        displayName=Prop("string", required=True),
        type=Prop("string", required=True, choices=TASK_OUTPUT_TYPES),
        value=Prop("any", required=True),
        description=_TEXT,
    ),
)

_CATALOGUE = (
    BlockSpec("Markdown", CORE_PACKAGE, _props(content=_TEXT), legacy=True),
    BlockSpec(
        "Alert",
        CORE_PACKAGE,
        # Kestra publishes no default style; INFO is the neutral one.
        _props(
            content=_TEXT,
            style=Prop("string", choices=ALERT_STYLES, default="INFO"),
            showIcon=Prop("boolean", default=False),
        ),
        legacy=True,
    ),
    BlockSpec(
        "Button",
        CORE_PACKAGE,
        _props(url=Prop("string", required=True), **_button("Submit")),
        legacy=True,
    ),
    BlockSpec("RedirectTo", CORE_PACKAGE, _props(url=_TEXT, delay=Prop("duration")), legacy=True),
    BlockSpec("Loading", CORE_PACKAGE, _props(), legacy=True),
    BlockSpec("AutoRefresh", CORE_PACKAGE, _props(), legacy=True),
    BlockSpec("Divider", CORE_PACKAGE, _props()),
    BlockSpec("Image", CORE_PACKAGE, _props(url=_TEXT, alt=_TEXT)),
    BlockSpec("Stacktrace", CORE_PACKAGE, _props(message=_TEXT, content=_TEXT)),
    BlockSpec("Table", CORE_PACKAGE, _props(data=Prop("list", item=Prop("mapping")))),
    BlockSpec("CreateExecutionForm", EXECUTION_PACKAGE, _props()),
    BlockSpec("CreateExecutionButton", EXECUTION_PACKAGE, _button("Execute")),
    BlockSpec("CancelExecutionButton", EXECUTION_PACKAGE, _button("Cancel")),
    BlockSpec("ResumeExecutionForm", EXECUTION_PACKAGE, _props()),
    BlockSpec("ResumeExecutionButton", EXECUTION_PACKAGE, _button("Resume")),
    BlockSpec("Inputs", EXECUTION_PACKAGE, _props(filter=_INCLUDE_EXCLUDE)),
    BlockSpec("Outputs", EXECUTION_PACKAGE, _props(filter=_INCLUDE_EXCLUDE)),
    BlockSpec("Logs", EXECUTION_PACKAGE, _props(filter=_LOGS_FILTER)),
    BlockSpec(
        "TaskOutputs",
        EXECUTION_PACKAGE,
        _props(outputs=Prop("list", required=True, item=_TASK_OUTPUT)),
    ),
    BlockSpec("Route", INTERNAL_PACKAGE, _props()),
)

BLOCKS: Mapping[str, BlockSpec] = MappingProxyType({spec.name: spec for spec in _CATALOGUE})

# Every accepted spelling -> bare name. Class names are case-sensitive, as in Java.
_ALIASES: Mapping[str, str] = MappingProxyType(
    {alias: spec.name for spec in _CATALOGUE for alias in spec.accepted_names}
)


def resolve_block_type(name: str) -> str | None:
    """The bare block name for any accepted spelling of it, None for an unknown type."""
    return _ALIASES.get(name)


def accepted_block_types() -> tuple[str, ...]:
    """Every accepted spelling, for error messages and suggestions."""
    return tuple(_ALIASES)
