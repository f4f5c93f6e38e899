"""OPEN-stage Markdown that reads `{{ inputs.x }}` follows the form: the page, the live
validation, the API's view and the admin's preview all render it with the form's answers
so far (executions.forms.answers), through the one expression renderer."""

from __future__ import annotations

import re

import pytest

from apps_catalog.services import app_save_source
from tests.apps_catalog.conftest import app_yaml, block

pytestmark = pytest.mark.django_db

LAYOUT = block(
    """
    layout:
      - on: OPEN
        blocks:
          - type: Markdown
            content: "## Request"
          - type: Markdown
            content: "{{ inputs.rows }} rows of {{ inputs.dataset }}"
          - type: CreateExecutionForm
          - type: CreateExecutionButton
    """
)
# On the vacation flow: dotted ids (`request.name`) nest, as in Kestra.
NESTED = block(
    """
    layout:
      - on: OPEN
        blocks:
          - type: Markdown
            content: >-
              Hello {{ inputs.request.name ?? 'there' }},
              back on {{ inputs.request.end_date ?? '?' }}
          - type: CreateExecutionForm
          - type: CreateExecutionButton
    """
)


@pytest.fixture
def counted_app():
    app, _ = app_save_source(source=app_yaml("counted", access="PUBLIC") + LAYOUT)
    return app


@pytest.fixture
def greeting_app():
    source = app_yaml("greeting", access="PUBLIC", flowId="vacation_request") + NESTED
    app, _ = app_save_source(source=source)
    return app


def _markdown(html: str, index: int) -> str:
    found = re.search(rf'<template data-block="{index}">(.*?)</template>', html, re.S)
    assert found, html
    return found.group(1)


def test_the_page_opens_with_the_markdown_reading_the_defaults(client, kestra, counted_app):
    html = client.get(f"/apps/{counted_app.uid}/").content.decode()

    assert '<div class="block block-markdown" data-block="1"><p>10 rows of customers</p>' in html


def test_the_live_validation_draws_the_markdown_again_with_the_answers(client, kestra, counted_app):
    response = client.post(
        f"/apps/{counted_app.uid}/validate/", {"input.dataset": "stores", "input.rows": "25"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="input.rows"' in html  # the fields, as before
    assert "<p>25 rows of stores</p>" in _markdown(html, 1)
    assert "## Request" not in html and "<h2>Request</h2>" in _markdown(html, 0)
    assert 'data-block="2"' not in html  # only Markdown blocks come back


def test_typed_text_lands_escaped_and_dotted_ids_nest(client, kestra, greeting_app):
    url = f"/apps/{greeting_app.uid}/validate/"

    before = client.post(url, {}).content.decode()
    typed = client.post(
        url,
        {"input.request.name": "<b>Ada</b> *Lovelace*", "input.request.end_date": "2027-01-08"},
    ).content.decode()

    assert "<p>Hello there, back on ?</p>" in _markdown(before, 0)
    shown = _markdown(typed, 0)
    assert "Hello &lt;b&gt;Ada&lt;/b&gt; *Lovelace*, back on 2027-01-08" in shown
    assert "<b>" not in shown and "<em>" not in shown


@pytest.mark.django_db(transaction=True)
def test_the_api_view_of_the_form_renders_the_same_markdown(live_server, kestra, counted_app):
    from tests.api.conftest import TENANT, kestra_client

    view = kestra_client(live_server.url).apps.open_app_view(counted_app.uid, TENANT)

    contents = [b["content"] for b in view["layout"]["blocks"] if b["type"].endswith("Markdown")]
    assert contents == ["## Request", "10 rows of customers"]


def test_the_admin_preview_fills_the_form_with_samples_that_the_markdown_reads(
    client, kestra, admin
):
    client.force_login(admin)
    source = app_yaml("shown", access="PUBLIC") + LAYOUT

    html = client.post("/admin/apps_catalog/app/preview/", {"source": source}).json()["html"]

    open_stage = html.split('id="stage-CREATED"')[0]
    assert "<p>10 rows of customers</p>" in open_stage
    assert re.search(r'name="input.rows"[^>]*value="10"', open_stage)
