from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps_catalog.definition import AppDefinition, DefinitionError, read_documents
from apps_catalog.services import app_save_source, app_warnings
from executions.kestra import KestraError, get_client

YAML_SUFFIXES = {".yml", ".yaml"}


def _yaml_files(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES)
        else:
            yield path


def _flow(definition: AppDefinition) -> dict[str, Any] | None:
    """The app's flow, to warn about a pause without an approval policy; None when Kestra
    cannot show it (an import does not need Kestra)."""
    try:
        return get_client().flow(definition.namespace, definition.flow_id, definition.flow_revision)
    except KestraError:
        return None


class Command(BaseCommand):
    help = "Create or update apps from YAML files or folders (one app per document)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="YAML files or folders holding them")

    def handle(self, *args: Any, paths: list[str], **options: Any) -> None:
        failures = 0
        for path in _yaml_files(paths):
            failures += self._import_file(path)
        if failures:
            raise CommandError(f"{failures} app(s) could not be imported")

    def _import_file(self, path: Path) -> int:
        try:
            # Decoded by hand: read_text would turn \r\n into \n, and the source is
            # stored exactly as written.
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            self.stderr.write(f"{path}: cannot read: {exc}")
            return 1
        except UnicodeDecodeError as exc:
            self.stderr.write(
                f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at {exc.start})"
            )
            return 1
        failures = 0
        documents = read_documents(text)
        for index, (source, result) in enumerate(documents):
            where = f"{path}" if len(documents) == 1 else f"{path} [document {index + 1}]"
            if isinstance(result, DefinitionError):
                failures += 1
                for issue in result.issues:
                    line = f"line {issue.line}: " if issue.line else ""
                    self.stderr.write(
                        f"{where}: {line}{issue.path or '(document)'}: {issue.message}"
                    )
                continue
            app, created = app_save_source(source=source, definition=result)
            verb = "created" if created else "updated"
            self.stdout.write(f"{where}: {verb} {app.namespace}.{app.app_id} (uid {app.uid})")
            for warning in app_warnings(definition=result, source=source, flow=_flow(result)):
                self.stderr.write(f"{where}: warning: {warning}")
        return failures
