"""How Pebble hands arguments to a filter or function.

Each filter and function declares its argument names as Python parameters; Pebble fills
them from the call: positional arguments in the declared order, named ones by name. A name
that is not declared, or one positional argument too many, is an error in Pebble's words.
One that declares no names (`upper`) ignores what it is given, and one that takes `*args`
(`max`, `min`) receives the positional arguments as they are. An argument not given is
null, as in Pebble, unless the parameter has another default.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from kestra_pebble.errors import PebbleError


def pebble_arguments(leading: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a filter (`leading=2`: env, input) or a function (`leading=1`: env)."""

    def wrap(implementation: Callable[..., Any]) -> Callable[..., Any]:
        parameters = list(inspect.signature(implementation).parameters.values())[leading:]
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):

            @functools.wraps(implementation)
            def varargs(*args: Any, **_named: Any) -> Any:
                return implementation(*args)

            return varargs

        names = [p.name for p in parameters]

        @functools.wraps(implementation)
        def call(*args: Any, **named: Any) -> Any:
            head, given = args[:leading], args[leading:]
            if not names:
                return implementation(*head)
            if len(given) > len(names):
                raise PebbleError(
                    f"The argument at position {len(names) + 1} is not allowed. "
                    f"Only {len(names)} argument(s) are allowed."
                )
            bound = dict(zip(names, given, strict=False))
            for name, value in named.items():
                if name not in names:
                    raise PebbleError(f"The following named argument does not exist: {name}")
                bound[name] = value
            return implementation(*head, **bound)

        return call

    return wrap
