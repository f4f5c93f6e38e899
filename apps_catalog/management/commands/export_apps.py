from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps_catalog.models import App
from apps_catalog.services import export_files
from apps_catalog.sources import SourceEditError, without_portal_keys


class Command(BaseCommand):
    help = (
        "Write one YAML file per app, its source exactly as stored, into a folder;"
        " --kestra leaves out the portal's extensions (approval:) for Kestra Enterprise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="the folder to write to (created when missing)")
        parser.add_argument(
            "--kestra",
            action="store_true",
            help="leave out the portal's own keys, so the files load into Kestra Enterprise",
        )

    def handle(self, *args: Any, directory: str, kestra: bool = False, **options: Any) -> None:
        folder = Path(directory)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"{folder}: cannot create the folder: {exc}") from exc
        count = failures = 0
        apps = App.objects.order_by("namespace", "app_id").only(
            "namespace", "app_id", "uid", "source"
        )
        for name, app in export_files(apps):
            path = folder / name
            try:
                source = without_portal_keys(app.source) if kestra else app.source
            except SourceEditError as exc:
                self.stderr.write(f"{path}: not written: {exc}")
                failures += 1
                continue
            # newline="" writes the source byte for byte, \r\n included.
            path.write_text(source, encoding="utf-8", newline="")
            self.stdout.write(f"{path}: {app.namespace}.{app.app_id}")
            count += 1
        self.stdout.write(f"{count} app(s) exported to {folder}")
        if failures:
            raise CommandError(f"{failures} app(s) could not be exported for Kestra")
