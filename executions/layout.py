"""Which blocks an app shows for a stage, with their expressions rendered. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from apps_catalog.definition import AppDefinition, Block
from executions import expressions, stages

# Properties holding Markdown: rendered with escaping, since a user's value may land in them.
_MARKUP_PROPS = {("Markdown", "content"), ("Alert", "content")}
_URL_PROPS = {("Button", "url"), ("RedirectTo", "url"), ("Image", "url")}
# The built-in pages' text props: the portal's own words, translated where pages are drawn.
_TEXT_PROPS = ("content", "text")
# Where a stage's blocks come from (stage_origin), besides stages.FALLBACK.
OWN_LAYOUT, BUILT_IN = "layout", "built-in"


def gettext_noop(text: str) -> str:
    """Marks the portal's own words for the catalogs (`make messages` reads this name):
    the pure core imports no Django, so `resolve` translates them with the caller's
    gettext."""
    return text


_BUILT_IN: dict[str, tuple[Block, ...]] = {
    stages.OPEN: (
        Block("CreateExecutionForm", {}),
        Block(
            "CreateExecutionButton",
            {"text": gettext_noop("Submit"), "style": "INFO", "size": "DEFAULT"},
        ),
    ),
    stages.CREATED: (
        Block(
            "Markdown",
            {
                "content": gettext_noop(
                    "Thanks for submitting your request! It is queued and will start shortly."
                )
            },
        ),
        Block("Loading", {}),
    ),
    stages.RUNNING: (
        Block("Markdown", {"content": gettext_noop("Your request is running.")}),
        Block("Loading", {}),
        Block("Logs", {}),
    ),
    stages.PAUSE: (
        Block("Markdown", {"content": gettext_noop("This request is waiting for a decision.")}),
        Block("Inputs", {}),
        Block("ResumeExecutionForm", {}),
        Block(
            "ResumeExecutionButton",
            {"text": gettext_noop("Approve"), "style": "SUCCESS", "size": "DEFAULT"},
        ),
        Block(
            "CancelExecutionButton",
            {"text": gettext_noop("Reject"), "style": "DANGER", "size": "DEFAULT"},
        ),
    ),
    stages.RESUME: (
        Block(
            "Markdown", {"content": gettext_noop("The request was resumed and is running again.")}
        ),
        Block("Loading", {}),
    ),
    stages.SUCCESS: (
        Block(
            "Alert",
            {
                "content": gettext_noop("Your request completed."),
                "style": "SUCCESS",
                "showIcon": True,
            },
        ),
        Block("Inputs", {}),
        Block("Outputs", {}),
    ),
    stages.FAILURE: (
        Block(
            "Alert",
            {
                "content": gettext_noop("Your request did not complete."),
                "style": "ERROR",
                "showIcon": True,
            },
        ),
        Block("Logs", {"filter": {"logLevel": "WARN"}}),
    ),
    stages.ERROR: (
        Block(
            "Alert",
            {
                "content": gettext_noop("Something went wrong with this request."),
                "style": "ERROR",
                "showIcon": True,
            },
        ),
    ),
}


@dataclass(frozen=True)
class ResolvedBlock:
    type: str
    props: dict[str, Any]
    errors: tuple[str, ...] = field(default=(), compare=False)
    """Expressions that did not render (left out of the props), for the admin's preview."""

    @property
    def template(self) -> str:
        return f"blocks/{self.type.lower()}.html"


def stage_origin(definition: AppDefinition, stage: str) -> str:
    """Where the stage's blocks come from: its own layout (OWN_LAYOUT), else the FALLBACK
    layout (never for OPEN), else the built-in page for that stage (BUILT_IN)."""
    if stage in definition.layout:
        return OWN_LAYOUT
    if stages.FALLBACK in definition.layout and stage != stages.OPEN:
        return stages.FALLBACK
    return BUILT_IN


def blocks_for_stage(definition: AppDefinition, stage: str) -> tuple[Block, ...]:
    origin = stage_origin(definition, stage)
    if origin == BUILT_IN:
        return _BUILT_IN.get(stage, ())
    return definition.layout[stage if origin == OWN_LAYOUT else stages.FALLBACK]


def safe_url(url: str) -> str | None:
    """Only http(s) and same-site relative URLs may be followed from a page."""
    url = url.strip()
    if url.startswith("/") and not url.startswith("//"):
        return url
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and parts.netloc:
        return url
    return None


def _render_value(
    block: str, key: str, value: Any, context: Mapping[str, Any], errors: list[str]
) -> Any:
    if isinstance(value, str):
        rendered = expressions.render(value, context, markup=(block, key) in _MARKUP_PROPS)
        errors.extend(rendered.errors)
        if (block, key) in _URL_PROPS:
            # Part of an address leads somewhere else: a broken one is no address.
            return None if rendered.errors else safe_url(rendered.text)
        return rendered.text
    if isinstance(value, list):
        return [_render_value(block, key, item, context, errors) for item in value]
    if isinstance(value, dict):
        return {k: _render_value(block, k, v, context, errors) for k, v in value.items()}
    return value


def _resolve_block(block: Block, context: Mapping[str, Any]) -> ResolvedBlock:
    errors: list[str] = []
    props = {k: _render_value(block.type, k, v, context, errors) for k, v in block.props.items()}
    return ResolvedBlock(block.type, props, tuple(errors))


def resolve(
    definition: AppDefinition,
    stage: str,
    context: Mapping[str, Any],
    translate: Callable[[str], str] = str,
) -> list[ResolvedBlock]:
    """The stage's blocks rendered; a built-in page's words go through `translate` (the
    reader's gettext), an app's own are as its author wrote them."""
    blocks = blocks_for_stage(definition, stage)
    if stage_origin(definition, stage) == BUILT_IN:
        blocks = tuple(_translated(block, translate) for block in blocks)
    return [_resolve_block(block, context) for block in blocks]


def _translated(block: Block, translate: Callable[[str], str]) -> Block:
    props = {
        key: translate(value) if key in _TEXT_PROPS and isinstance(value, str) else value
        for key, value in block.props.items()
    }
    return Block(block.type, props)


def expression_context(
    *,
    definition: AppDefinition,
    uid: str,
    app_url: str,
    execution: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
    task_outputs: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The variables an expression may read (SPEC section 3, Expressions). `inputs`: the
    form's answers so far, at the OPEN stage (executions.forms.answers); else the
    execution's."""
    snapshot = execution or {}
    state = snapshot.get("state") or {}
    return {
        "app": {
            "id": definition.id,
            "uid": uid,
            "url": app_url,
            "displayName": definition.display_name,
            "namespace": definition.namespace,
            "flowId": definition.flow_id,
        },
        "execution": {
            "id": snapshot.get("id", ""),
            "state": state.get("current", ""),
            "startDate": state.get("startDate", ""),
            "endDate": state.get("endDate", ""),
            "labels": {lb.get("key"): lb.get("value") for lb in snapshot.get("labels") or []},
            "outputs": dict(outputs or {}),
        },
        "inputs": dict(inputs if inputs is not None else snapshot.get("inputs") or {}),
        "outputs": dict(task_outputs or {}),
        "flow": {
            "id": definition.flow_id,
            "namespace": definition.namespace,
            "revision": snapshot.get("flowRevision", definition.flow_revision),
        },
    }
