"""An app's text in more languages: the portal's `translations:` extension (docs/apps.md).

The parser accepts and refuses it like any other part of an app; the catalog, the app's
page, the API and the admin's preview show a French visitor the French text and anyone
else the text as written; `export_apps --kestra` leaves it out.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from apps_catalog.definition import AppDefinition, DefinitionError, parse_app
from apps_catalog.services import app_save_source
from tests.apps_catalog.conftest import app_yaml, block

APP = app_yaml("leave", displayName="Time off", access="PUBLIC") + block(
    """
    description: Ask for days off.
    layout:
      - on: OPEN
        blocks:
          - type: Markdown
            content: "## Ask for time off"
          - type: CreateExecutionForm
          - type: Alert
            content: Answers within a day.
          - type: CreateExecutionButton
    """
)
TRANSLATIONS = block(
    """
    translations:
      fr:
        displayName: Congés
        description: Demandez vos jours de congé.
        content:
          OPEN: ["## Demander des congés", "Réponse sous un jour."]
      de:
        displayName: Urlaub
    """
)
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def issues_of(source: str) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        parse_app(source)
    return [(issue.path, issue.message) for issue in caught.value.issues]


# -- the parser ----------------------------------------------------------------------


def test_a_visitor_sees_their_language_else_its_base_language_else_the_text_as_written():
    app = parse_app(APP + TRANSLATIONS)

    french = app.in_language("fr")
    assert (french.display_name, french.description) == ("Congés", "Demandez vos jours de congé.")
    contents = [b.props.get("content") for b in french.layout["OPEN"]]
    assert contents == ["## Demander des congés", None, "Réponse sous un jour.", None]
    assert app.in_language("fr-ca").display_name == "Congés"  # the base language's
    german = app.in_language("de")  # a name only: the rest as written
    assert (german.display_name, german.description) == ("Urlaub", "Ask for days off.")
    assert german.layout == app.layout
    for other in ("en", "ja", None):
        assert app.in_language(other) is app


def test_a_language_is_matched_whatever_its_case_and_a_null_text_keeps_the_one_written():
    source = APP + block(
        """
        translations:
          pt-BR:
            content: {OPEN: [null, "Resposta em um dia."]}
        """
    )

    app = parse_app(source).in_language("pt-br")

    assert app.display_name == "Time off"
    contents = [b.props.get("content") for b in app.layout["OPEN"]]
    assert contents == ["## Ask for time off", None, "Resposta em um dia.", None]


def test_the_translations_survive_storage_as_json():
    app = parse_app(APP + TRANSLATIONS)

    assert AppDefinition.from_dict(app.to_dict()) == app


@pytest.mark.parametrize(
    ("translations", "expected"),
    [
        ("translations: [fr]", [("translations", "must be a mapping, got a list")]),
        (
            "translations: {french: {displayName: Congés}}",
            [
                (
                    "translations.french",
                    "is not a language code such as fr, de or pt-BR, got 'french'",
                )
            ],
        ),
        (
            "translations: {fr: {displayName: A}, FR: {displayName: B}}",
            [("translations.FR", "names a language already translated (case aside)")],
        ),
        (
            "translations: {fr: {title: Congés}}",
            [
                (
                    "translations.fr.title",
                    "is not a known property; expected one of displayName, description, content",
                )
            ],
        ),
        (
            "translations: {fr: {}}",
            [("translations.fr", "must give one of displayName, description, content")],
        ),
        (
            "translations: {fr: {displayName: ' '}}",
            [("translations.fr.displayName", "must not be empty")],
        ),
        (
            "translations: {fr: {displayName: 42}}",
            [
                (
                    "translations.fr.displayName",
                    "must be a string, got the integer 42 (put it in quotes to use it as text)",
                )
            ],
        ),
        (
            f"translations: {{fr: {{displayName: {'x' * 151}}}}}",
            [("translations.fr.displayName", "must be at most 150 characters long")],
        ),
        (
            "translations: {fr: {content: {OPEN: [a, b, c]}}}",
            [
                (
                    "translations.fr.content.OPEN",
                    "lists 3 texts, but the layout's OPEN stage has 2 Markdown or Alert"
                    " blocks to show them",
                )
            ],
        ),
        (
            "translations: {fr: {content: {SUCCESS: [Fini]}}}",
            [
                (
                    "translations.fr.content.SUCCESS",
                    "lists 1 texts, but the layout's SUCCESS stage has 0 Markdown or Alert"
                    " blocks to show them",
                )
            ],
        ),
        (
            "translations: {fr: {content: {DONE: [Fini]}}}",
            [
                (
                    "translations.fr.content.DONE",
                    "is not a known property; expected one of OPEN, CREATED, RUNNING, PAUSE,"
                    " RESUME, SUCCESS, FAILURE, ERROR, FALLBACK",
                )
            ],
        ),
        (
            "translations: {fr: {content: {OPEN: Bonjour}}}",
            [("translations.fr.content.OPEN", "must be a list, got the string 'Bonjour'")],
        ),
    ],
)
def test_the_parser_refuses_a_broken_translation_with_a_clear_message(translations, expected):
    assert issues_of(APP + translations + "\n") == expected


# -- the portal ----------------------------------------------------------------------


@pytest.fixture
def leave(db):
    return app_save_source(source=APP + TRANSLATIONS)[0]


@pytest.mark.django_db
def test_the_catalog_shows_a_french_visitor_the_french_name_and_others_the_one_written(
    client, leave, outsider
):
    client.force_login(outsider)

    french = client.get("/apps/", **FRENCH).content.decode()
    english = client.get("/apps/", **ENGLISH).content.decode()

    assert "Congés" in french and "Demandez vos jours de congé." in french
    assert "Time off" not in french
    assert "Time off" in english and "Ask for days off." in english
    assert "Congés" not in english


@pytest.mark.django_db
def test_a_search_finds_an_app_by_its_name_or_description_in_any_language_it_has(
    client, leave, outsider
):
    """A French colleague's word finds it for anyone, as its own name does."""
    client.force_login(outsider)

    def found(words: str, **headers: str) -> list[str]:
        api = client.get("/api/v1/main/apps/catalog", {"q": words}, **headers).json()
        page = client.get("/apps/", {"q": words}, **headers).content.decode()
        names = [app["name"] for app in api["results"]]
        assert (leave.uid in page) == bool(names)
        return names

    assert found("congés", **ENGLISH) == ["Time off"]
    assert found("CONGÉS", **FRENCH) == ["Congés"]
    assert found("urlaub") == ["Time off"]
    assert found("jours congé") == ["Time off"]  # every word, each anywhere
    assert found("time off", **FRENCH) == ["Congés"]
    assert found("vacances") == []


@pytest.mark.django_db
def test_the_admin_finds_an_app_by_its_name_in_another_language_and_by_its_flow(
    client, leave, manager
):
    """As the catalog does: a manager searching the admin's app list meets the same apps."""
    client.force_login(manager)

    def found(words: str) -> bool:
        page = client.get("/admin/apps_catalog/app/", {"q": words}).content.decode()
        return f"/admin/apps_catalog/app/{leave.pk}/change/" in page

    assert found("CONGÉS") and found("urlaub") and found("jours congé")
    assert found(leave.flow_id)  # the fields as written, as before
    assert not found("vacances")


@pytest.mark.django_db
def test_the_app_page_shows_a_french_visitor_the_french_text(client, kestra, leave):
    french = client.get(leave.get_absolute_url(), **FRENCH).content.decode()
    english = client.get(leave.get_absolute_url(), **ENGLISH).content.decode()

    assert "<title>Congés" in french and '<h1 class="app-title">Congés</h1>' in french
    assert "<h2>Demander des congés</h2>" in french and "Réponse sous un jour." in french
    assert "Ask for time off" not in french
    assert '<h1 class="app-title">Time off</h1>' in english
    assert "<h2>Ask for time off</h2>" in english and "Demander" not in english


@pytest.mark.django_db
def test_the_api_catalog_and_app_follow_accept_language(client, kestra, leave, outsider):
    client.force_login(outsider)
    catalog = "/api/v1/main/apps/catalog"
    app = f"/api/v1/main/apps/view/{leave.uid}"

    french = client.get(catalog, **FRENCH).json()["results"][0]
    english = client.get(catalog, **ENGLISH).json()["results"][0]
    french_blocks = str(Client().get(app, **FRENCH).json()["layout"])
    english_blocks = str(Client().get(app, **ENGLISH).json()["layout"])

    assert (french["name"], french["description"]) == ("Congés", "Demandez vos jours de congé.")
    assert (english["name"], english["description"]) == ("Time off", "Ask for days off.")
    assert "Demander des congés" in french_blocks and "Ask for time off" not in french_blocks
    assert "Ask for time off" in english_blocks and "Demander" not in english_blocks


@pytest.mark.django_db
def test_the_admin_preview_shows_the_app_in_the_admins_language(client, kestra, admin):
    client.force_login(admin)
    preview = "/admin/apps_catalog/app/preview/"

    french = client.post(preview, {"source": APP + TRANSLATIONS}, **FRENCH).json()["html"]
    english = client.post(preview, {"source": APP + TRANSLATIONS}, **ENGLISH).json()["html"]

    assert '<h1 class="app-title">Congés</h1>' in french and "Réponse sous un jour." in french
    assert '<h1 class="app-title">Time off</h1>' in english and "Congés" not in english


@pytest.mark.django_db
def test_the_kestra_export_leaves_the_translations_out(kestra, leave, tmp_path):
    call_command("export_apps", str(tmp_path / "portal"), stdout=StringIO())
    call_command("export_apps", str(tmp_path / "kestra"), "--kestra", stdout=StringIO())

    name = "demo.leave.yml"
    assert (tmp_path / "portal" / name).read_text() == APP + TRANSLATIONS
    assert (tmp_path / "kestra" / name).read_text() == APP
    assert parse_app(APP).translations == {}
