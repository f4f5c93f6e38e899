"""App definitions: Kestra Apps YAML in, a validated and normalised `AppDefinition` out.

Pure core: no Django, no I/O. Every problem in a document is reported at once, each with
the path of the offending node (`layout[1].blocks[0].style`) and its line.

YAML decisions, all made so that a pasted Kestra app means what its author meant:

- Scalars follow the YAML 1.2 core schema (as Kestra's Jackson parser does), not PyYAML's
  YAML 1.1: `on`, `yes`, `no` are strings, `2025-01-01` is a string, `0o17` is an integer.
  This is also why `- on: OPEN` needs no quoting.
- Types are strict: a boolean or a number where text is expected is an error (with a hint
  to quote it), never silently converted.
- A key set to null counts as absent, so its default applies (or "is required" is reported).
- Only plain composition is used (no object construction), with limits on size, nesting
  and alias expansion, so hostile documents are rejected quickly.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, TypeVar

import yaml
from yaml.events import MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from apps_catalog import approval
from apps_catalog.approval import ApprovalPolicy, Approvers, Step
from apps_catalog.blocks import BLOCKS, Prop, accepted_block_types, resolve_block_type
from apps_catalog.notification_settings import EVENTS, NotificationSettings

APP_TYPE = "io.kestra.plugin.ee.apps.Execution"
STAGES = (
    "OPEN", "CREATED", "RUNNING", "PAUSE", "RESUME", "SUCCESS", "FAILURE", "ERROR", "FALLBACK",
)  # fmt: skip
ACCESS_TYPES = ("PUBLIC", "PRIVATE")

MAX_SOURCE_BYTES = 1024 * 1024  # one app
MAX_IMPORT_BYTES = 16 * MAX_SOURCE_BYTES  # a multi-document import; each document ≤ 1 MiB
MAX_DEPTH = 50  # nested lists/mappings; a real app needs about 6
# Nodes that aliases may add to a document by repeating parts of it. Plenty for YAML
# anchors used to share a few blocks; a "billion laughs" bomb needs millions.
MAX_ALIAS_EXPANSION = 100_000
# What the expanded document may weigh (its text, as stored and served): aliases repeating
# a long string could otherwise make a small document a huge definition.
MAX_EXPANDED_BYTES = 4 * 1024 * 1024
MAX_INT = 2**31 - 1  # Kestra reads integers into Java ints

ID_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]*")
NAMESPACE_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
FLOW_ID_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*")
# Lengths sized to the database columns; Kestra documents 150 for namespace and
# displayName and 100 for flowId, and gives ids the same bound as flow ids.
MAX_ID_LENGTH = 100
MAX_NAMESPACE_LENGTH = 150
MAX_FLOW_ID_LENGTH = 100
MAX_DISPLAY_NAME_LENGTH = 150
MAX_TAG_LENGTH = 100
MAX_GROUP_LENGTH = 150  # django.contrib.auth Group.name
MAX_USERNAME_LENGTH = 150  # django.contrib.auth User.username

# The portal's own extensions to Kestra's app YAML: Kestra Enterprise does not know them
# (`export_apps --kestra` leaves them out).
PORTAL_KEYS = ("approval", "notifications", "translations")
_APPROVAL_KEYS = (
    "approvers", "quorum", "steps", "selfApproval", "rejections", "reason", "escalateAfter",
    "escalateTo", "delegation",
)  # fmt: skip
_TOP_LEVEL_KEYS = (
    "id", "type", "displayName", "namespace", "flowId", "flowRevision", "executionId",
    "description", "access", "tags", "thumbnail", "disabled", "expiration", "layout",
    *PORTAL_KEYS,
)  # fmt: skip
_REQUIRED_TOP_LEVEL_KEYS = ("id", "type", "displayName", "namespace", "flowId")
_TRANSLATION_KEYS = ("displayName", "description", "content")
# A language tag as Accept-Language and Django name languages: `fr`, `pt-BR`, `zh-Hant`.
LANGUAGE_PATTERN = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*")
# The blocks whose Markdown `content` a translation may give, in the order of their stage.
TRANSLATED_BLOCKS = ("Markdown", "Alert")

# java.time.Duration.parse, without the sign: days, hours, minutes, (fractional) seconds.
_DURATION = re.compile(
    r"P(?:(?P<d>\d+)D)?(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?"
    r"(?:(?P<s>\d+)(?:[.,](?P<f>\d{0,9}))?S)?)?",
    re.IGNORECASE,
)
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?"
)
_T = TypeVar("_T")
_DOCUMENT_START = re.compile(r"^---(?=[ \t\r]|$)", re.MULTILINE)


# ---------------------------------------------------------------------------------------
# The definition


@dataclass(frozen=True)
class Issue:
    """One validation error."""

    path: str  # "layout[1].blocks[3].style"; "" for the document itself
    line: int | None  # 1-based line where the offending node starts
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        path = f"{self.path}: " if self.path else ""
        return f"{where}{path}{self.message}"


class DefinitionError(ValueError):
    """The source is not a valid app definition; `issues` lists every problem found."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        # Sorted by line so that a long list reads top to bottom like the source.
        self.issues = sorted(issues, key=lambda issue: issue.line or 0)
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass(frozen=True)
class Block:
    """One block of a layout, its properties complete: every property the block type has
    is present, with its default (or None) when the source left it out."""

    type: str  # bare name: "Markdown", "CreateExecutionForm"
    props: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **copy.deepcopy(self.props)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Block:
        props = {key: value for key, value in data.items() if key != "type"}
        return cls(type=data["type"], props=copy.deepcopy(props))


@dataclass(frozen=True)
class Translation:
    """An app's text in one more language (the portal's `translations:` extension); None
    and absent stages keep the text as written."""

    display_name: str | None = None
    description: str | None = None
    # stage -> the `content` of its Markdown and Alert blocks, in order; None: as written.
    content: dict[str, tuple[str | None, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        found = {"displayName": self.display_name, "description": self.description}
        shown: dict[str, Any] = {key: value for key, value in found.items() if value is not None}
        if self.content:
            shown["content"] = {stage: list(texts) for stage, texts in self.content.items()}
        return shown

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Translation:
        content = data.get("content") or {}
        return cls(
            display_name=data.get("displayName"),
            description=data.get("description"),
            content={stage: tuple(texts) for stage, texts in content.items()},
        )

    def texts(self, display_name: str, description: str) -> tuple[str, str]:
        """The name and description shown: this translation's, else those as written."""
        return (
            self.display_name or display_name,
            description if self.description is None else self.description,
        )

    def applied_to(self, layout: Mapping[str, tuple[Block, ...]]) -> dict[str, tuple[Block, ...]]:
        return {stage: self._stage(stage, blocks) for stage, blocks in layout.items()}

    def _stage(self, stage: str, blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        texts = iter(self.content.get(stage, ()))
        shown = []
        for block in blocks:
            text = next(texts, None) if block.type in TRANSLATED_BLOCKS else None
            shown.append(
                block if text is None else Block(block.type, {**block.props, "content": text})
            )
        return tuple(shown)


def translation_for(translations: Mapping[str, _T], language: str | None) -> _T | None:
    """The translation for a visitor's language: its own (`pt-br`), else its base
    language's (`pt`); None: the text as written."""
    if not language:
        return None
    code = language.lower()
    return translations.get(code) or translations.get(code.split("-", 1)[0])


@dataclass(frozen=True)
class Access:
    type: str = "PRIVATE"
    groups: tuple[str, ...] = ()
    catalog: bool = True


@dataclass(frozen=True)
class AppDefinition:
    id: str
    display_name: str
    namespace: str
    flow_id: str
    flow_revision: int | None = None
    execution_id: str | None = None
    description: str = ""
    access: Access = Access()
    tags: tuple[str, ...] = ()
    thumbnail: str | None = None
    disabled: bool = False
    expiration_start: datetime | None = None  # aware
    expiration_end: datetime | None = None  # aware
    # stage -> blocks, in source order. parse_app fills in default_layout() when the
    # source has no `layout`; an explicit empty layout stays empty.
    layout: dict[str, tuple[Block, ...]] = field(default_factory=dict)
    # The portal's extensions; None without `approval:` (approval.KESTRA_DEFAULT applies).
    approval: ApprovalPolicy | None = None
    notifications: NotificationSettings = NotificationSettings()
    # language code (lower case) -> the app's text in that language
    translations: dict[str, Translation] = field(default_factory=dict)

    @property
    def approval_policy(self) -> ApprovalPolicy:
        return self.approval or approval.KESTRA_DEFAULT

    def in_language(self, language: str | None) -> AppDefinition:
        """The app as a visitor speaking `language` sees it: its translation for that
        language where it gives one, else the text as written."""
        chosen = translation_for(self.translations, language)
        if chosen is None:
            return self
        display_name, description = chosen.texts(self.display_name, self.description)
        return replace(
            self,
            display_name=display_name,
            description=description,
            layout=chosen.applied_to(self.layout) if chosen.content else self.layout,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable, in Kestra's own shape: valid app YAML once dumped."""
        return {
            "id": self.id,
            "type": APP_TYPE,
            "displayName": self.display_name,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "flowRevision": self.flow_revision,
            "executionId": self.execution_id,
            "description": self.description,
            "access": {
                "type": self.access.type,
                "groups": list(self.access.groups),
                "catalog": self.access.catalog,
            },
            "tags": list(self.tags),
            "thumbnail": self.thumbnail,
            "disabled": self.disabled,
            "expiration": self._expiration_dict(),
            "layout": [
                {"on": stage, "blocks": [block.to_dict() for block in blocks]}
                for stage, blocks in self.layout.items()
            ],
            "approval": None if self.approval is None else self.approval.to_dict(),
            "notifications": self.notifications.to_dict(),
            "translations": {code: t.to_dict() for code, t in self.translations.items()},
        }

    def _expiration_dict(self) -> dict[str, str | None] | None:
        if self.expiration_start is None and self.expiration_end is None:
            return None
        return {
            "startDate": _isoformat(self.expiration_start),
            "endDate": _isoformat(self.expiration_end),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AppDefinition:
        """Inverse of to_dict. Trusted input (our own stored output): nothing is validated."""
        access = data.get("access") or {}
        expiration = data.get("expiration") or {}
        return cls(
            id=data["id"],
            display_name=data["displayName"],
            namespace=data["namespace"],
            flow_id=data["flowId"],
            flow_revision=data.get("flowRevision"),
            execution_id=data.get("executionId"),
            description=data.get("description") or "",
            access=Access(
                type=access.get("type", "PRIVATE"),
                groups=tuple(access.get("groups") or ()),
                catalog=access.get("catalog", True),
            ),
            tags=tuple(data.get("tags") or ()),
            thumbnail=data.get("thumbnail"),
            disabled=data.get("disabled", False),
            expiration_start=_fromisoformat(expiration.get("startDate")),
            expiration_end=_fromisoformat(expiration.get("endDate")),
            layout={
                item["on"]: tuple(Block.from_dict(block) for block in item["blocks"])
                for item in data.get("layout") or ()
            },
            approval=ApprovalPolicy.from_dict(data["approval"]) if data.get("approval") else None,
            notifications=NotificationSettings.from_dict(data["notifications"])
            if data.get("notifications")
            else NotificationSettings(),
            translations={
                code: Translation.from_dict(value)
                for code, value in (data.get("translations") or {}).items()
            },
        )


def _isoformat(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _fromisoformat(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def default_block(block_type: str, **props: Any) -> Block:
    """A block of a catalogue type with its defaults, overridden by `props`."""
    defaults = {name: prop.default for name, prop in BLOCKS[block_type].props.items()}
    return Block(block_type, {**defaults, **props})


def default_layout() -> dict[str, tuple[Block, ...]]:
    """Kestra's layout for an app without `layout` (its plugin docs): a form and a Submit
    button, then a thank-you note. Kestra's internal Route block is left out."""
    return {
        "OPEN": (
            default_block("CreateExecutionForm"),
            default_block("CreateExecutionButton", text="Submit", style="INFO"),
        ),
        "CREATED": (default_block("Markdown", content="Thanks for submitting your request!"),),
    }


def parse_iso_duration(text: str) -> timedelta | None:
    """An ISO-8601 duration as java.time.Duration reads it (PT30S, PT1M30S, P1DT2H); None
    when the text is not one. Negative durations are refused: no use for them here."""
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.group(part) for part in "dhms"):
        return None
    if text.upper().endswith("T"):  # "P1DT" names a time part and gives none
        return None
    number = {part: int(match.group(part) or 0) for part in "dhms"}
    fraction = (match.group("f") or "").ljust(9, "0")
    return timedelta(
        days=number["d"],
        hours=number["h"],
        minutes=number["m"],
        seconds=number["s"],
        microseconds=int(fraction[:6] or 0),
    )


# ---------------------------------------------------------------------------------------
# Entry points


def parse_app(source: str) -> AppDefinition:
    """Parse and validate one app definition. Raises DefinitionError listing every issue."""
    _check_size(source, MAX_SOURCE_BYTES)
    root = _compose(source)
    if root is None or _is_null(root):
        raise DefinitionError([Issue("", None, "the document is empty")])
    return _validate(root)


def read_documents(source: str) -> list[tuple[str, AppDefinition | DefinitionError]]:
    """Each non-empty document of a stream as (its own source text, its parse result), in
    order, so an import can store each app's text as written and report which ones failed.

    Documents are cut at their "---" lines before parsing, so a syntax error in one does
    not hide the ones after it; line numbers stay those of the whole stream.
    """
    try:
        _check_size(source, MAX_IMPORT_BYTES)
    except DefinitionError as error:
        return [(source, error)]
    results: list[tuple[str, AppDefinition | DefinitionError]] = []
    for text in _split_documents(source):
        own_text = _DOCUMENT_START.sub("", text.lstrip("\n"), count=1).lstrip(" \t\r").lstrip("\n")
        try:
            _check_size(text.lstrip("\n"), MAX_SOURCE_BYTES)
            root = _compose(text)
            if root is not None and not _is_null(root):  # a stray "---" is not an app
                results.append((own_text, _validate(root)))
        except DefinitionError as error:
            results.append((own_text, error))
    return results


def _split_documents(source: str) -> Iterator[str]:
    """Each document's text, preceded by newlines so that its lines keep their numbers."""
    starts = [match.start() for match in _DOCUMENT_START.finditer(source)]
    for start, end in pairwise([0, *starts, len(source)]):
        if end > start:
            yield "\n" * source.count("\n", 0, start) + source[start:end]


def _validate(root: Node) -> AppDefinition:
    graph_issue = _check_graph(root)
    if graph_issue is not None:
        raise DefinitionError([graph_issue])
    checker = _Checker()
    definition = checker.app(root)
    if checker.issues or definition is None:
        raise DefinitionError(checker.issues)
    return definition


# ---------------------------------------------------------------------------------------
# Safe YAML loading

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL}
_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}

_INT_TEXT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_TEXT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_BOOL_TEXT = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL_TEXT = re.compile(r"~|null|Null|NULL|")


class _DepthExceeded(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """Composes nodes only (nothing is ever constructed), typing plain scalars by the
    YAML 1.2 core schema, and refusing nesting deeper than MAX_DEPTH before PyYAML's
    recursive composer can exhaust the stack."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    _depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        nested = isinstance(self.peek_event(), MappingStartEvent | SequenceStartEvent)
        if nested:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _DepthExceeded(self.peek_event().start_mark)
        try:
            # PyYAML passes a mapping value's key node as its index, not only ints as typed.
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            if nested:
                self._depth -= 1


def _install_yaml_1_2_resolvers() -> None:
    # PyYAML applies resolvers with .match(); anchoring at both ends makes it a full match.
    for tag, pattern, first_chars in (
        (_NULL, _NULL_TEXT, ["~", "n", "N", ""]),
        (_BOOL, _BOOL_TEXT, list("tTfF")),
        (_INT, _INT_TEXT, list("-+0123456789")),
        (_FLOAT, _FLOAT_TEXT, list("-+.0123456789")),
    ):
        anchored = re.compile(rf"^(?:{pattern.pattern})$")
        _Loader.add_implicit_resolver(tag, anchored, first_chars)


_install_yaml_1_2_resolvers()


def _check_size(source: str, limit: int) -> None:
    # Count characters first so a huge string is refused without encoding it.
    if len(source) > limit or len(source.encode("utf-8", "surrogatepass")) > limit:
        message = f"the document is larger than {limit // (1024 * 1024)} MB"
        raise DefinitionError([Issue("", None, message)])


def _compose(text: str) -> Node | None:
    loader = None
    try:
        loader = _Loader(text)  # its reader already refuses non-printable characters
        return loader.get_single_node()
    except _DepthExceeded as error:
        message = f"the document nests lists and mappings more than {MAX_DEPTH} levels deep"
        raise DefinitionError([Issue("", error.mark.line + 1, message)]) from None
    except yaml.MarkedYAMLError as error:
        raise DefinitionError([_syntax_issue(error)]) from None
    except yaml.YAMLError as error:  # ReaderError: bytes YAML does not allow
        position = getattr(error, "position", None)
        line = None if position is None else text.count("\n", 0, position) + 1
        raise DefinitionError([Issue("", line, f"invalid YAML: {error}")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _syntax_issue(error: yaml.MarkedYAMLError) -> Issue:
    mark = error.problem_mark or error.context_mark
    if error.context == "expected a single document in the stream":
        message = "found a second document (after ---): one app per definition"
        return Issue("", None if mark is None else mark.line + 1, message)
    message = f"invalid YAML: {error.problem or error.context}"
    if error.context and error.problem:
        context_line = f" on line {error.context_mark.line + 1}" if error.context_mark else ""
        message += f" ({error.context}{context_line})"
    return Issue("", None if mark is None else mark.line + 1, message)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def _check_graph(root: Node) -> Issue | None:
    """Refuse alias tricks before anything walks the tree: a cycle (`&a [*a]`), aliases
    adding more than MAX_ALIAS_EXPANSION nodes ("billion laughs") or more than
    MAX_EXPANDED_BYTES of text (a long string repeated), or nesting past
    MAX_DEPTH through aliases. Expanded sizes are memoised per node, so the check is linear
    in the composed document, not in its expansion. A subtree whose expansion exceeds every
    distinct node seen so far by the allowance can only be made of repeats: without
    aliases it never does.
    Also refuses tags other than YAML's core ones (no `!!python/...`, no `!!binary`)."""
    size: dict[int, int] = {}
    weight: dict[int, int] = {}  # characters once expanded, memoised like the size
    height: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            own = len(node.value) if isinstance(node, ScalarNode) else 0
            weight[key] = 2 + own + sum(weight[id(child)] for child in children)
            collection = isinstance(node, SequenceNode | MappingNode)
            height[key] = int(collection) + max(
                (height[id(child)] for child in children), default=0
            )
            in_progress.discard(key)
            if size[key] > len(size) + MAX_ALIAS_EXPANSION:
                message = f"aliases expand the document by more than {MAX_ALIAS_EXPANSION} nodes"
                return Issue("", _line(node), message)
            if weight[key] > MAX_EXPANDED_BYTES:
                limit = MAX_EXPANDED_BYTES // (1024 * 1024)
                message = f"aliases expand the document to more than {limit} MB"
                return Issue("", _line(node), message)
            if height[key] > MAX_DEPTH:
                message = f"aliases nest lists and mappings more than {MAX_DEPTH} levels deep"
                return Issue("", _line(node), message)
        elif key in in_progress:
            return Issue("", _line(node), "an alias refers to a node that contains it")
        elif key not in size:
            tag_issue = _tag_issue(node)
            if tag_issue is not None:
                return tag_issue
            in_progress.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
    return None


def _tag_issue(node: Node) -> Issue | None:
    allowed = _SCALAR_TAGS if isinstance(node, ScalarNode) else _COLLECTION_TAGS
    if node.tag not in allowed:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        return Issue("", _line(node), f"the YAML tag {tag} is not supported")
    if isinstance(node, ScalarNode) and _scalar_value(node) is _INVALID:
        kind = _KIND_OF_TAG[node.tag]
        return Issue("", _line(node), f"'{node.value}' is not a valid {kind}")
    return None


_INVALID = object()  # an explicitly tagged scalar that is not what its tag says


def _scalar_value(node: Node) -> Any:
    text: str = node.value
    if node.tag == _STR:
        return text
    if node.tag == _NULL:
        return None if _NULL_TEXT.fullmatch(text) else _INVALID
    if node.tag == _BOOL:
        return text.lower() == "true" if _BOOL_TEXT.fullmatch(text) else _INVALID
    if node.tag == _INT:
        return _int_value(text)
    if node.tag == _FLOAT:
        return _float_value(text)
    return text


def _float_value(text: str) -> Any:
    if not _FLOAT_TEXT.fullmatch(text):
        return _INVALID
    lowered = text.lower()
    if lowered.endswith("inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered.endswith("nan"):
        return math.nan
    return float(text)


def _int_value(text: str) -> Any:
    if not _INT_TEXT.fullmatch(text):
        return _INVALID
    base = {"0o": 8, "0x": 16}.get(text[:2], 10)
    try:
        return int(text[2:] if base != 10 else text, base)
    except ValueError:  # more digits than Python converts
        return _INVALID


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


# ---------------------------------------------------------------------------------------
# Validation

_KIND_OF_TAG = {_STR: "string", _BOOL: "boolean", _INT: "integer", _FLOAT: "number", _NULL: "null"}


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _quote(text: str, limit: int = 60) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"'{shown}'"


def _describe(node: Node) -> str:
    """How a node reads in an error message: "a list", "the boolean true", "'PINK'"."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    kind = _KIND_OF_TAG.get(node.tag, "string")
    if kind == "null":
        return "null"
    if kind == "string":
        return f"the string {_quote(node.value)}"
    return f"the {kind} {node.value}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _suggest(word: str, candidates: Iterable[str]) -> str:
    matches = difflib.get_close_matches(word, list(candidates), n=1)
    return f" (did you mean {matches[0]}?)" if matches else ""


class _Checker:
    """Walks the node tree of one document, collecting every issue rather than stopping
    at the first. Each check returns a usable placeholder on failure so the walk goes on;
    the result is only used when no issue was found."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def fail(self, path: str, node: Node, message: str) -> None:
        self.issues.append(Issue(path, _line(node), message))

    # -- the document ------------------------------------------------------------------

    def app(self, root: Node) -> AppDefinition | None:
        if not isinstance(root, MappingNode):
            self.fail("", root, f"an app definition must be a mapping, got {_describe(root)}")
            return None
        values = self.mapping(root, "", _TOP_LEVEL_KEYS)
        if values is None:
            return None
        for key in _REQUIRED_TOP_LEVEL_KEYS:
            if key not in values:
                self.fail(key, root, "is required")
        if "type" in values:
            self.app_type(values["type"])
        access = values.get("access")
        expiration = self.expiration(values["expiration"]) if "expiration" in values else None
        layout_node = values.get("layout")
        layout = default_layout() if layout_node is None else self.layout(layout_node, "layout")
        translations = values.get("translations")
        return AppDefinition(
            id=self.optional_at(values, "", "id", self.app_id) or "",
            display_name=self.optional_at(values, "", "displayName", self.display_name) or "",
            namespace=self.optional_at(values, "", "namespace", self.namespace) or "",
            flow_id=self.optional_at(values, "", "flowId", self.flow_id) or "",
            flow_revision=self.optional_at(values, "", "flowRevision", self.revision),
            execution_id=self.optional_at(values, "", "executionId", self.nonblank),
            description=self.optional_at(values, "", "description", self.text) or "",
            access=Access() if access is None else self.access(access, "access"),
            tags=self.optional_at(values, "", "tags", self.tags) or (),
            thumbnail=self.optional_at(values, "", "thumbnail", self.nonblank),
            disabled=self.optional_at(values, "", "disabled", self.flag) or False,
            expiration_start=expiration[0] if expiration else None,
            expiration_end=expiration[1] if expiration else None,
            layout=layout,
            approval=self.optional_at(values, "", "approval", self.approval),
            notifications=self.optional_at(values, "", "notifications", self.notifications)
            or NotificationSettings(),
            translations={}
            if translations is None
            else self.translations(translations, "translations", layout),
        )

    def app_type(self, node: Node) -> None:
        value = self.text(node, "type")
        if value and value != APP_TYPE:
            self.fail("type", node, f"must be {APP_TYPE} (the only app type), got {_quote(value)}")

    def app_id(self, node: Node, path: str) -> str:
        hint = "letters, digits, _ and -, starting with a letter or a digit"
        return self.matching(node, path, ID_PATTERN, MAX_ID_LENGTH, hint)

    def namespace(self, node: Node, path: str) -> str:
        hint = "lower-case letters, digits, '.', _ and -, starting with a letter or a digit"
        return self.matching(node, path, NAMESPACE_PATTERN, MAX_NAMESPACE_LENGTH, hint)

    def flow_id(self, node: Node, path: str) -> str:
        hint = "letters, digits, '.', _ and -, starting with a letter or a digit"
        return self.matching(node, path, FLOW_ID_PATTERN, MAX_FLOW_ID_LENGTH, hint)

    def display_name(self, node: Node, path: str) -> str:
        value = self.nonblank(node, path)
        if len(value) > MAX_DISPLAY_NAME_LENGTH:
            self.fail(path, node, f"must be at most {MAX_DISPLAY_NAME_LENGTH} characters long")
        return value

    def revision(self, node: Node, path: str) -> int:
        value = self.integer(node, path)
        if not 1 <= value <= MAX_INT and self.is_kind(node, _INT):
            self.fail(path, node, f"must be an integer from 1 to {MAX_INT}, got {value}")
        return value

    def access(self, node: Node, path: str) -> Access:
        if isinstance(node, ScalarNode):  # the pre-0.24 shorthand `access: PUBLIC`
            return Access(type=self.choice(node, path, ACCESS_TYPES))
        values = self.mapping(node, path, ("type", "groups", "catalog"))
        if values is None:
            return Access()
        type_node = values.get("type")
        access_type = "PRIVATE"
        if type_node is not None:
            access_type = self.choice(type_node, _join(path, "type"), ACCESS_TYPES)
        return Access(
            type=access_type,
            groups=self.optional_at(values, path, "groups", self.groups) or (),
            catalog=self.optional_at(values, path, "catalog", self.flag) is not False,
        )

    # -- the approval policy (a portal extension) ---------------------------------------

    def approval(self, node: Node, path: str) -> ApprovalPolicy:
        values = self.mapping(node, path, _APPROVAL_KEYS)
        if values is None:
            return ApprovalPolicy()
        steps = self.optional_at(values, path, "steps", self.steps)
        if steps is not None:
            for key in ("approvers", "quorum"):
                if key in values:
                    message = "goes inside each step when the policy has steps"
                    self.fail(_join(path, key), values[key], message)
        else:
            approvers = self.optional_at(values, path, "approvers", self.approvers) or Approvers()
            steps = (self.step_quorum(values, path, approvers, ""),)
        reason = self.optional_at(values, path, "reason", self.reasons) or {}
        after = self.optional_at(values, path, "escalateAfter", self.duration)
        escalate_to = self.optional_at(values, path, "escalateTo", self.approvers)
        if (after is None) != (escalate_to is None):
            present = "escalateAfter" if after is not None else "escalateTo"
            missing = "escalateTo" if after is not None else "escalateAfter"
            self.fail(_join(path, present), values[present], f"needs {missing} beside it")
        rejections = self.optional_at(values, path, "rejections", self.count)
        return ApprovalPolicy(
            steps=steps,
            self_approval=self.optional_at(values, path, "selfApproval", self.self_approval)
            or approval.SELF_FORBIDDEN,
            rejections=rejections or 1,
            approve_reason=reason.get("approve", approval.OPTIONAL),
            reject_reason=reason.get("reject", approval.REQUIRED),
            escalate_after=parse_iso_duration(after) if after else None,
            escalate_to=escalate_to or Approvers(),
            delegation=self.optional_at(values, path, "delegation", self.flag) is not False,
        )

    def notifications(self, node: Node, path: str) -> NotificationSettings:
        keys = ("events", "remindEvery", "chat", "requesterEmail")
        values = self.mapping(node, path, keys)
        if values is None:
            return NotificationSettings()
        events: tuple[str, ...] | None = None
        if "events" in values:
            items = self.sequence(values["events"], _join(path, "events"))
            events = tuple(
                dict.fromkeys(
                    self.choice(item, f"{path}.events[{i}]", EVENTS) for i, item in enumerate(items)
                )
            )
        every = self.optional_at(values, path, "remindEvery", self.duration)
        chat = self.optional_at(values, path, "chat", self.groups) or ()
        email = self.optional_at(values, path, "requesterEmail", self.nonblank) or ""
        defaults = NotificationSettings()
        return NotificationSettings(
            events=defaults.events if events is None else tuple(e for e in events if e),
            remind_every=parse_iso_duration(every) if every else None,
            chat=chat,
            requester_email=email,
        )

    # -- the app's text in more languages (a portal extension) --------------------------

    def translations(
        self, node: Node, path: str, layout: Mapping[str, tuple[Block, ...]]
    ) -> dict[str, Translation]:
        values = self.mapping(node, path, None)
        if values is None:
            return {}
        translations: dict[str, Translation] = {}
        for code, value in values.items():
            code_path = _join(path, code)
            if not LANGUAGE_PATTERN.fullmatch(code):
                message = f"is not a language code such as fr, de or pt-BR, got {_quote(code)}"
                self.fail(code_path, value, message)
            elif code.lower() in translations:
                self.fail(code_path, value, "names a language already translated (case aside)")
            else:
                translations[code.lower()] = self.translation(value, code_path, layout)
        return translations

    def translation(
        self, node: Node, path: str, layout: Mapping[str, tuple[Block, ...]]
    ) -> Translation:
        values = self.mapping(node, path, _TRANSLATION_KEYS)
        if values is None:
            return Translation()
        if isinstance(node, MappingNode) and not node.value:
            self.fail(path, node, f"must give one of {', '.join(_TRANSLATION_KEYS)}")
        content = values.get("content")
        return Translation(
            display_name=self.optional_at(values, path, "displayName", self.display_name),
            description=self.optional_at(values, path, "description", self.text),
            content={}
            if content is None
            else self.content(content, _join(path, "content"), layout),
        )

    def content(
        self, node: Node, path: str, layout: Mapping[str, tuple[Block, ...]]
    ) -> dict[str, tuple[str | None, ...]]:
        values = self.mapping(node, path, STAGES)
        content: dict[str, tuple[str | None, ...]] = {}
        for stage, value in (values or {}).items():
            stage_path = _join(path, stage)
            items = self.sequence(value, stage_path)
            room = sum(block.type in TRANSLATED_BLOCKS for block in layout.get(stage, ()))
            if len(items) > room:
                kinds = " or ".join(TRANSLATED_BLOCKS)
                message = (
                    f"lists {len(items)} texts, but the layout's {stage} stage has"
                    f" {room} {kinds} block{'' if room == 1 else 's'} to show them"
                )
                self.fail(stage_path, value, message)
            content[stage] = tuple(
                None if _is_null(item) else self.text(item, f"{stage_path}[{index}]")
                for index, item in enumerate(items)
            )
        return content

    def approvers(self, node: Node, path: str) -> Approvers:
        values = self.mapping(node, path, ("users", "groups"))
        if values is None:
            return Approvers()
        return Approvers(
            users=self.optional_at(values, path, "users", self.users) or (),
            groups=self.optional_at(values, path, "groups", self.groups) or (),
        )

    def steps(self, node: Node, path: str) -> tuple[Step, ...]:
        steps = []
        items = self.sequence(node, path)
        if isinstance(node, SequenceNode) and not items:
            self.fail(path, node, "must list at least one step")
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            values = self.mapping(item, item_path, ("name", "approvers", "quorum"))
            if values is None:
                continue
            name = self.optional_at(values, item_path, "name", self.nonblank) or ""
            if "approvers" not in values:
                self.fail(_join(item_path, "approvers"), item, "is required")
            approvers = self.optional_at(values, item_path, "approvers", self.approvers)
            steps.append(self.step_quorum(values, item_path, approvers or Approvers(), name))
        return tuple(steps)

    def step_quorum(
        self, values: Mapping[str, Node], path: str, approvers: Approvers, name: str
    ) -> Step:
        """A step: its approvers and its quorum, a count or ALL (every named user)."""
        node = values.get("quorum")
        if node is None:
            return Step(name, approvers, 1)
        quorum_path = _join(path, "quorum")
        if self.is_kind(node, _STR):
            self.choice(node, quorum_path, (approval.QUORUM_ALL,))
            if not approvers.users:
                message = "ALL needs approvers.users: the people who must all approve"
                self.fail(quorum_path, node, message)
            return Step(name, approvers, None)
        quorum = self.count(node, quorum_path)
        if approvers.users and not approvers.groups and quorum > len(approvers.users):
            message = f"asks for {quorum} approvals from {len(approvers.users)} named users"
            self.fail(quorum_path, node, message)
        return Step(name, approvers, quorum)

    def count(self, node: Node, path: str) -> int:
        value = self.integer(node, path)
        if not 1 <= value <= 100 and self.is_kind(node, _INT):
            self.fail(path, node, f"must be an integer from 1 to 100, got {value}")
        return value

    def self_approval(self, node: Node, path: str) -> str:
        if self.is_kind(node, _BOOL):
            return approval.SELF_ALLOWED if _scalar_value(node) else approval.SELF_FORBIDDEN
        if self.is_kind(node, _STR) and node.value == approval.SELF_ONLY:
            return approval.SELF_ONLY
        self.fail(path, node, f"must be true, false or only, got {_describe(node)}")
        return approval.SELF_FORBIDDEN

    def reasons(self, node: Node, path: str) -> dict[str, str]:
        values = self.mapping(node, path, ("approve", "reject"))
        if values is None:
            return {}
        return {
            key: self.choice(value, _join(path, key), approval.REASON_RULES)
            for key, value in values.items()
        }

    def optional_at(
        self, values: Mapping[str, Node], path: str, key: str, check: Callable[[Node, str], _T]
    ) -> _T | None:
        node = values.get(key)
        return None if node is None else check(node, _join(path, key))

    def tags(self, node: Node, path: str) -> tuple[str, ...]:
        return self.names(node, path, MAX_TAG_LENGTH)

    def groups(self, node: Node, path: str) -> tuple[str, ...]:
        return self.names(node, path, MAX_GROUP_LENGTH)

    def users(self, node: Node, path: str) -> tuple[str, ...]:
        return self.names(node, path, MAX_USERNAME_LENGTH)

    def names(self, node: Node, path: str, max_length: int) -> tuple[str, ...]:
        """A list of non-blank names, duplicates dropped (they are sets in all but syntax)."""
        names: dict[str, None] = {}
        for index, item in enumerate(self.sequence(node, path)):
            item_path = f"{path}[{index}]"
            name = self.nonblank(item, item_path)
            if len(name) > max_length:
                self.fail(item_path, item, f"must be at most {max_length} characters long")
            names[name] = None
        return tuple(names)

    def expiration(self, node: Node) -> tuple[datetime | None, datetime | None]:
        """The availability window; either end may be left open."""
        values = self.mapping(node, "expiration", ("startDate", "endDate"))
        if values is None:
            return None, None
        start = self.optional_at(values, "expiration", "startDate", self.date_time)
        end = self.optional_at(values, "expiration", "endDate", self.date_time)
        if start and end and start >= end:
            message = f"must be after startDate ({start.isoformat()}), got {end.isoformat()}"
            self.fail("expiration.endDate", values["endDate"], message)
        return start, end

    def date_time(self, node: Node, path: str) -> datetime | None:
        """An ISO-8601 date-time; without an offset it is taken as UTC."""
        text = self.text(node, path)
        parsed = None
        if _DATETIME.fullmatch(text):
            try:
                parsed = datetime.fromisoformat(text.upper())
            except ValueError:  # well-formed but impossible, e.g. February 30th
                parsed = None
        if parsed is None:
            if self.is_kind(node, _STR):
                example = "2025-06-01T08:00:00Z"
                self.fail(
                    path,
                    node,
                    f"must be an ISO-8601 date-time such as {example}, got {_quote(text)}",
                )
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    # -- layout ------------------------------------------------------------------------

    def layout(self, node: Node, path: str) -> dict[str, tuple[Block, ...]]:
        layout: dict[str, tuple[Block, ...]] = {}
        first_seen: dict[str, Node] = {}
        for index, item in enumerate(self.sequence(node, path)):
            item_path = f"{path}[{index}]"
            values = self.mapping(item, item_path, ("on", "blocks"))
            if values is None:
                continue
            for key in ("on", "blocks"):
                if key not in values:
                    self.fail(_join(item_path, key), item, "is required")
            blocks = self.optional_at(values, item_path, "blocks", self.blocks) or ()
            if "on" not in values:
                continue
            stage = self.choice(values["on"], _join(item_path, "on"), STAGES)
            if stage in first_seen:
                message = f"stage {stage} is already defined on line {_line(first_seen[stage])}"
                self.fail(_join(item_path, "on"), values["on"], message)
            elif stage:
                first_seen[stage] = values["on"]
                layout[stage] = blocks
        return layout

    def blocks(self, node: Node, path: str) -> tuple[Block, ...]:
        items = self.sequence(node, path)
        found = (self.block(item, f"{path}[{index}]") for index, item in enumerate(items))
        return tuple(block for block in found if block is not None)

    def block(self, node: Node, path: str) -> Block | None:
        if not isinstance(node, MappingNode):
            self.fail(path, node, f"a block must be a mapping with a type, got {_describe(node)}")
            return None
        type_node = next(
            (
                value
                for key, value in node.value
                if isinstance(key, ScalarNode) and key.value == "type"
            ),
            None,
        )
        if type_node is None or _is_null(type_node):
            self.fail(_join(path, "type"), node, "is required")
            return None
        block_type = self.block_type(type_node, _join(path, "type"))
        if block_type is None:
            return None
        spec = BLOCKS[block_type]
        values = self.mapping(node, path, ("type", *spec.props))
        if values is None:
            return None
        return Block(block_type, self.props(spec.props, values, node, path))

    def block_type(self, node: Node, path: str) -> str | None:
        name = self.text(node, path)
        if not name:
            return None
        block_type = resolve_block_type(name)
        if block_type is None:
            self.fail(path, node, _unknown_block_message(name))
        return block_type

    def props(
        self, specs: Mapping[str, Prop], values: Mapping[str, Node], owner: Node, path: str
    ) -> dict[str, Any]:
        """The properties of a block or an object, each checked against its Prop;
        absent ones get their default."""
        result: dict[str, Any] = {}
        for name, spec in specs.items():
            node = values.get(name)
            if node is not None:
                result[name] = self.prop(spec, node, _join(path, name))
            else:
                if spec.required:
                    self.fail(_join(path, name), owner, "is required")
                result[name] = spec.default
        return result

    def prop(self, spec: Prop, node: Node, path: str) -> Any:
        if spec.kind == "string":
            if spec.choices:
                return self.choice(node, path, spec.choices)
            return self.text(node, path)
        if spec.kind == "boolean":
            return self.flag(node, path)
        if spec.kind == "duration":
            return self.duration(node, path)
        if spec.kind == "string_list":
            return [
                self.text(item, f"{path}[{i}]") for i, item in enumerate(self.sequence(node, path))
            ]
        if spec.kind == "object":
            values = self.mapping(node, path, tuple(spec.fields))
            return None if values is None else self.props(spec.fields, values, node, path)
        if spec.kind == "list":
            item_spec = spec.item or Prop("any")
            items = self.sequence(node, path)
            return [self.prop(item_spec, item, f"{path}[{i}]") for i, item in enumerate(items)]
        if spec.kind == "mapping" and not isinstance(node, MappingNode):
            self.fail(path, node, f"must be a mapping, got {_describe(node)}")
            return None
        return self.data(node, path)

    def duration(self, node: Node, path: str) -> str:
        text = self.text(node, path)
        if self.is_kind(node, _STR) and parse_iso_duration(text) is None:
            message = f"must be an ISO-8601 duration such as PT30S or PT1M30S, got {_quote(text)}"
            self.fail(path, node, message)
        return text

    def data(self, node: Node, path: str) -> Any:
        """Free-form data (Table rows, TaskOutputs values) as plain JSON-ready values."""
        if isinstance(node, SequenceNode):
            return [self.data(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            values = self.mapping(node, path, None)
            return {
                key: self.data(value, _join(path, key)) for key, value in (values or {}).items()
            }
        value = _scalar_value(node)
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(path, node, "infinite and NaN numbers are not supported")
        return value

    # -- building blocks ---------------------------------------------------------------

    def mapping(
        self, node: Node, path: str, allowed: Collection[str] | None
    ) -> dict[str, Node] | None:
        """The values of a mapping node by key; reports a non-mapping, non-text keys,
        duplicate keys and keys outside `allowed` (None: any key). Null values count as
        absent, except in free-form data."""
        if not isinstance(node, MappingNode):
            self.fail(path, node, f"must be a mapping, got {_describe(node)}")
            return None
        values: dict[str, Node] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fail(path, key_node, f"keys must be text, got {_describe(key_node)}")
                continue
            key = key_node.value  # as written: YAML 1.1 would turn `on` into true
            key_path = _join(path, key)
            if key in seen:
                self.fail(key_path, key_node, "is defined twice")
            elif allowed is not None and key not in allowed:
                self.fail(key_path, key_node, _unknown_key_message(key, allowed))
            elif allowed is None or not _is_null(value_node):
                values[key] = value_node
            seen.add(key)
        return values

    def sequence(self, node: Node, path: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(path, node, f"must be a list, got {_describe(node)}")
            return []
        return list(node.value)

    def is_kind(self, node: Node, tag: str) -> bool:
        return isinstance(node, ScalarNode) and node.tag == tag

    def expect(self, node: Node, path: str, tag: str) -> bool:
        """Whether the node is a scalar of that type; reports it when not."""
        if self.is_kind(node, tag):
            return True
        kind = _KIND_OF_TAG[tag]
        article = "an" if kind[0] in "aeiou" else "a"
        hint = ""
        if tag == _STR and isinstance(node, ScalarNode):
            hint = " (put it in quotes to use it as text)"
        self.fail(path, node, f"must be {article} {kind}, got {_describe(node)}{hint}")
        return False

    def text(self, node: Node, path: str) -> str:
        return str(node.value) if self.expect(node, path, _STR) else ""

    def nonblank(self, node: Node, path: str) -> str:
        value = self.text(node, path)
        if self.is_kind(node, _STR) and not value.strip():
            self.fail(path, node, "must not be empty")
        return value

    def flag(self, node: Node, path: str) -> bool:
        return bool(_scalar_value(node)) if self.expect(node, path, _BOOL) else False

    def integer(self, node: Node, path: str) -> int:
        return int(_scalar_value(node)) if self.expect(node, path, _INT) else 0

    def choice(self, node: Node, path: str, choices: tuple[str, ...]) -> str:
        value = self.text(node, path)
        if self.is_kind(node, _STR) and value not in choices:
            upper = value.upper()
            hint = f" (values are upper case: {upper})" if upper in choices else ""
            self.fail(path, node, f"must be one of {', '.join(choices)}, got {_quote(value)}{hint}")
            return ""
        return value

    def matching(
        self, node: Node, path: str, pattern: re.Pattern[str], max_length: int, hint: str
    ) -> str:
        value = self.text(node, path)
        if not self.is_kind(node, _STR):
            return value
        if not pattern.fullmatch(value):
            self.fail(path, node, f"must match {pattern.pattern} ({hint}), got {_quote(value)}")
        elif len(value) > max_length:
            self.fail(path, node, f"must be at most {max_length} characters long")
        return value


def _unknown_key_message(key: str, allowed: Collection[str]) -> str:
    if tuple(allowed) == ("type",):
        return "is not a property of this block type, which takes none"
    expected = ", ".join(allowed)
    return f"is not a known property; expected one of {expected}{_suggest(key, allowed)}"


def _unknown_block_message(name: str) -> str:
    bare = ", ".join(BLOCKS)
    return (
        f"unknown block type {_quote(name)}{_block_suggestion(name)}; "
        f"a block type is a bare name ({bare}) or its class name: "
        "io.kestra.plugin.ee.apps.core.blocks.<Name> for core blocks, "
        "io.kestra.plugin.ee.apps.execution.blocks.<Name> for execution blocks"
    )


def _block_suggestion(name: str) -> str:
    # A known block under the wrong package or in the wrong case: name the right spelling.
    last = name.rsplit(".", 1)[-1].lower()
    known = next((spec for spec in BLOCKS.values() if spec.name.lower() == last), None)
    if known is not None:
        return f" (did you mean {known.class_name if '.' in name else known.name}?)"
    return _suggest(name, accepted_block_types())
