"""Kestra's expression language: Pebble's templates with the operators, filters and
functions Kestra adds, with Java's semantics (integer arithmetic, `+` that concatenates,
`true`/`false` printed). Pure Python: no Django, no portal or emulator imports, so the
portal's blocks and the emulator's flows evaluate expressions the same way."""

from functools import cache

from kestra_pebble.engine import Engine
from kestra_pebble.filters import FILTERS
from kestra_pebble.functions import FUNCTIONS

__all__ = ["FILTERS", "FUNCTIONS", "Engine", "default_engine"]


@cache
def default_engine() -> Engine:
    """The engine with every filter and function Kestra has but the backend ones (`secret`,
    `kv`, `read`...): a caller that offers those builds its own
    `Engine(filters=FILTERS, functions={**FUNCTIONS, "kv": ...})`."""
    return Engine(filters=FILTERS, functions=FUNCTIONS)
