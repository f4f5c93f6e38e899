"""Property-based tests of the parser (Hypothesis): random and mutated definitions.

Whatever it is fed, parse_app raises nothing but DefinitionError, answers within a
deadline, and never accepts a definition that breaks a rule: a valid example mutated to
break one rule is refused with an issue at the mutated path, and anything it does accept
satisfies every rule.
"""

from __future__ import annotations

import copy
import string
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from apps_catalog.blocks import BLOCKS, resolve_block_type
from apps_catalog.definition import (
    ACCESS_TYPES,
    FLOW_ID_PATTERN,
    ID_PATTERN,
    MAX_DISPLAY_NAME_LENGTH,
    NAMESPACE_PATTERN,
    STAGES,
    AppDefinition,
    DefinitionError,
    parse_app,
    read_documents,
)

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "apps").glob("*.yml"))
EXAMPLE_SOURCES = [path.read_text() for path in EXAMPLES]
TOP_LEVEL_TEXT_KEYS = ("id", "displayName", "namespace", "flowId", "description")
REQUIRED = ("id", "type", "displayName", "namespace", "flowId")

# Each example is at most a few milliseconds; a second is a hang, not a slow machine.
FAST = settings(
    max_examples=150,
    deadline=1000,
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class _Dumper(yaml.SafeDumper):
    """Every string double-quoted: PyYAML decides quoting by YAML 1.1, the parser reads
    YAML 1.2, and a plain `0o17` would change type between the two."""


_Dumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)


def without_nulls(value: Any) -> Any:
    """A key set to null means absent; dropping them keeps generated YAML short."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


BASES = [without_nulls(parse_app(source).to_dict()) for source in EXAMPLE_SOURCES]


def parse_or_issues(source: str) -> AppDefinition | DefinitionError:
    """The only two outcomes allowed: a definition or DefinitionError."""
    try:
        return parse_app(source)
    except DefinitionError as error:
        return error


def paths(error: AppDefinition | DefinitionError) -> list[str]:
    assert isinstance(error, DefinitionError), "a definition breaking a rule was accepted"
    assert error.issues, "DefinitionError without issues"
    return [issue.path for issue in error.issues]


def assert_follows_the_rules(definition: AppDefinition) -> None:
    """What any accepted definition must satisfy, whatever the input was."""
    assert ID_PATTERN.fullmatch(definition.id)
    assert NAMESPACE_PATTERN.fullmatch(definition.namespace)
    assert FLOW_ID_PATTERN.fullmatch(definition.flow_id)
    assert 0 < len(definition.display_name) <= MAX_DISPLAY_NAME_LENGTH
    assert definition.display_name.strip()
    assert definition.access.type in ACCESS_TYPES
    assert definition.flow_revision is None or definition.flow_revision >= 1
    assert all(isinstance(tag, str) and tag.strip() for tag in definition.tags)
    for stage, blocks in definition.layout.items():
        assert stage in STAGES
        for block in blocks:
            spec = BLOCKS[block.type]
            assert set(block.props) == set(spec.props)
            for name, prop in spec.props.items():
                value = block.props[name]
                if prop.choices and value is not None:
                    assert value in prop.choices
                if prop.required:
                    assert value is not None


# -- random input ---------------------------------------------------------------------


@FAST
@given(st.text(max_size=3000))
def test_random_text_gives_a_definition_or_issues(text: str) -> None:
    result = parse_or_issues(text)

    if isinstance(result, AppDefinition):
        assert_follows_the_rules(result)


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_as_text_give_issues(data: bytes) -> None:
    # What a file that is not UTF-8 becomes when read leniently: lone surrogates.
    text = data.decode("utf-8", "surrogateescape")

    assert isinstance(parse_or_issues(text), AppDefinition | DefinitionError)
    for _, result in read_documents(text):
        assert isinstance(result, AppDefinition | DefinitionError)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
_YAML_DATA = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=40,
)


@FAST
@given(st.dictionaries(st.sampled_from([*REQUIRED, "layout", "access", "tags"]), _YAML_DATA))
def test_random_yaml_shaped_like_an_app_gives_a_definition_or_issues(data: dict) -> None:
    result = parse_or_issues(yaml.safe_dump(data, allow_unicode=True))

    if isinstance(result, AppDefinition):
        assert_follows_the_rules(result)


_EDITS = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.sampled_from(list(":-[]{}#&*!|>'\"%@`,? \n\t") + ["  ", "\n  ", "on", "x"]),
)


@FAST
@given(st.sampled_from(EXAMPLE_SOURCES), st.lists(_EDITS, min_size=1, max_size=6))
def test_an_example_with_random_characters_edited_follows_the_rules_or_is_refused(
    source: str, edits: list
) -> None:
    for action, where, text in edits:
        at = int(where * len(source))
        if action == "insert":
            source = source[:at] + text + source[at:]
        elif action == "delete":
            source = source[:at] + source[at + len(text) :]
        else:
            source = source[:at] + text + source[at + len(text) :]

    result = parse_or_issues(source)

    if isinstance(result, AppDefinition):
        assert_follows_the_rules(result)


# -- one rule broken at a time ---------------------------------------------------------


def _blocks_with(base: dict, predicate) -> list[tuple[int, int, dict]]:
    return [
        (i, j, block)
        for i, item in enumerate(base.get("layout", []))
        for j, block in enumerate(item["blocks"])
        if predicate(block)
    ]


_ENUM_BLOCKS = [
    (base_index, i, j, name)
    for base_index, base in enumerate(BASES)
    for i, j, block in _blocks_with(base, lambda block: True)
    for name, prop in BLOCKS[block["type"]].props.items()
    if prop.choices
]


@FAST
@given(st.sampled_from(_ENUM_BLOCKS), st.text(max_size=20))
def test_a_value_outside_an_enum_is_refused_at_its_path(where: tuple, value: str) -> None:
    base_index, i, j, name = where
    spec = BLOCKS[BASES[base_index]["layout"][i]["blocks"][j]["type"]].props[name]
    assume(value not in spec.choices)
    data = copy.deepcopy(BASES[base_index])
    data["layout"][i]["blocks"][j][name] = value

    assert f"layout[{i}].blocks[{j}].{name}" in paths(parse_or_issues(dump(data)))


_KEYS = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,15}", fullmatch=True)


@FAST
@given(st.sampled_from(range(len(BASES))), _KEYS, _SCALARS, st.data())
def test_an_unknown_key_is_refused_at_its_path(base_index: int, key: str, value, data) -> None:
    app = copy.deepcopy(BASES[base_index])
    places: list[tuple[str, dict, tuple[str, ...]]] = [
        ("", app, tuple(app) + ("flowRevision", "executionId", "thumbnail", "expiration"))
    ]
    if isinstance(app.get("access"), dict):
        places.append(("access", app["access"], ("type", "groups", "catalog")))
    for i, item in enumerate(app.get("layout", [])):
        places.append((f"layout[{i}]", item, ("on", "blocks")))
        for j, block in enumerate(item["blocks"]):
            known = ("type", *BLOCKS[resolve_block_type(block["type"]) or ""].props)
            places.append((f"layout[{i}].blocks[{j}]", block, known))
    prefix, mapping, known = data.draw(st.sampled_from(places))
    assume(key not in known and key not in ("description", "tags", "access", "disabled"))
    mapping[key] = value

    expected = f"{prefix}.{key}" if prefix else key
    assert expected in paths(parse_or_issues(dump(app)))


_NOT_TEXT = st.integers() | st.booleans() | st.floats(allow_nan=False) | st.lists(st.text())


@FAST
@given(st.sampled_from(range(len(BASES))), st.sampled_from(TOP_LEVEL_TEXT_KEYS), _NOT_TEXT)
def test_a_wrong_type_is_refused_at_its_path(base_index: int, key: str, value) -> None:
    app = copy.deepcopy(BASES[base_index])
    app[key] = value

    assert key in paths(parse_or_issues(dump(app)))


@FAST
@given(st.sampled_from(range(len(BASES))), st.sampled_from(REQUIRED))
def test_a_missing_required_key_is_refused_at_its_path(base_index: int, key: str) -> None:
    app = copy.deepcopy(BASES[base_index])
    del app[key]

    error = parse_or_issues(dump(app))

    assert key in paths(error)
    assert any(i.message == "is required" for i in error.issues if i.path == key)


_LAYOUTS = [(b, i) for b, base in enumerate(BASES) for i in range(len(base.get("layout", [])))]


@FAST
@given(st.sampled_from(_LAYOUTS), st.text(min_size=1, max_size=12))
def test_an_unknown_stage_is_refused_at_its_path(where: tuple, stage: str) -> None:
    assume(stage not in STAGES)
    base_index, i = where
    app = copy.deepcopy(BASES[base_index])
    app["layout"][i]["on"] = stage

    assert f"layout[{i}].on" in paths(parse_or_issues(dump(app)))


@FAST
@given(st.sampled_from(_LAYOUTS), st.text(min_size=1, max_size=40))
def test_an_unknown_block_type_is_refused_at_its_path(where: tuple, block_type: str) -> None:
    assume(block_type.strip() and resolve_block_type(block_type) is None)
    base_index, i = where
    app = copy.deepcopy(BASES[base_index])
    app["layout"][i]["blocks"][0] = {"type": block_type}

    assert f"layout[{i}].blocks[0].type" in paths(parse_or_issues(dump(app)))


@FAST
@given(
    st.sampled_from(range(len(BASES))),
    st.sampled_from(["id", "namespace", "flowId"]),
    st.text(alphabet=string.printable, min_size=1, max_size=30),
)
def test_an_identifier_is_accepted_exactly_when_it_matches_its_pattern(
    base_index: int, key: str, value: str
) -> None:
    pattern = {"id": ID_PATTERN, "namespace": NAMESPACE_PATTERN, "flowId": FLOW_ID_PATTERN}[key]
    app = copy.deepcopy(BASES[base_index])
    app[key] = value

    result = parse_or_issues(dump(app))

    if pattern.fullmatch(value):
        assert isinstance(result, AppDefinition)
    else:
        assert paths(result) == [key]


# -- what is valid is accepted, and means what it says -----------------------------------

_NAME = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=150
).filter(lambda text: text.strip())


@FAST
@given(
    st.sampled_from(range(len(BASES))),
    _NAME,
    st.lists(_NAME.filter(lambda t: len(t) <= 100), unique=True, max_size=5),
    st.sampled_from(ACCESS_TYPES),
    st.booleans(),
    st.integers(min_value=1, max_value=2**31 - 1) | st.none(),
)
def test_a_valid_definition_is_accepted_and_read_as_written(
    base_index: int, name: str, tags: list, access: str, catalog: bool, revision
) -> None:
    app = copy.deepcopy(BASES[base_index])
    app.update(displayName=name, tags=tags, access={"type": access, "catalog": catalog})
    if revision is not None:
        app["flowRevision"] = revision

    result = parse_or_issues(dump(app))

    assert isinstance(result, AppDefinition), str(result)
    assert (result.display_name, list(result.tags)) == (name, tags)
    assert (result.access.type, result.access.catalog) == (access, catalog)
    assert result.flow_revision == revision
    assert parse_app(dump(without_nulls(result.to_dict()))) == result


# -- hostile documents (the ones test_definition.py does not already cover) -------------


def _expect_issue_quickly(source: str, fragment: str, seconds: float = 3) -> None:
    """Refused within `seconds` of this thread's CPU time: the work done, which another
    process loading the machine does not stretch as it stretches the wall clock."""
    started = time.thread_time()
    result = parse_or_issues(source)
    elapsed = time.thread_time() - started

    assert isinstance(result, DefinitionError)
    assert any(fragment in issue.message for issue in result.issues), result.issues
    assert elapsed < seconds


def test_a_one_megabyte_document_of_unknown_keys_is_refused_naming_every_key() -> None:
    header = dump(BASES[0])
    filler: list[str] = []
    size = len(header)
    while size + 40 < 1024 * 1024:
        filler.append(f"unknown_{len(filler)}: {'x' * 20}\n")
        size += len(filler[-1])
    source = header + "".join(filler)
    assert 1000 * 1000 < len(source.encode()) <= 1024 * 1024

    started = time.thread_time()  # CPU time, as _expect_issue_quickly
    result = parse_or_issues(source)
    elapsed = time.thread_time() - started

    assert isinstance(result, DefinitionError)
    assert len(result.issues) == len(filler)  # all of them at once, not the first only
    first_line = header.count("\n") + 1
    assert (result.issues[0].path, result.issues[0].line) == ("unknown_0", first_line)
    assert elapsed < 15  # pure-Python PyYAML: about 2 s on a laptop


def test_a_document_just_over_the_limit_in_a_multi_document_import_is_refused() -> None:
    big = dump(BASES[0]) + "description: '" + "é" * (530 * 1024) + "'\n"

    results = read_documents(dump(BASES[1]) + "---\n" + big)

    assert isinstance(results[0][1], AppDefinition)
    assert isinstance(results[1][1], DefinitionError)
    assert "larger than 1 MB" in str(results[1][1])


def test_an_alias_bomb_made_of_mappings_is_refused_quickly() -> None:
    lines = ["a0: &a0 {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x, k9: x}"]
    for level in range(1, 9):
        keys = ", ".join(f"k{i}: *a{level - 1}" for i in range(10))
        lines.append(f"a{level}: &a{level} {{{keys}}}")

    _expect_issue_quickly(
        "\n".join(lines) + "\n", "aliases expand the document by more than", seconds=1
    )


def test_an_alias_bomb_inside_a_valid_app_is_refused_quickly() -> None:
    app = {key: value for key, value in BASES[0].items() if key not in ("tags", "description")}
    rows = ", ".join(["*row"] * 20_000)  # 20,000 aliases, each adding 9 nodes
    source = dump(app) + "description: &row [a, b, c, d, e, f, g, h]\n" + f"tags: [{rows}]\n"

    _expect_issue_quickly(source, "aliases expand the document by more than")


def test_wide_nesting_through_flow_collections_is_refused_quickly() -> None:
    source = dump(BASES[0]) + "description: " + "[{a: " * 2_000 + "x" + "}]" * 2_000 + "\n"

    _expect_issue_quickly(source, "more than 50 levels deep", seconds=1)
