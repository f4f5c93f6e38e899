"""`make messages`: gather every string to translate (templates and Python: the django
domain; static/portal/*.js: djangojs) into locale/<language>/LC_MESSAGES for each of
settings.LANGUAGES but English, then compile them. Needs gettext's xgettext and msgmerge."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import to_locale

# Never sources of the portal's strings.
IGNORED = [".venv", "venv", "var", "node_modules", "tests", "bench", "mutants", "build", "vendor"]
SOURCE_LANGUAGE = "en"


def catalog_locales() -> list[str]:
    """The locale directories to translate: every language but the one the sources are in."""
    return [to_locale(code) for code, _ in settings.LANGUAGES if code != SOURCE_LANGUAGE]


class Command(BaseCommand):
    help = "Update the .po catalogs of every language from the sources, then compile them."

    def handle(self, *args: Any, **options: Any) -> None:
        locales = catalog_locales()
        for domain in ("django", "djangojs"):
            call_command(
                "makemessages",
                locale=locales,
                domain=domain,
                ignore_patterns=IGNORED,
                no_obsolete=True,
                add_location="file",
                verbosity=options["verbosity"],
            )
        call_command("compile_catalogs", verbosity=options["verbosity"])
