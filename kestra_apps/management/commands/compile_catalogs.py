"""Compile locale/*/LC_MESSAGES/*.po into the .mo files Django reads, in Python (polib): a
fresh machine needs no gettext tools to run the portal. The .mo files are build output, not
committed (.gitignore); make run and make test call this first. Fuzzy entries are left out,
as msgfmt leaves them out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib  # type: ignore[import-untyped]
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the portal's .po catalogs into .mo files (only those out of date)."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for root in settings.LOCALE_PATHS:
            for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                catalog = polib.pofile(str(po_path))
                for entry in catalog.fuzzy_entries():
                    catalog.remove(entry)
                catalog.save_as_mofile(str(mo_path))
                compiled += 1
        self.stdout.write(f"{compiled} catalog(s) compiled.")
