"""Branding from settings (PORTAL_TITLE, PORTAL_PRIMARY_COLOR, PORTAL_ACCENT_COLOR,
PORTAL_LOGO_URL, PORTAL_BANNER, PORTAL_FOOTER_LINKS): what a visitor sees in every page,
nothing of it when unset, and a value that cannot be shown safely stopping the start."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from kestra_apps.env import SettingError, envcolor, envlinks, envtext, envurl
from tests.conftest import ROOT

LOGIN = "/accounts/login/"


@pytest.fixture
def branded(settings):
    settings.PORTAL_TITLE = "Acme Requests"
    settings.PORTAL_PRIMARY_COLOR = "#0a7c3e"
    settings.PORTAL_ACCENT_COLOR = "#fde047"
    settings.PORTAL_LOGO_URL = "/static/portal/acme.svg"
    settings.PORTAL_BANNER = "Requests are handled on working days."
    settings.PORTAL_FOOTER_LINKS = [
        ("Privacy", "https://acme.example/privacy"),
        ("Help", "mailto:help@acme.example"),
    ]
    return settings


@pytest.mark.django_db
def test_a_branded_portal_shows_its_title_logo_banner_and_footer(client, branded):
    html = client.get(LOGIN).content.decode()

    assert re.search(r"<title>[^<]* · Acme Requests</title>", html)
    assert re.search(
        r'<a class="brand" href="/apps/"><img class="brand-logo" src="/static/portal/acme.svg"'
        r' alt="">Acme Requests</a>',
        html,
    )
    assert "Kestra Apps" not in html
    assert '<p class="site-banner" role="note">Requests are handled on working days.</p>' in html
    footer = html[html.index('<footer class="site-footer">') :]
    assert '<a href="https://acme.example/privacy">Privacy</a>' in footer
    assert '<a href="mailto:help@acme.example">Help</a>' in footer


@pytest.mark.django_db
def test_the_colours_reach_the_pages_through_a_style_sheet_of_the_portal(client, branded):
    html = client.get(LOGIN).content.decode()
    (href,) = re.findall(r'<link rel="stylesheet" href="(/branding\.css\?v=\w+)">', html)

    sheet = client.get(href)

    assert sheet["Content-Type"] == "text/css; charset=utf-8"
    css = sheet.content.decode()
    assert "--primary: #0a7c3e;" in css and "--accent: #fde047;" in css
    assert "--accent-fg: #111111;" in css  # dark text on the light yellow bar

    branded.PORTAL_ACCENT_COLOR = "#1e3a8a"
    again = client.get(LOGIN).content.decode()
    assert href not in again  # other colours, another address: no stale sheet
    assert "--accent-fg: #ffffff;" in client.get("/branding.css").content.decode()


@pytest.mark.django_db
def test_unset_branding_leaves_the_portal_as_it_was(client):
    html = client.get(LOGIN).content.decode()

    assert re.search(r"<title>[^<]* · Kestra Apps</title>", html)
    assert '<a class="brand" href="/apps/">Kestra Apps</a>' in html
    assert "branding.css" not in html
    assert "site-banner" not in html and "site-footer" not in html


@pytest.mark.django_db
def test_branding_text_is_shown_as_text(client, settings):
    settings.PORTAL_TITLE = "<script>alert(1)</script>"
    settings.PORTAL_BANNER = '<img src=x onerror="alert(2)">'

    html = client.get(LOGIN).content.decode()

    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("raw", "expected"), [("#6D3BD6", "#6d3bd6"), (" #abc ", "#abc"), ("", "#000")]
)
def test_a_colour_is_read_in_lower_case(monkeypatch, raw, expected):
    monkeypatch.setenv("PORTAL_PRIMARY_COLOR", raw)
    assert envcolor("PORTAL_PRIMARY_COLOR", "#000") == expected


@pytest.mark.parametrize(
    "raw", ["red", "#12345", "#ggg", "#123; } body { display: none", "rgb(0,0,0)", "#1234567"]
)
def test_anything_but_a_hex_colour_is_refused(monkeypatch, raw):
    monkeypatch.setenv("PORTAL_PRIMARY_COLOR", raw)
    with pytest.raises(SettingError, match="PORTAL_PRIMARY_COLOR must be a colour"):
        envcolor("PORTAL_PRIMARY_COLOR")


@pytest.mark.parametrize("raw", ["https://cdn.acme.example/logo.svg", "/static/logo.svg", ""])
def test_a_logo_is_a_web_url_or_a_path_of_the_site(monkeypatch, raw):
    monkeypatch.setenv("PORTAL_LOGO_URL", raw)
    assert envurl("PORTAL_LOGO_URL") == raw


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "//evil.example/logo.svg",
        'https://cdn.example/x.svg" onerror="alert(1)',
        "logo.svg",
        "ftp://files.example/logo.svg",
    ],
)
def test_a_logo_that_is_not_a_plain_link_is_refused(monkeypatch, raw):
    monkeypatch.setenv("PORTAL_LOGO_URL", raw)
    with pytest.raises(SettingError, match="PORTAL_LOGO_URL"):
        envurl("PORTAL_LOGO_URL")


def test_footer_links_are_label_url_pairs(monkeypatch):
    monkeypatch.setenv(
        "PORTAL_FOOTER_LINKS", "Privacy=https://acme.example/p?a=1, Help=mailto:help@acme.example"
    )
    assert envlinks("PORTAL_FOOTER_LINKS") == [
        ("Privacy", "https://acme.example/p?a=1"),
        ("Help", "mailto:help@acme.example"),
    ]


@pytest.mark.parametrize(
    "raw", ["Privacy", "=https://acme.example", "Help=javascript:alert(1)", "Help=x y"]
)
def test_a_footer_link_that_is_not_one_is_refused(monkeypatch, raw):
    monkeypatch.setenv("PORTAL_FOOTER_LINKS", raw)
    with pytest.raises(SettingError, match="PORTAL_FOOTER_LINKS"):
        envlinks("PORTAL_FOOTER_LINKS")


def test_a_title_too_long_is_refused(monkeypatch):
    monkeypatch.setenv("PORTAL_TITLE", "x" * 81)
    with pytest.raises(SettingError, match="PORTAL_TITLE must be at most 80"):
        envtext("PORTAL_TITLE", max_length=80)


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    """A process loading the settings with these variables, as every command does first."""
    return subprocess.run(  # noqa: S603 - our own interpreter and settings
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kestra_apps.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_colour_stops_the_start_naming_the_setting():
    started = _start(PORTAL_ACCENT_COLOR="blue; background: url(//evil)")

    assert started.returncode != 0
    assert "PORTAL_ACCENT_COLOR must be a colour written #rgb or #rrggbb" in started.stderr


def test_a_logo_from_another_site_may_be_loaded_by_the_pages():
    started = _start(PORTAL_LOGO_URL="https://cdn.acme.example/brand/logo.svg")

    assert started.returncode == 0, started.stderr
    assert "'https://cdn.acme.example'" in started.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
def test_the_icon_browsers_ask_for_is_the_portals_whoever_asks(
    client, django_user_model, signed_in
):
    if signed_in:
        client.force_login(django_user_model.objects.create_user("ada"))

    asked = client.get("/favicon.ico")

    assert asked.status_code == 301
    icon = client.get(asked["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)
