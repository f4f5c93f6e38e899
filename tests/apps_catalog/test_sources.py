"""Editing `disabled` in a source by program, every other character kept (pure, no DB)."""

from __future__ import annotations

import pytest

from apps_catalog.definition import parse_app
from apps_catalog.sources import SourceEditError, top_level_line, with_disabled
from tests.apps_catalog.conftest import APP_TYPE, app_yaml

HEAD = app_yaml("a")


@pytest.mark.parametrize(
    ("source", "disabled_source"),
    [
        (HEAD, HEAD + "disabled: true\n"),
        (HEAD.rstrip("\n"), HEAD + "disabled: true\n"),
        (HEAD + "disabled: false  # why\n", HEAD + "disabled: true  # why\n"),
        (HEAD + "disabled: False\n", HEAD + "disabled: true\n"),
        (HEAD + "description: |\n  hi\n", HEAD + "description: |\n  hi\ndisabled: true\n"),
        (HEAD + "tags: [x]\n# the end\n", HEAD + "tags: [x]\ndisabled: true\n# the end\n"),
        ("---\n" + HEAD + "...\n", "---\n" + HEAD + "disabled: true\n...\n"),
        (
            HEAD + "layout:\n  - on: OPEN\n    blocks:\n      - type: Divider\n",
            HEAD + "layout:\n  - on: OPEN\n    blocks:\n      - type: Divider\ndisabled: true\n",
        ),
        (
            f"{{id: a, type: {APP_TYPE}, displayName: A, namespace: n, flowId: f}}",
            f"{{disabled: true, id: a, type: {APP_TYPE}, displayName: A, namespace: n, flowId: f}}",
        ),
        (HEAD.replace("\n", "\r\n"), (HEAD + "disabled: true\n").replace("\n", "\r\n")),
    ],
)
def test_disabling_edits_only_the_disabled_key(source: str, disabled_source: str) -> None:
    edited = with_disabled(source, True)

    assert edited == disabled_source
    assert parse_app(edited).disabled
    assert with_disabled(edited, True) == edited  # already so: unchanged


def test_enabling_again_gives_an_explicit_false() -> None:
    assert with_disabled(HEAD + "disabled: true\n", False) == HEAD + "disabled: false\n"
    assert with_disabled(HEAD, False) == HEAD


@pytest.mark.parametrize(
    "source",
    [
        HEAD + "layout: [{on: OPEN, blocks: [{type: Table, data: [{x: &f false}]}]}]\n"
        "disabled: *f\n",
        HEAD + "disabled: !!bool false\n",
        "not: an app\n",
    ],
)
def test_what_cannot_be_edited_safely_is_refused(source: str) -> None:
    with pytest.raises(SourceEditError):
        with_disabled(source, True)


def test_top_level_line_finds_the_value_of_a_key() -> None:
    assert top_level_line(HEAD, "flowId") == 5
    assert top_level_line("\n\n" + HEAD, "id") == 3
    assert top_level_line(HEAD, "layout") is None
    assert top_level_line("id: [", "id") is None
