"""The block pipeline: each block type is one object that says what the web page, the API
and the admin's stage preview show of it.

A stage's blocks are resolved once (executions.layout: the stage fallback, expressions)
against a Run, the execution they show: a stored Execution (ExecutionRun) or the stage
preview's made-up one (executions.stage_preview.SampleExecution). Each BlockType then
reads the run the same way for every consumer:

- `get_context`: what its template, templates/blocks/<type>.html, reads (`block`, `data`);
- `get_api_representation`: the block in Kestra's AppResponse layout (api.app_response).

Adding a block type: its properties in apps_catalog.blocks (validation), one BlockType
here, one template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from functools import cache, cached_property
from html import escape
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import urlencode

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from apps_catalog.blocks import BLOCKS, LOG_LEVELS
from apps_catalog.definition import AppDefinition
from apps_catalog.models import ModelColumns, app_url, quoted_column
from executions import layout
from executions.forms import MASK, Field, flow_inputs, option_labels
from executions.layout import ResolvedBlock
from executions.models import ExecutionLog
from executions.presenters import FILE_SCHEME, columns_of, file_name

if TYPE_CHECKING:
    from apps_catalog.models import App
    from executions.models import Execution

# The actions a layout's buttons and forms take, as the API's dispatch tokens name them.
CREATE, RESUME, CANCEL = "create", "resume", "cancel"


@dataclass(frozen=True)
class Value:
    """One value an Inputs, Outputs or TaskOutputs block lists; a file when file_name is set."""

    key: str
    value: Any
    file_url: str = ""
    file_name: str = ""
    preview_url: str = ""
    description: str = ""
    label: str = ""  # the flow's displayName for the key, when it gives one
    type: str = ""  # the flow's type for it (DATE, BOOLEAN...): how the value is shown
    size: int | None = None  # a file's size in bytes, when Kestra gave it
    # A SELECT's or MULTISELECT's labels by value (forms.option_labels).
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def shown(self) -> Any:
        """The value as a person picked it: a labelled option's label (each one of a
        MULTISELECT's list), else the value."""
        if not self.labels:
            return self.value
        if isinstance(self.value, list):
            return [self.labels.get(str(item), item) for item in self.value]
        return self.labels.get(str(self.value), self.value)

    @property
    def table(self) -> dict[str, Any] | None:
        """A TABLE input's rows as a table to show: its columns and each row's cells."""
        rows = self.value
        if self.type != "TABLE" or not isinstance(rows, list):
            return None
        if not all(isinstance(row, Mapping) for row in rows):
            return None
        columns = columns_of(rows)
        return {"columns": columns, "rows": [[row.get(c, "") for c in columns] for row in rows]}


class LogLine(Protocol):
    @property
    def timestamp(self) -> datetime | None: ...
    @property
    def level(self) -> str: ...
    @property
    def task_id(self) -> str: ...
    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class LogFilter:
    """Which log lines to show: a Logs block's `filter`, or the API's minLevel and taskIds."""

    levels: tuple[str, ...] | None = None  # None: every level
    task_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: Mapping[str, Any] | None) -> LogFilter:
        """`logLevel` keeps that level and the more severe ones; `taskIds`, those tasks'."""
        spec = spec or {}
        level = spec.get("logLevel")
        levels = LOG_LEVELS[LOG_LEVELS.index(level) :] if level in LOG_LEVELS else None
        return cls(levels, tuple(spec.get("taskIds") or ()))

    def condition(self) -> tuple[str, list[str]]:
        """The filter in the database, for stored lines: a condition on the log table's
        columns, and its parameters."""
        kept = {"level": self.levels or (), "task_id": self.task_ids}
        tests = [
            f"{quoted_column(ExecutionLog, name)} IN ({', '.join(['%s'] * len(values))})"
            for name, values in kept.items()
            if values
        ]
        params = [value for values in kept.values() for value in values]
        return " AND ".join(tests) or "1 = 1", params

    def admits(self, line: LogLine) -> bool:
        """The filter in memory, for lines that are not stored."""
        return (self.levels is None or line.level in self.levels) and (
            not self.task_ids or line.task_id in self.task_ids
        )


@dataclass(frozen=True)
class Described:
    """What the flow or the layout says of a value: its name for people, type, description."""

    label: str = ""
    type: str = ""
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)  # an option's label by value

    @classmethod
    def of(cls, definition: Mapping[str, Any]) -> Described:
        return cls(
            label=str(definition.get("displayName") or ""),
            type=str(definition.get("type") or "").upper(),
            description=str(definition.get("description") or ""),
            labels=option_labels(definition),
        )


NOT_DESCRIBED = Described()


class Run(Protocol):
    """The execution a stage's blocks show."""

    @property
    def snapshot(self) -> Mapping[str, Any]:
        """Kestra's execution JSON with its inputs as resolved: `execution` in expressions."""
        ...

    @property
    def execution_outputs(self) -> Mapping[str, Any] | None:
        """`execution.outputs` in expressions."""
        ...

    @property
    def task_outputs(self) -> Mapping[str, Any] | None:
        """`outputs` in expressions."""
        ...

    @property
    def inputs(self) -> Mapping[str, Any]: ...

    @property
    def outputs(self) -> Mapping[str, Any]: ...

    @property
    def flow(self) -> Mapping[str, Any]:
        """The flow's definition as Kestra gives it (its inputs and outputs described)."""
        ...

    def value(self, key: str, value: Any, described: Described = NOT_DESCRIBED) -> Value: ...

    def logs(self, log_filter: LogFilter) -> Iterable[LogLine]: ...


def described_value(
    key: str, value: Any, described: Described, *, size: int | None = None, **file: str
) -> Value:
    return Value(
        key,
        value,
        description=described.description,
        label=described.label,
        type=described.type,
        size=size,
        labels=described.labels,
        **file,
    )


def _flatten(
    values: Mapping[str, Any], known: frozenset[str] = frozenset(), prefix: str = ""
) -> dict[str, Any]:
    """Kestra nests dotted input ids (`request.name`); people know them by the dotted id.
    A `known` input's value stays whole, an OBJECT's too."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        nested = isinstance(value, dict) and value and all(isinstance(k, str) for k in value)
        if nested and name not in known:
            flat.update(_flatten(value, known, f"{name}."))
        else:
            flat[name] = value
    return flat


class StoredLine(NamedTuple):
    timestamp: datetime | None
    level: str
    task_id: str
    message: str


def stored_logs(execution: Execution, log_filter: LogFilter) -> list[StoredLine]:
    """The execution's stored log lines, filtered in the database."""
    return _stored_lines(execution, *log_filter.condition())


def _stored_lines(execution: Execution, condition: str, params: list[str]) -> list[StoredLine]:
    """The execution's stored lines meeting an SQL condition, in their order. The query is
    written from the models' metadata: on the page asked most while an execution runs, the
    ORM took six times longer to build it than the database to run it."""
    columns = _log_columns()
    with connection.cursor() as cursor:
        cursor.execute(_logs_sql().format(condition=condition), [execution.pk, *params])
        return [StoredLine(*columns.values(row)) for row in cursor.fetchall()]


@cache
def _log_columns() -> ModelColumns:
    return ModelColumns(ExecutionLog, "l", StoredLine._fields)


# Filled in with quoted table and column names only, then with a LogFilter's condition (its
# values are parameters).
_LOGS_SQL = (
    "SELECT {columns} FROM {table} l WHERE l.{execution} = %s AND ({{condition}})"
    " ORDER BY l.{position}"
)


@cache
def _logs_sql() -> str:
    return _log_columns().query(_LOGS_SQL, execution="execution", position="position")


class ExecutionRun:
    """A stored execution, as its blocks read it."""

    def __init__(self, execution: Execution) -> None:
        self.execution = execution

    @cached_property
    def inputs(self) -> dict[str, Any]:
        """The inputs as Kestra resolved them (defaults included), secrets masked as
        submitted."""
        execution = self.execution
        known = frozenset(str(d.get("id")) for d in flow_inputs(self.flow))
        resolved = _flatten(execution.snapshot.get("inputs") or {}, known)
        masked = {k: v for k, v in execution.inputs.items() if v == MASK}
        return {**execution.inputs, **resolved, **masked}

    @property
    def snapshot(self) -> Mapping[str, Any]:
        return {**self.execution.snapshot, "inputs": self.inputs}

    @property
    def outputs(self) -> Mapping[str, Any]:
        return self.execution.outputs

    @property
    def execution_outputs(self) -> Mapping[str, Any]:
        return self.execution.outputs

    @property
    def task_outputs(self) -> Mapping[str, Any]:
        return self.execution.task_outputs

    @property
    def flow(self) -> Mapping[str, Any]:
        """The copy of the flow kept from the last time Kestra gave it: no request here."""
        return self.execution.app.flow_snapshot or {}

    def value(self, key: str, value: Any, described: Described = NOT_DESCRIBED) -> Value:
        if isinstance(value, str) and value.startswith(FILE_SCHEME):
            kwargs = {"uid": self.execution.app.uid, "execution_id": self.execution.public_id}
            query = urlencode({"path": value})
            return described_value(
                key,
                value,
                described,
                file_url=f"{reverse('executions:file', kwargs=kwargs)}?{query}",
                file_name=file_name(value),
                preview_url=f"{reverse('executions:file_preview', kwargs=kwargs)}?{query}",
                size=self.execution.file_sizes.get(value),
            )
        return described_value(key, value, described)

    def logs(self, log_filter: LogFilter) -> Iterable[LogLine]:
        return stored_logs(self.execution, log_filter)


@dataclass(frozen=True)
class ApiTarget:
    """What a block's API representation depends on besides the block and the run."""

    # The actions offered here, each with its dispatch token (None: shown, not dispatchable).
    tokens: Mapping[str, str | None] = field(default_factory=dict)
    fields: Sequence[Field] = ()  # the form's fields
    # A file's links in the API (meta, preview, download); None where files cannot be read.
    file_links: Callable[[str], dict[str, str]] | None = None


def field_json(form_field: Field) -> dict[str, Any]:
    return {
        "id": form_field.id,
        "type": form_field.type,
        "displayName": form_field.label,
        "description": form_field.description,
        "required": form_field.required,
        "value": form_field.value if form_field.value != "" else None,
        "values": [
            {"label": label, "value": value} if value in form_field.labels else value
            for value, label in form_field.options
        ],
        "errors": [{"message": message} for message in form_field.errors],
        **form_field.attrs,
        **({"form": form_field.group.id} if form_field.group else {}),
    }


class BlockType:
    """A block that reads nothing of the run: its template shows its properties and the
    API passes them on. Subclasses add the data they read."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.class_name = BLOCKS[name].class_name

    def data(self, block: ResolvedBlock, run: Run | None) -> Any:
        """What the template reads as `data`; None when there is nothing to read."""
        return None

    def api_data(
        self, block: ResolvedBlock, run: Run | None, target: ApiTarget
    ) -> dict[str, Any] | None:
        """What the API adds to the block's properties; None when the block is left out."""
        return {}

    def get_context(self, block: ResolvedBlock, run: Run | None) -> dict[str, Any]:
        return {"block": block, "data": self.data(block, run)}

    def get_api_representation(
        self, block: ResolvedBlock, run: Run | None, target: ApiTarget
    ) -> dict[str, Any] | None:
        """The block as Kestra's UI would receive it; None when it is not shown."""
        extra = self.api_data(block, run, target)
        if extra is None:
            return None
        return {"type": self.class_name, **block.props, **extra}


class RouteBlock(BlockType):
    """Kestra's internal page routing: the portal's pages move on between stages by
    themselves, so the block shows nothing, in the page and the API alike."""

    def api_data(self, block: ResolvedBlock, run: Run | None, target: ApiTarget) -> None:
        return None


class TableBlock(BlockType):
    """Rows written in the layout."""

    def data(self, block: ResolvedBlock, run: Run | None) -> dict[str, Any]:
        rows = block.props.get("data") or []
        columns = columns_of(rows)
        return {"columns": columns, "rows": [[row.get(c, "") for c in columns] for row in rows]}

    def api_data(self, block: ResolvedBlock, run: Run | None, target: ApiTarget) -> dict[str, Any]:
        return self.data(block, run)


class ValuesBlock(BlockType):
    """A list of values; subclasses say which."""

    def values(self, block: ResolvedBlock, run: Run) -> list[Value]:
        raise NotImplementedError

    def data(self, block: ResolvedBlock, run: Run | None) -> list[Value] | None:
        return None if run is None else self.values(block, run)

    def api_data(self, block: ResolvedBlock, run: Run | None, target: ApiTarget) -> dict[str, Any]:
        if run is None:
            return {}
        return {"values": [_value_json(value, target) for value in self.values(block, run)]}


class RunValuesBlock(ValuesBlock):
    """Inputs and Outputs: the run's values by key, through the block's include/exclude, in
    the order the flow declares them (then any it does not, by key): the same order on
    every database, whatever order a JSON column keeps keys in."""

    def __init__(self, name: str, read: Callable[[Run], Mapping[str, Any]], kind: str) -> None:
        super().__init__(name)
        self.read = read
        self.kind = kind  # where the flow describes these values: "inputs" or "outputs"

    def values(self, block: ResolvedBlock, run: Run) -> list[Value]:
        spec = block.props.get("filter") or {}
        include = spec.get("include") or []
        exclude = set(spec.get("exclude") or [])
        items = flow_inputs(run.flow) if self.kind == "inputs" else run.flow.get(self.kind)
        described = {
            str(item.get("id")): Described.of(item)
            for item in items or []
            if isinstance(item, Mapping)
        }
        declared = {key: position for position, key in enumerate(described)}
        values = self.read(run)
        keys = sorted(values, key=lambda key: (declared.get(key, len(declared)), key))
        return [
            run.value(key, values[key], replace(described.get(key, NOT_DESCRIBED), description=""))
            for key in keys
            if (not include or key in include) and key not in exclude
        ]


class TaskOutputsBlock(ValuesBlock):
    """Values the layout names and computes from the tasks' outputs (`value` is usually an
    expression); a run without task outputs, the stage preview's, has none to show."""

    def values(self, block: ResolvedBlock, run: Run) -> list[Value]:
        if run.task_outputs is None:
            return []
        return [
            run.value(str(o.get("displayName")), o.get("value"), replace(Described.of(o), label=""))
            for o in block.props.get("outputs") or []
        ]


def _value_json(value: Value, target: ApiTarget) -> dict[str, Any]:
    item: dict[str, Any] = {"key": value.key, "value": value.value}
    if value.label:
        item["displayName"] = value.label
    if value.shown != value.value:
        item["valueLabel"] = value.shown
    if value.type:
        item["type"] = value.type
    if value.description:
        item["description"] = value.description
    if value.file_name:
        path = str(value.value)
        links = target.file_links(path) if target.file_links else {}
        item["file"] = {"path": value.value, "name": value.file_name, **links}
        if value.size is not None:
            item["file"]["size"] = value.size
    return item


class LogsBlock(BlockType):
    """The run's log lines through the block's `filter`."""

    @staticmethod
    def log_filter(block: ResolvedBlock) -> LogFilter:
        return LogFilter.of(block.props.get("filter"))

    def lines(self, block: ResolvedBlock, run: Run) -> Iterable[LogLine]:
        return run.logs(self.log_filter(block))

    def data(self, block: ResolvedBlock, run: Run | None) -> SafeString | None:
        return None if run is None else log_html(self.lines(block, run))

    def api_data(self, block: ResolvedBlock, run: Run | None, target: ApiTarget) -> dict[str, Any]:
        if run is None:
            return {}
        return {"logs": [log_json(line) for line in self.lines(block, run)]}


def log_json(line: LogLine) -> dict[str, Any]:
    return {
        "timestamp": line.timestamp.isoformat() if line.timestamp else None,
        "level": line.level,
        "taskId": line.task_id,
        "message": line.message,
    }


def log_text(lines: Iterable[LogLine]) -> str:
    """The lines as a text file, one per entry: the page's "Download logs" and the API's."""
    text = []
    for row in map(log_json, lines):
        task = f"[{row['taskId']}] " if row["taskId"] else ""
        text.append(f"{row['timestamp'] or ''} {row['level']} {task}{row['message']}\n")
    return "".join(text)


def log_html(lines: Iterable[LogLine]) -> SafeString:
    """The lines as list items, rendered here rather than by a template: a running
    execution's page is asked for every second, and a template per line would cost the most.
    The visitor's time zone is looked up once for all the lines."""
    zone = timezone.get_current_timezone()
    items = [
        f'<li class="log log-{escape(line.level.lower())}"><time datetime="{_iso(line.timestamp)}">'
        f'{_clock(line.timestamp, zone)}</time> <span class="level">{escape(line.level)}</span>'
        f' <span class="task">{escape(line.task_id)}</span>'
        f' <span class="message">{escape(line.message)}</span></li>'
        for line in lines
    ]
    if not items:
        return format_html('<li class="muted">{}</li>', _("No logs yet."))
    return mark_safe("".join(items))  # noqa: S308  every value above is escaped


def _iso(timestamp: datetime | None) -> str:
    return timestamp.isoformat() if timestamp else ""


def _clock(timestamp: datetime | None, zone: tzinfo) -> str:
    return timestamp.astimezone(zone).time().isoformat("seconds") if timestamp else ""


class ActionButton(BlockType):
    """A button that dispatches an action; the API leaves it out when the action is not
    offered (the templates decide the same for the page)."""

    def __init__(self, name: str, action: str) -> None:
        super().__init__(name)
        self.action = action

    def api_data(
        self, block: ResolvedBlock, run: Run | None, target: ApiTarget
    ) -> dict[str, Any] | None:
        if self.action not in target.tokens:
            return None
        return {"dispatch": target.tokens[self.action]}


class ActionForm(ActionButton):
    """The fields an action asks for; the API leaves it out when the action is not offered."""

    def api_data(
        self, block: ResolvedBlock, run: Run | None, target: ApiTarget
    ) -> dict[str, Any] | None:
        if self.action not in target.tokens:
            return None
        return {"inputs": [field_json(field) for field in target.fields]}


BLOCK_TYPES: Mapping[str, BlockType] = MappingProxyType(
    {
        block_type.name: block_type
        for block_type in (
            BlockType("Markdown"),
            BlockType("Alert"),
            BlockType("Button"),
            BlockType("RedirectTo"),
            BlockType("Loading"),
            BlockType("AutoRefresh"),
            BlockType("Divider"),
            BlockType("Image"),
            BlockType("Stacktrace"),
            TableBlock("Table"),
            ActionForm("CreateExecutionForm", CREATE),
            ActionButton("CreateExecutionButton", CREATE),
            ActionButton("CancelExecutionButton", CANCEL),
            ActionForm("ResumeExecutionForm", RESUME),
            ActionButton("ResumeExecutionButton", RESUME),
            RunValuesBlock("Inputs", read=lambda run: run.inputs, kind="inputs"),
            RunValuesBlock("Outputs", read=lambda run: run.outputs, kind="outputs"),
            LogsBlock("Logs"),
            TaskOutputsBlock("TaskOutputs"),
            RouteBlock("Route"),
        )
    }
)


@dataclass(frozen=True)
class StageBlocks:
    """A stage's blocks, resolved against the run they show."""

    blocks: list[ResolvedBlock]
    run: Run | None

    def html(self) -> list[dict[str, Any]]:
        """Each block's template context, as executions/_blocks.html includes them."""
        return [BLOCK_TYPES[block.type].get_context(block, self.run) for block in self.blocks]

    def api(self, target: ApiTarget) -> list[dict[str, Any]]:
        """The blocks shown, as an AppResponse's `layout.blocks`."""
        shown = (
            BLOCK_TYPES[block.type].get_api_representation(block, self.run, target)
            for block in self.blocks
        )
        return [item for item in shown if item is not None]

    def log_filters(self) -> list[LogFilter]:
        """The filters of the stage's Logs blocks: the log lines the page shows."""
        return [
            LogsBlock.log_filter(block)
            for block in self.blocks
            if isinstance(BLOCK_TYPES[block.type], LogsBlock)
        ]


def shown_logs(
    execution: Execution, shown: Sequence[LogFilter], asked: LogFilter
) -> Iterable[LogLine]:
    """The stored lines one of the `shown` filters lets through (none without one), narrowed
    to those `asked` for: the API's download gives no line its page would not show."""
    if not shown:
        return []
    shown_conditions = [log_filter.condition() for log_filter in shown]
    either = " OR ".join(f"({test})" for test, _values in shown_conditions)
    params = [value for _test, values in shown_conditions for value in values]
    narrowed, narrowed_params = asked.condition()
    return _stored_lines(execution, f"({either}) AND {narrowed}", [*params, *narrowed_params])


def stage_blocks(
    definition: AppDefinition,
    stage: str,
    *,
    uid: str,
    app_url: str,
    run: Run | None,
    inputs: Mapping[str, Any] | None = None,
) -> StageBlocks:
    """The stage's blocks with their expressions rendered against the run (None: no
    execution yet, the OPEN stage); at OPEN, `inputs` are the form's answers so far."""
    context = layout.expression_context(
        definition=definition,
        uid=uid,
        app_url=app_url,
        execution=run.snapshot if run is not None else None,
        outputs=run.execution_outputs if run is not None else None,
        task_outputs=run.task_outputs if run is not None else None,
        inputs=inputs,
    )
    return StageBlocks(layout.resolve(definition, stage, context, translate=_), run)


def app_stage_blocks(
    app: App,
    stage: str,
    execution: Execution | None,
    base_url: str,
    *,
    inputs: Mapping[str, Any] | None = None,
) -> StageBlocks:
    """A saved app's blocks for the stage in the visitor's language, showing its execution
    (at OPEN, none: `inputs` are the form's answers so far); base_url is the site's address
    as the request reached it."""
    return stage_blocks(
        app.shown(),
        stage,
        uid=app.uid,
        app_url=app_url(app.uid, base_url),
        run=ExecutionRun(execution) if execution is not None else None,
        inputs=inputs,
    )
