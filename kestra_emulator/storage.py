"""Internal storage: ``kestra:///`` URIs mapped to files under one folder (reference §8.1)."""

from __future__ import annotations

import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SCHEME = "kestra://"


def slugify(text: str) -> str:
    """Kestra's ``Slugify.of``: whitespace to dashes, drop what is not ``[\\w-]``, lower case."""
    text = re.sub(r"\s+", "-", text)
    text = unicodedata.normalize("NFD", text)
    text = re.sub(r"[^\w-]", "", text, flags=re.ASCII)
    return text.strip("-").lower()


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    return f"{SCHEME}/{namespace.replace('.', '/')}/{slugify(flow_id)}/executions/{execution_id}/"


def input_file_uri(
    namespace: str, flow_id: str, execution_id: str, input_id: str, file_name: str
) -> str:
    safe_name = Path(file_name).name or input_id
    return f"{execution_prefix(namespace, flow_id, execution_id)}inputs/{input_id}/{safe_name}"


def task_file_uri(
    namespace: str, flow_id: str, execution_id: str, task_id: str, task_run_id: str, name: str
) -> str:
    prefix = execution_prefix(namespace, flow_id, execution_id)
    return f"{prefix}tasks/{slugify(task_id)}/{task_run_id}/{name}"


def random_file_name(extension: str) -> str:
    """Kestra names task files with a random number, e.g. ``8580806061061976640.ion``."""
    ext = extension if not extension or extension.startswith(".") else f".{extension}"
    return f"{secrets.randbelow(10**19)}{ext}"


@dataclass
class Storage:
    root: Path

    def path_for(self, uri: str) -> Path:
        if not uri.startswith(SCHEME + "/"):
            raise ValueError(f"Not a kestra:// URI: {uri}")
        relative = uri[len(SCHEME) + 1 :]
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"Path escapes the storage: {uri}")
        return path

    def write(self, uri: str, content: bytes) -> None:
        path = self.path_for(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    def read(self, uri: str) -> bytes:
        path = self.path_for(uri)
        if not path.is_file():
            raise FileNotFoundError(uri)
        return path.read_bytes()

    def size(self, uri: str) -> int:
        path = self.path_for(uri)
        if not path.is_file():
            raise FileNotFoundError(uri)
        return path.stat().st_size

    def clear(self) -> None:
        for child in self.root.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


# Where namespace files are kept beside the flows (Kestra keeps them under `_files` of the
# namespace in its internal storage); not a place flows are read from.
NAMESPACE_FILES_FOLDER = "_files"


@dataclass
class NamespaceFiles:
    """Namespace files from a folder: ``<root>/<namespace>/<path>``, read on each request."""

    root: Path

    def read(self, namespace: str, path: str) -> bytes:
        """The file at `path` ("/logo.svg") in `namespace`. FileNotFoundError when there is
        none, ValueError for a path Kestra refuses (outside the namespace, or `_flows`)."""
        relative = path.lstrip("/")
        if not relative or relative.split("/", 1)[0] == "_flows":
            raise ValueError(f"Forbidden path: {path}")
        folder = (self.root / namespace).resolve()
        file = (folder / relative).resolve()
        if not file.is_relative_to(folder) or not folder.is_relative_to(self.root.resolve()):
            raise ValueError(f"Forbidden path: {path}")
        if not file.is_file():
            raise FileNotFoundError(path)
        return file.read_bytes()
