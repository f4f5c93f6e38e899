"""YAML loading as Kestra reads flows: only true/false are booleans.

PyYAML follows YAML 1.1, where ``yes``, ``no``, ``on`` and ``off`` are booleans; Kestra's
mapper keeps them as strings (a SELECT value ``ON``, a task id ``no``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class KestraLoader(yaml.SafeLoader):
    pass


KestraLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
KestraLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load(text: str) -> Any:
    return yaml.load(text, Loader=KestraLoader)  # noqa: S506 - a SafeLoader subclass
