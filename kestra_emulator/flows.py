"""Flows read from a folder of YAML files, and their JSON form as Kestra serializes them."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import yamlutil
from .jsonutil import jsonable, to_text
from .storage import NAMESPACE_FILES_FOLDER
from .stubs import Stubs, is_stubs_file, stubs_next_to


@dataclass
class Flow:
    namespace: str
    id: str
    source: str
    definition: dict[str, Any]
    revision: int = 1
    # Outputs for the tasks the emulator does not run, from the side file (not Kestra's).
    stubs: Stubs = field(default_factory=Stubs)

    @property
    def inputs(self) -> list[dict[str, Any]]:
        return list(self.definition.get("inputs") or [])

    @property
    def tasks(self) -> list[dict[str, Any]]:
        return list(self.definition.get("tasks") or [])

    @property
    def disabled(self) -> bool:
        return bool(self.definition.get("disabled", False))

    @property
    def labels(self) -> list[dict[str, str]]:
        return labels_as_list(self.definition.get("labels"))


def labels_as_list(raw: Any) -> list[dict[str, str]]:
    """Flow labels may be a map or a list of ``{key, value}``."""
    if isinstance(raw, dict):
        return [{"key": str(k), "value": to_text(v)} for k, v in raw.items()]
    if isinstance(raw, list):
        return [{"key": str(item["key"]), "value": to_text(item["value"])} for item in raw]
    return []


@dataclass
class FlowRepository:
    """Reads ``*.yml``/``*.yaml`` files on every lookup so that edited flows take effect (a file
    is parsed again only when its text changed).

    A flow whose source changed gets the next revision, as saving a flow in Kestra does;
    its stubs (``<stem>.stubs.yml``, see `stubs`) are read again without a new revision.
    """

    folder: Path
    _known: dict[tuple[str, str], Flow] = field(default_factory=dict)
    # Each file's text and what it parsed to: a file is parsed again only when it changed.
    _parsed: dict[Path, tuple[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, namespace: str, flow_id: str) -> Flow | None:
        with self._lock:
            self._rescan()
            return self._known.get((namespace, flow_id))

    def all(self) -> list[Flow]:
        with self._lock:
            self._rescan()
            return list(self._known.values())

    def _rescan(self) -> None:
        for path in sorted(self.folder.glob("**/*.y*ml")):
            if is_stubs_file(path):
                continue
            if NAMESPACE_FILES_FOLDER in path.relative_to(self.folder).parts:
                continue  # a namespace file, not a flow
            try:
                source = path.read_text(encoding="utf-8")
                definition = self._parse(path, source)
            except (OSError, yaml.YAMLError):
                continue  # a broken file must not take the other flows down
            if not isinstance(definition, dict) or "id" not in definition:
                continue
            key = (str(definition.get("namespace", "")), str(definition["id"]))
            stubs = stubs_next_to(path)
            previous = self._known.get(key)
            if previous is None:
                self._known[key] = Flow(key[0], key[1], source, definition, stubs=stubs)
            elif previous.source != source:
                revision = previous.revision + 1
                self._known[key] = Flow(key[0], key[1], source, definition, revision, stubs)
            elif previous.stubs != stubs:
                # A new Flow: executions already running keep the one they started with.
                self._known[key] = dataclasses.replace(previous, stubs=stubs)

    def _parse(self, path: Path, source: str) -> Any:
        known = self._parsed.get(path)
        if known is not None and known[0] == source:
            return known[1]
        definition = yamlutil.load(source)
        self._parsed[path] = (source, definition)
        return definition


def input_to_json(definition: dict[str, Any]) -> dict[str, Any]:
    """An input as Kestra (1.0+) serializes it: ``defaults`` as a string, ``required`` set."""
    out = jsonable(definition)
    out.setdefault("required", True)
    for key in ("defaults", "prefill"):
        if key in definition and definition[key] is not None:
            out[key] = to_text(definition[key])
    if out.get("type") in ("SELECT", "MULTISELECT"):
        out.setdefault("allowCustomValue", False)
    if out.get("type") == "SELECT":
        out.setdefault("isRadio", False)
    return out


def flow_to_json(flow: Flow, *, dialect: str, with_source: bool) -> dict[str, Any]:
    definition = jsonable(flow.definition)
    out: dict[str, Any] = {
        "id": flow.id,
        "namespace": flow.namespace,
        "revision": flow.revision,
        "tenantId": "main",
        "description": definition.get("description"),
        "labels": flow.labels or None,
        "inputs": [input_to_json(i) for i in flow.inputs] or None,
        "outputs": definition.get("outputs"),
        "variables": definition.get("variables"),
        "tasks": definition.get("tasks"),
        "errors": definition.get("errors"),
        "disabled": flow.disabled,
        "deleted": False,
    }
    if dialect == "2.0":
        out["draft"] = False
    if with_source:
        out["source"] = flow.source
    return {k: v for k, v in out.items() if v is not None}
