"""The portal in the visitor's language: which language a page is in (a signed-in person's
saved choice, the switcher's cookie, the browser's Accept-Language, then LANGUAGE_CODE), the
switcher itself and the preference. French is the language the repository translates fully
first; these tests read its catalog through real pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps_catalog.services import app_save_source
from notifications.models import Preference
from tests.conftest import EXAMPLES
from tests.personas import signed_in

pytestmark = pytest.mark.django_db

SWITCHER = "/notifications/language/"


def _language(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "the page names no language"
    return match.group(1)


def test_it_answers_in_the_browsers_language():
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5")
    assert _language(response) == "fr"
    assert response["Content-Language"] == "fr"
    assert "Nom d’utilisateur" in response.content.decode()


def test_it_falls_back_to_english_for_a_language_it_does_not_speak():
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    assert _language(response) == "en"
    assert "Username" in response.content.decode()


def test_the_switchers_choice_beats_the_browsers_and_follows_the_visitor():
    client = Client()
    response = client.post(SWITCHER, {"language": "fr", "next": "/apps/requests/"})
    assert response.status_code == 302 and response["Location"] == "/apps/requests/"
    page = client.get("/apps/requests/", HTTP_ACCEPT_LANGUAGE="de")
    assert _language(page) == "fr"
    assert "Mes demandes" in page.content.decode()
    assert _language(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja")) == "fr"


def test_a_signed_in_persons_saved_language_beats_the_cookie_in_any_browser(member):
    signed_in(member).post(SWITCHER, {"language": "fr", "next": "/apps/"})
    assert Preference.objects.get(user=member).language == "fr"
    elsewhere = signed_in(member)  # another browser: no language cookie there
    elsewhere.cookies["django_language"] = "de"
    assert _language(elsewhere.get("/apps/requests/", HTTP_ACCEPT_LANGUAGE="ja")) == "fr"


def test_it_refuses_a_language_it_does_not_speak(member):
    client = signed_in(member)
    response = client.post(SWITCHER, {"language": "xx", "next": "/apps/"})
    assert response.status_code == 400
    assert "django_language" not in response.cookies
    assert not Preference.objects.filter(user=member).exclude(language="").exists()


def test_it_refuses_get_and_a_post_without_its_csrf_token():
    assert Client().get(SWITCHER).status_code == 405
    guarded = Client(enforce_csrf_checks=True)
    assert guarded.post(SWITCHER, {"language": "fr"}).status_code == 403


def test_it_sends_the_visitor_back_only_to_this_site():
    response = Client().post(SWITCHER, {"language": "fr", "next": "https://evil.example/x"})
    assert response.status_code == 302 and response["Location"] == "/apps/"


def test_the_preferences_page_saves_the_language_and_can_give_it_back_to_the_browser(member):
    client = signed_in(member)
    response = client.post("/notifications/", {"language": "fr"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fr"
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Vos préférences de notification sont enregistrées." in page.content.decode()
    assert _language(page) == "fr"
    response = client.post("/notifications/", {"language": ""})
    assert response.cookies["django_language"].value == ""  # deleted
    assert Preference.objects.get(user=member).language == ""
    assert _language(client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en")) == "en"


def test_the_preferences_page_refuses_a_language_it_does_not_speak(member):
    response = signed_in(member).post("/notifications/", {"language": "xx"})
    assert response.status_code == 400
    assert not Preference.objects.filter(user=member).exclude(language="").exists()


def test_an_apps_form_is_drawn_in_each_visitors_language(kestra, approver):
    """The form's HTML is kept a minute for everyone: once per language."""
    app, _ = app_save_source(source=(EXAMPLES / "apps" / "vacation_approval.yml").read_text())
    client = signed_in(approver)
    assert 'aria-label="required"' in client.get(f"/apps/{app.uid}/").content.decode()
    french = client.get(f"/apps/{app.uid}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'aria-label="obligatoire"' in french and 'aria-label="required"' not in french


def test_the_switcher_goes_back_to_the_page_it_was_used_on():
    response = Client().post(
        SWITCHER, {"language": "fr"}, HTTP_REFERER="http://testserver/apps/requests/?page=2"
    )
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/apps/requests/?page=2"


def _switcher_choices(response) -> list[tuple[str, str, bool]]:
    """The switcher's options: (code, name shown, selected)."""
    found = re.findall(
        r'<option value="([^"]+)" lang="[^"]+"( selected)?>([^<]+)</option>',
        response.content.decode(),
    )
    return [(code, name, bool(selected)) for code, selected, name in found]


def test_the_switcher_names_each_language_in_itself_and_selects_the_pages_own():
    french = _switcher_choices(Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert [code for code, _name, chosen in french if chosen] == ["fr"]
    assert ("de", "Deutsch", False) in french and ("ja", "日本語", False) in french
    assert [code for code, _name, _chosen in french] == ["en", "fr", "de", "es", "pt-br", "ja"]
    japanese = _switcher_choices(Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja"))
    assert [code for code, _name, chosen in japanese if chosen] == ["ja"]
    assert [(code, name) for code, name, _ in japanese] == [(c, n) for c, n, _ in french]
