"""The package's one error: every failure to parse or render a template is a PebbleError,
with Kestra's wording where Kestra has one."""

from __future__ import annotations


class PebbleError(ValueError):
    """A template that cannot be parsed or rendered, or that goes past a limit."""
