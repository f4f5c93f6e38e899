"""Small edits to an app's YAML source that keep everything else as written.

Pure core: no Django, no I/O. Kestra does the same for flows (its "disable" action injects
`disabled: true` into the source), so the source stays the single truth: an app disabled
in the admin is exported, and re-imported, disabled.
"""

from __future__ import annotations

import re
from dataclasses import replace

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from apps_catalog.definition import PORTAL_KEYS, DefinitionError, parse_app
from apps_catalog.notification_settings import NotificationSettings

_BOOLEAN = re.compile(r"true|True|TRUE|false|False|FALSE")


class SourceEditError(ValueError):
    """The source cannot be edited safely by program; the person must edit it by hand."""


def with_disabled(source: str, disabled: bool) -> str:
    """The source with its top-level `disabled` set, every other character unchanged.

    An existing plain `disabled: true/false` has its value replaced; otherwise the key is
    added at the end of the top-level mapping. The result is parsed again, so an edit that
    would change anything but `disabled` is refused with SourceEditError.
    """
    try:
        current = parse_app(source)
    except DefinitionError as error:
        raise SourceEditError("the source is not a valid app definition") from error
    if current.disabled == disabled:
        return source
    edited = _edit(source, "true" if disabled else "false")
    try:
        result = parse_app(edited)
    except DefinitionError as error:
        raise SourceEditError("the edited source would not be valid") from error
    if result != replace(current, disabled=disabled):
        raise SourceEditError("the edit would change more than `disabled`")
    return edited


def _edit(source: str, value: str) -> str:
    # Safe to compose without the parser's limits: parse_app has just accepted the source.
    root = yaml.compose(source, Loader=yaml.SafeLoader)
    if not isinstance(root, MappingNode):
        raise SourceEditError("the app is not a mapping")
    for key, node in root.value:
        if isinstance(key, ScalarNode) and key.value == "disabled":
            return _replace_value(source, node, value)
    if root.flow_style:  # {id: a, ...}: add the key right after the opening brace
        at = root.start_mark.index + 1
        return f"{source[:at]}disabled: {value}, {source[at:]}"
    return _append_key(source, root, f"disabled: {value}")


def _replace_value(source: str, node: yaml.Node, value: str) -> str:
    start, end = node.start_mark.index, node.end_mark.index
    # An alias's marks point at its anchor elsewhere; only a plain literal is edited.
    if not isinstance(node, ScalarNode) or not _BOOLEAN.fullmatch(source[start:end]):
        raise SourceEditError("`disabled` is not written as a plain true or false")
    return source[:start] + value + source[end:]


def _append_key(source: str, root: MappingNode, line: str) -> str:
    """Add a line after the mapping's last entry, before any trailing comments or `...`."""
    eol = "\r\n" if "\r\n" in source else "\n"  # keep the source's line endings
    _, last_value = root.value[-1]
    end = last_value.end_mark.index
    indent = " " * root.start_mark.column
    if end > 0 and source[end - 1] == "\n":  # block collections and scalars end a line
        return f"{source[:end]}{indent}{line}{eol}{source[end:]}"
    newline = source.find("\n", end)
    if newline == -1:  # the last line has no line break
        return f"{source}{eol}{indent}{line}{eol}"
    rest_of_line = source[end:newline].strip()
    if rest_of_line and not rest_of_line.startswith("#"):
        raise SourceEditError("the last entry of the app does not end its line")
    return f"{source[: newline + 1]}{indent}{line}{eol}{source[newline + 1 :]}"


def top_level_line(source: str, key: str) -> int | None:
    """The 1-based line of a top-level key's value in a valid app source, so that an error
    found after parsing (the flow does not exist) can be shown at its line too."""
    try:
        parse_app(source)  # the limits on size, nesting and aliases, before composing
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except (DefinitionError, yaml.YAMLError):
        return None
    if not isinstance(root, MappingNode):
        return None
    for key_node, value_node in root.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return int(value_node.start_mark.line) + 1
    return None


def without_portal_keys(source: str) -> str:
    """The source without the portal's own top-level keys (`approval:`, `notifications:`,
    `translations:`), every other line as written, so that it loads into Kestra Enterprise. Refused
    (SourceEditError) when a key shares its lines with another, as in a one-line
    `{id: a, approval: …}`."""
    try:
        current = parse_app(source)
    except DefinitionError as error:
        raise SourceEditError("the source is not a valid app definition") from error
    root = yaml.compose(source, Loader=yaml.SafeLoader)
    if not isinstance(root, MappingNode):
        return source
    lines = source.splitlines(keepends=True)
    cut: set[int] = set()
    for key, node in root.value:
        if isinstance(key, ScalarNode) and key.value in PORTAL_KEYS:
            if root.flow_style:
                raise SourceEditError("the app is written on one line: remove the key by hand")
            last = node.end_mark.line - (1 if node.end_mark.column == 0 else 0)
            cut.update(range(key.start_mark.line, last + 1))
    edited = "".join(line for number, line in enumerate(lines) if number not in cut)
    try:
        result = parse_app(edited)
    except DefinitionError as error:
        raise SourceEditError("the edited source would not be valid") from error
    kestra_only = replace(
        current, approval=None, notifications=NotificationSettings(), translations={}
    )
    if result != kestra_only:
        raise SourceEditError("removing the portal's keys would change more")
    return edited


def approval_names(source: str) -> list[tuple[str, str, int]]:
    """The users and groups an app's approval policy names, as (kind, name, line), kind
    being "user" or "group": a name nobody has yet is worth a warning at its line."""
    try:
        parse_app(source)
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except (DefinitionError, yaml.YAMLError):
        return []
    policy = _value(root, "approval")
    holders = [_value(policy, "approvers"), _value(policy, "escalateTo")]
    steps = _value(policy, "steps")
    if isinstance(steps, SequenceNode):
        holders += [_value(step, "approvers") for step in steps.value]
    found = []
    for holder in holders:
        for kind, key in (("user", "users"), ("group", "groups")):
            names = _value(holder, key)
            if isinstance(names, SequenceNode):
                found += [(kind, str(n.value), n.start_mark.line + 1) for n in names.value]
    return found


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)
