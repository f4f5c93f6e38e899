from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps_catalog.models import App

# Namespaces and ids are already limited to these characters by the parser; the pattern
# is applied anyway so that no stored value can reach outside the folder.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def export_file_name(app: App) -> str:
    """`<namespace>.<id>.yml`: unique because (namespace, id) is, and safe on every OS."""
    name = _UNSAFE.sub("_", f"{app.namespace}.{app.app_id}").lstrip(".") or app.uid
    return f"{name}.yml"


class Command(BaseCommand):
    help = "Write one YAML file per app, its source exactly as stored, into a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="the folder to write to (created when missing)")

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        folder = Path(directory)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"{folder}: cannot create the folder: {exc}") from exc
        count = 0
        taken: set[str] = set()
        for app in App.objects.order_by("namespace", "app_id").only(
            "namespace", "app_id", "uid", "source"
        ):
            name = export_file_name(app)
            if name.lower() in taken:  # ids differing only in case, on a case-blind disk
                name = f"{name[:-4]}.{app.uid}.yml"
            taken.add(name.lower())
            path = folder / name
            # newline="" writes the source byte for byte, \r\n included.
            path.write_text(app.source, encoding="utf-8", newline="")
            self.stdout.write(f"{path}: {app.namespace}.{app.app_id}")
            count += 1
        self.stdout.write(f"{count} app(s) exported to {folder}")
