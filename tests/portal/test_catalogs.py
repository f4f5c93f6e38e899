"""The translations are complete and current, and no page is left in English.

- Every catalog (locale/<language>/LC_MESSAGES/{django,djangojs}.po, every language but
  English) has every entry translated, none fuzzy, with the same placeholders as the source.
- The catalogs hold exactly the strings of the sources: `manage.py update_catalogs` (what
  `make messages` runs) in a copy of the project gives the same entries.
- The pages the fixtures reach (catalog, app form and its validation errors, an execution
  waiting for approval, approvals, my requests, preferences, tokens, login, not found, the
  admin's YAML editor and its preview), drawn in each language, keep no text of their
  English drawing but product names and the app's own content (apps carry one language).

These fail until translators have filled the catalogs; docs/i18n.md says how.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils.translation import get_language_info, to_language

from accounts.policy import execution_link
from apps_catalog.services import app_save_source
from executions import services
from executions.adoption import execution_adopt
from executions.models import Execution
from kestra_apps.management.commands.update_catalogs import catalog_locales
from tests import kestra_http
from tests.conftest import EXAMPLES, ROOT
from tests.personas import APPROVERS, grant_use, signed_in

LOCALES = catalog_locales()
PREVIEW = "/admin/apps_catalog/app/preview/"
DOMAINS = ["django", "djangojs"]
CATALOGS = [(locale, domain) for locale in LOCALES for domain in DOMAINS]
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|%d")
# Names that stay as they are in every language: products, and Kestra's own identifiers (log
# levels, execution states) shown as Kestra writes them.
PRODUCT_NAMES = {"Kestra", "Kestra Apps", "Apprise", "Axes", "YAML", "JSON", "Markdown"}
KESTRA_WORDS = {"FALLBACK", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CREATED", "RUNNING"}
KESTRA_WORDS |= {"PAUSED", "SUCCESS", "FAILED", "KILLED", "WARNING", "QUEUED", "RESTARTED"}
KESTRA_WORDS |= {"start", "fetch", "notify"}  # the admin preview's sample task ids


def _catalog(locale: str, domain: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / locale / "LC_MESSAGES" / f"{domain}.po"))


def _key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


@pytest.mark.parametrize(("locale", "domain"), CATALOGS)
def test_every_entry_is_translated_and_none_is_fuzzy(locale, domain):
    catalog = _catalog(locale, domain)
    untranslated = [_key(entry) for entry in catalog.untranslated_entries()]
    fuzzy = [_key(entry) for entry in catalog.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, first: {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, first: {fuzzy[:5]}"


@pytest.mark.parametrize(("locale", "domain"), CATALOGS)
def test_every_translation_keeps_the_placeholders_of_its_source(locale, domain):
    wrong = []
    for entry in _catalog(locale, domain).translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]:
            # A plural form may leave the number out ("one error" for "%s error").
            if sorted(set(PLACEHOLDER.findall(text))) not in (sorted(set(wanted)), []):
                wrong.append((entry.msgid, text))
    assert not wrong, wrong[:5]


@pytest.fixture(scope="module")
def remade_catalogs(tmp_path_factory) -> Path:
    """The catalogs as `make messages` makes them from the sources, in a copy of the project
    (makemessages writes where it reads)."""
    assert shutil.which("xgettext") and shutil.which("msgmerge"), (
        "makemessages needs gettext (apt-get install gettext; .ci/run installs it)"
    )
    copy = tmp_path_factory.mktemp("project") / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "var", "node_modules", "mutants", "__pycache__", "*.mo"
        ),
    )
    env = {**os.environ, "PORTAL_DATA_DIR": str(copy / "var")}
    command = [sys.executable, "manage.py", "update_catalogs", "-v", "0"]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=300)
    return copy / "locale"


@pytest.mark.parametrize(("locale", "domain"), CATALOGS)
def test_the_catalog_holds_exactly_the_strings_of_the_sources(remade_catalogs, locale, domain):
    remade = polib.pofile(str(remade_catalogs / locale / "LC_MESSAGES" / f"{domain}.po"))
    in_sources = {_key(entry) for entry in remade if not entry.obsolete}
    in_catalog = {_key(entry) for entry in _catalog(locale, domain) if not entry.obsolete}
    assert not in_sources - in_catalog, (
        f"not in the catalog (make messages): {in_sources - in_catalog}"
    )
    assert not in_catalog - in_sources, f"no longer in the sources: {in_catalog - in_sources}"


# Every page in every language


class _Text(HTMLParser):
    """The text a person reads: text nodes and the attributes read out or shown, not code,
    scripts, the YAML being edited, nor dates and durations (<time>: Django's own filters)."""

    SKIPPED = {"script", "style", "code", "pre", "textarea", "time"}
    READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}

    def __init__(self) -> None:
        super().__init__()
        self.skipping = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        self.texts += [value for name, value in attrs if name in self.READ_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.texts.append(data)


def _texts(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return {" ".join(text.split()) for text in parser.texts} - {""}


def _strings(node) -> set[str]:
    """Every string of a parsed YAML document: an app's or a flow's own content."""
    if isinstance(node, dict):
        return {s for value in node.values() for s in _strings(value)}
    if isinstance(node, list):
        return {s for value in node for s in _strings(value)}
    text = " ".join(str(node).split())
    return {text, re.sub(r"^[#>*\-\s]+", "", text)}  # and as its Markdown draws it


def _english_left(text: str, kept: list[str]) -> bool:
    """Whether words remain in a text once what is kept is taken out of it ("Vacation
    requests · Kestra Apps": the app's name, the product's)."""
    for known in kept:
        if len(known) > 2:
            text = re.sub(rf"(?<!\w){re.escape(known)}(?!\w)", " ", text, flags=re.IGNORECASE)
    return re.search(r"[A-Za-z]{2,}", text) is not None and text.strip().lower() not in {
        k.lower() for k in kept
    }


@pytest.fixture
def pages(kestra, approver, admin):
    """Each page a person of the fixtures reaches: (name, client, method, path, data)."""
    source = (EXAMPLES / "apps" / "vacation_approval.yml").read_text()
    app, _ = app_save_source(source=source)
    grant_use(Group.objects.get(name=APPROVERS), app)
    inputs = {
        "request.name": "Lin",
        "request.start_date": "2027-01-04",
        "request.end_date": "2027-01-08",
    }
    kestra_id = kestra_http.start_paused(kestra, "demo", "vacation_request", inputs)
    execution = execution_adopt(app=app, kestra_id=kestra_id)
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    person, root = signed_in(approver), signed_in(admin)
    execution_page = reverse(
        "executions:execution", kwargs={"uid": app.uid, "execution_id": execution.public_id}
    )
    # An execution just started, with no log line yet, opened by its signed link.
    data_source = (EXAMPLES / "apps" / "data_request.yml").read_text()
    data_app, _ = app_save_source(source=data_source)
    quiet = Execution.objects.create(
        app=data_app,
        kestra_id="quiet",
        delivery="DELIVERED",
        state="RUNNING",
        stage="RUNNING",
        snapshot={"inputs": {"dataset": "stores"}},
    )
    quiet_page = reverse(
        "executions:execution", kwargs={"uid": data_app.uid, "execution_id": quiet.public_id}
    )
    content = _strings(yaml.safe_load(source)) | _strings(yaml.safe_load(data_source))
    for flow in (EXAMPLES / "flows").glob("*.yml"):
        content |= _strings(yaml.safe_load(flow.read_text()))
    content |= {
        app.uid,
        execution.public_id,
        kestra_id,
        data_app.uid,
        quiet.public_id,
        "Preparing your stores extract...",  # the app's own words, its expression rendered
        approver.username,
        approver.email,
        admin.username,
        admin.email,
        *inputs.values(),
    }
    return content, [
        ("catalog", person, "get", "/apps/", None),
        ("app form", person, "get", f"/apps/{app.uid}/", None),
        ("app form with errors", person, "post", f"/apps/{app.uid}/", {}),
        ("execution awaiting approval", person, "get", execution_page, None),
        (
            "execution with no logs yet",
            person,
            "get",
            f"{quiet_page}?link={execution_link(quiet)}",
            None,
        ),
        ("approvals", person, "get", "/apps/approvals/", None),
        ("my requests", person, "get", "/apps/requests/", None),
        ("preferences", person, "get", "/notifications/", None),
        ("tokens", person, "get", "/accounts/tokens/", None),
        ("login", Client(), "get", "/accounts/login/", None),
        ("not found", person, "get", "/apps/no-such-app/", None),
        ("admin YAML editor", root, "get", f"/admin/apps_catalog/app/{app.pk}/change/", None),
        (
            "admin preview",
            root,
            "post",
            "/admin/apps_catalog/app/preview/",
            {"source": source, "object_id": app.pk},
        ),
    ]


def _draw(client, method: str, path: str, data, language: str) -> str:
    response = getattr(client, method)(path, data or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code in (200, 400, 404), (path, response.status_code)
    if response["Content-Type"].startswith("application/json"):
        return response.json()["html"]
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("locale", LOCALES)
def test_no_page_is_left_in_english(pages, locale):
    content, drawn = pages
    language = to_language(locale)
    names = {get_language_info(code)["name_local"] for code, _ in settings.LANGUAGES}
    kept = content | PRODUCT_NAMES | KESTRA_WORDS | names | {n for _, n in settings.LANGUAGES}
    # Words a translator kept as they are ("Notifications" in French, "Tags" for "tags" in
    # German: the case aside) are translations too.
    for domain in DOMAINS:
        same = _catalog(locale, domain).translated_entries()
        kept |= {entry.msgstr for entry in same if entry.msgstr.lower() == entry.msgid.lower()}
    longest_first = sorted(kept, key=len, reverse=True)
    english_left = {}
    for name, client, method, path, data in drawn:
        english = _texts(_draw(client, method, path, data, "en"))
        translated = _texts(_draw(client, method, path, data, language))
        left = sorted(text for text in english & translated if _english_left(text, longest_first))
        if left:
            english_left[name] = left
    assert not english_left, f"English left in {language}: {english_left}"
