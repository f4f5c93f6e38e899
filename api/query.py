"""Query parameters of Kestra's list endpoints: page and size, sort, and filters, in both
the plain form (`namespace=`, `tags=`, `q=`) and kestrapy's `filters[field][OP]=value`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from api.problems import Problem

MAX_PAGE_SIZE = 1000
_FILTER = re.compile(r"filters\[(?P<field>[A-Za-z_]+)\]\[(?P<op>[A-Z_]+)\]")
# field -> the operations understood on it
_OPERATIONS = {
    "namespace": {"EQUALS", "PREFIX", "STARTS_WITH"},
    "flowId": {"EQUALS"},
    "tags": {"EQUALS", "IN"},
    "q": {"EQUALS", "CONTAINS"},
}


def bad_request(detail: str, path: str = "") -> Problem:
    return Problem(400, detail, errors=[{"path": path, "message": detail}] if path else [])


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, as Kestra's
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _positive_int(params: QueryDict, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(_("%(name)s must be a whole number") % {"name": name}, name) from None
    if not 1 <= value <= maximum:
        raise bad_request(
            _("%(name)s must be between 1 and %(maximum)s") % {"name": name, "maximum": maximum},
            name,
        )
    return value


def page_of(params: QueryDict, default_size: int = 10) -> Page:
    return Page(
        _positive_int(params, "page", 1, 10**6),
        _positive_int(params, "size", default_size, MAX_PAGE_SIZE),
    )


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool


def sorts_of(params: QueryDict, columns: dict[str, str]) -> list[Sort]:
    """`sort=name:asc` (repeatable), Kestra's form; `columns` maps API names to columns."""
    found = []
    for raw in params.getlist("sort"):
        name, _colon, direction = raw.partition(":")
        if name not in columns or direction.lower() not in {"", "asc", "desc"}:
            choices = ", ".join(sorted(columns))
            raise bad_request(
                _("cannot sort by %(value)s; use one of %(choices)s, :asc or :desc")
                % {"value": repr(raw), "choices": choices},
                "sort",
            )
        found.append(Sort(columns[name], direction.lower() == "desc"))
    return found


@dataclass
class Filters:
    namespace: str = ""
    namespace_prefix: str = ""
    flow_id: str = ""
    tags: list[str] = field(default_factory=list)
    text: str = ""


def _apply(filters: Filters, name: str, op: str, value: str) -> None:
    if name == "namespace":
        if op == "EQUALS":
            filters.namespace = value
        else:
            filters.namespace_prefix = value
    elif name == "flowId":
        filters.flow_id = value
    elif name == "tags":
        filters.tags += [tag for tag in value.split(",") if tag]
    elif name == "q":
        filters.text = f"{filters.text} {value}".strip()


def filters_of(params: QueryDict, allowed: set[str]) -> Filters:
    """The filters asked for; 400 for one that is not understood rather than ignoring it."""
    filters = Filters()
    for name in ("namespace", "flowId", "q"):
        value = params.get(name)
        if name in allowed and value:
            _apply(filters, name, "PREFIX" if name == "namespace" else "EQUALS", value)
    if "tags" in allowed:
        filters.tags += [tag for tag in params.getlist("tags") if tag]
    for key in params:
        if not key.startswith("filters["):
            continue
        match = _FILTER.fullmatch(key)
        if match is None or match["field"] not in allowed:
            raise bad_request(_("unsupported filter %(key)s") % {"key": repr(key)}, key)
        if match["op"] not in _OPERATIONS[match["field"]]:
            raise bad_request(_("unsupported operation in %(key)s") % {"key": repr(key)}, key)
        for value in params.getlist(key):
            _apply(filters, match["field"], match["op"], value)
    return filters
