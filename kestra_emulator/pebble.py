"""Rewrite the Pebble operators Jinja lacks: ``a ?? b`` (null-coalescing) and ``c ? a : b``.

Only operators at the top level of a ``{{ … }}`` block are rewritten (not inside quotes or
brackets), which covers how flows use them.
"""

from __future__ import annotations

import re

_BLOCK = re.compile(r"\{\{(?P<body>.*?)\}\}", re.DOTALL)
_OPEN, _CLOSE = "([{", ")]}"


def _part_of_coalesce(expr: str, i: int, operator: str) -> bool:
    """A single ``?`` that belongs to a ``??`` is not a ternary."""
    return operator == "?" and (expr.startswith("??", i) or expr[i - 1 : i] == "?")


def _top_level(expr: str, operator: str) -> list[int]:
    """Positions of ``operator`` outside quotes and brackets."""
    found, depth, quote, i = [], 0, "", 0
    while i < len(expr):
        char = expr[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif (
            depth == 0 and expr.startswith(operator, i) and not _part_of_coalesce(expr, i, operator)
        ):
            found.append(i)
            i += len(operator)
            continue
        i += 1
    return found


def translate_expression(expr: str) -> str:
    coalesce = _top_level(expr, "??")
    if coalesce:
        parts, start = [], 0
        for position in coalesce:
            parts.append(expr[start:position])
            start = position + 2
        parts.append(expr[start:])
        result = translate_expression(parts[-1])
        for part in reversed(parts[:-1]):
            result = f"(({translate_expression(part)}) | pebble_coalesce(({result})))"
        return result
    question = _top_level(expr, "?")
    if question:
        condition, rest = expr[: question[0]], expr[question[0] + 1 :]
        colon = _top_level(rest, ":")
        if colon:
            then, otherwise = rest[: colon[0]], rest[colon[0] + 1 :]
            return (
                f"(({translate_expression(then)}) if ({translate_expression(condition)}) "
                f"else ({translate_expression(otherwise)}))"
            )
    return expr


def translate(template: str) -> str:
    """The template with each ``{{ … }}`` block's Pebble operators rewritten for Jinja."""
    if "?" not in template:
        return template
    return _BLOCK.sub(lambda m: "{{" + translate_expression(m.group("body")) + "}}", template)
