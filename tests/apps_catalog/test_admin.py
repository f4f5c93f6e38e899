"""The admin for apps: list, search and filters, the YAML form with its errors at their
line, the flow checked in Kestra on save, the preview, enable/disable, grants."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from guardian.shortcuts import get_perms

from apps_catalog.models import App
from apps_catalog.services import app_save_source
from executions.kestra import KestraNotFound
from tests.apps_catalog.conftest import app_yaml, block
from tests.personas import signed_in

pytestmark = pytest.mark.django_db

LIST = "/admin/apps_catalog/app/"
ADD = "/admin/apps_catalog/app/add/"
PREVIEW = "/admin/apps_catalog/app/preview/"
UNREACHABLE = "http://127.0.0.1:9"


def change_url(app: App) -> str:
    return f"/admin/apps_catalog/app/{app.pk}/change/"


def save(source: str) -> App:
    return app_save_source(source=source)[0]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def catalog() -> dict[str, App]:
    return {
        "report": save(app_yaml("report", access="PUBLIC", tags="[Finance, Reporting]")),
        "leave": save(app_yaml("leave", namespace="hr", flowId="vacation", tags="[HR]")),
        "old": save(app_yaml("old_tool", disabled="true")),
    }


def ids_in(response) -> set[str]:
    return {app.app_id for app in response.context["cl"].result_list}


# -- who may open it ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("outsider", 302), ("viewer", 200), ("manager", 200)],
)
def test_the_list_is_for_staff_with_a_permission_on_apps(catalog, persona, status, request):
    client = signed_in(request.getfixturevalue(persona))

    response = client.get(LIST)

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/admin/login/")


def test_a_viewer_cannot_add_change_or_run_actions(client, catalog, viewer):
    client.force_login(viewer)
    app = catalog["report"]

    assert client.get(ADD).status_code == 403
    response = client.post(change_url(app), {"source": app_yaml("report")})
    assert response.status_code == 403
    response = client.post(LIST, {"action": "disable", "_selected_action": [app.pk]})
    app.refresh_from_db()
    assert app.enabled


# -- list, search, filters ----------------------------------------------------------


def test_the_list_shows_each_app_with_its_tags(client, catalog, admin):
    client.force_login(admin)

    response = client.get(LIST)

    assert ids_in(response) == {"report", "leave", "old_tool"}
    assert "Finance, Reporting" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Report", {"report"}), ("hr", {"leave"}), ("vacation", {"leave"}), ("finance", {"report"})],
)
def test_search_looks_at_name_id_namespace_flow_and_tags(client, catalog, admin, query, expected):
    client.force_login(admin)

    assert ids_in(client.get(LIST, {"q": query})) == expected


def test_filters_by_namespace_tag_access_and_enabled(client, catalog, admin):
    client.force_login(admin)
    finance = catalog["report"].tags.get(name="Finance")

    assert ids_in(client.get(LIST, {"namespace": "hr"})) == {"leave"}
    assert ids_in(client.get(LIST, {"tags__id__exact": finance.pk})) == {"report"}
    assert ids_in(client.get(LIST, {"access__exact": "PRIVATE"})) == {"leave", "old_tool"}
    assert ids_in(client.get(LIST, {"enabled__exact": "0"})) == {"old_tool"}


# -- the form -----------------------------------------------------------------------


def test_the_form_loads_the_code_editor(client, admin):
    client.force_login(admin)

    html = client.get(ADD).content.decode()

    assert 'class="yaml-source"' in html
    for asset in ["codemirror.js", "mode/yaml/yaml.js", "codemirror.css", "portal/admin-apps.js"]:
        assert asset in html
    assert 'data-preview-url="/admin/apps_catalog/app/preview/"' in html


def test_adding_an_app_stores_the_source_as_written_and_the_flow(client, kestra, admin):
    client.force_login(admin)
    source = app_yaml("new_app", description="'Hi'   # a comment\n\n")

    response = client.post(ADD, {"source": source.replace("\n", "\r\n")})

    assert response.status_code == 302, response.context["adminform"].form.errors
    app = App.objects.get(app_id="new_app")
    assert app.source == source  # the browser's \r\n back to \n, the rest untouched
    assert app.description == "Hi"
    assert app.flow_snapshot["id"] == "data_request"
    assert any("was added successfully" in message for message in messages_of(response))


def test_errors_are_listed_with_their_line_and_nothing_is_saved(client, kestra, admin):
    client.force_login(admin)
    source = app_yaml("broken", access="PUBLC") + block(
        """
        layout:
          - on: OPEN
            blocks:
              - type: Alert
                style: loud
        """
    )

    response = client.post(ADD, {"source": source})

    assert response.status_code == 200
    assert not App.objects.exists()
    errors = response.context["adminform"].form.errors["source"]
    assert errors[0].startswith("line 6: access: must be one of PUBLIC, PRIVATE")
    assert errors[1].startswith("line 11: layout[0].blocks[0].style: must be one of")
    html = response.content.decode()
    issues = json.loads(re.search(r'id="app-source-issues"[^>]*>(.*?)</script>', html).group(1))
    assert [(issue["line"], issue["path"]) for issue in issues] == [
        (6, "access"),
        (11, "layout[0].blocks[0].style"),
    ]
    assert "PUBLC" in html  # the text is kept for fixing, not lost


def test_a_flow_that_kestra_does_not_have_is_an_error_at_its_line(client, kestra, admin):
    client.force_login(admin)

    response = client.post(ADD, {"source": app_yaml("lost", flowId="no_such_flow")})

    assert response.status_code == 200
    assert not App.objects.exists()
    form = response.context["adminform"].form
    assert form.errors["source"] == ["line 5: flowId: there is no flow demo.no_such_flow in Kestra"]
    assert form.issues_json == [
        {"path": "flowId", "line": 5, "message": "there is no flow demo.no_such_flow in Kestra"}
    ]


def test_a_pinned_revision_that_kestra_does_not_have_is_an_error(client, admin, monkeypatch):
    class NoRevision:
        def flow(self, namespace, flow_id, revision=None):
            raise KestraNotFound(404, "not found")

    monkeypatch.setattr("apps_catalog.forms.get_client", NoRevision)
    client.force_login(admin)

    response = client.post(ADD, {"source": app_yaml("pinned", flowRevision="7")})

    errors = response.context["adminform"].form.errors["source"]
    assert errors == ["line 6: flowRevision: flow demo.data_request has no revision 7"]


def test_kestra_unreachable_saves_the_app_with_a_warning(client, settings, admin):
    settings.KESTRA_URL = UNREACHABLE
    client.force_login(admin)

    response = client.post(ADD, {"source": app_yaml("saved_anyway")}, follow=True)

    app = App.objects.get(app_id="saved_anyway")
    assert app.flow_snapshot is None
    warning = next(m for m in messages_of(response) if "could not be reached" in m)
    assert "flow demo.data_request was not checked" in warning
    assert "was not checked" in response.content.decode()


def test_editing_keeps_the_uid_even_when_the_id_changes(client, kestra, admin):
    app = save(app_yaml("first_name", access="{type: PRIVATE, groups: [Analysts]}"))
    client.force_login(admin)

    response = client.post(change_url(app), {"source": app_yaml("second_name")})

    assert response.status_code == 302
    renamed = App.objects.get()
    assert (renamed.pk, renamed.uid, renamed.app_id) == (app.pk, app.uid, "second_name")
    # The group the YAML no longer names loses the grant the YAML gave it.
    assert get_perms(Group.objects.get(name="Analysts"), renamed) == []


def test_an_id_already_used_in_the_namespace_is_an_error(client, kestra, admin, catalog):
    client.force_login(admin)

    response = client.post(change_url(catalog["old"]), {"source": app_yaml("report")})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["source"] == [
        "line 1: id: another app already has the id 'report' in this namespace"
    ]
    assert App.objects.get(pk=catalog["old"].pk).app_id == "old_tool"


def test_a_manager_without_superuser_rights_can_edit(client, kestra, manager, catalog):
    client.force_login(manager)
    source = catalog["report"].source.replace("tags: [Finance, Reporting]", "tags: [Finance]")

    response = client.post(change_url(catalog["report"]), {"source": source})

    assert response.status_code == 302
    assert list(catalog["report"].tags.values_list("name", flat=True)) == ["Finance"]


# -- preview ------------------------------------------------------------------------


def test_the_preview_draws_every_stage_with_sample_data(client, kestra, admin):
    client.force_login(admin)
    source = app_yaml("shown", access="PUBLIC") + block(
        """
        layout:
          - on: OPEN
            blocks:
              - type: Markdown
                content: "## Hello from {{ app.displayName }}"
              - type: CreateExecutionForm
              - type: CreateExecutionButton
          - on: SUCCESS
            blocks:
              - type: Inputs
              - type: Table
                data: [{a: 1, b: x}]
              - type: Logs
                filter: {logLevel: WARN}
          - on: FALLBACK
            blocks:
              - type: Alert
                content: "State: {{ execution.state }}"
        """
    )

    response = client.post(PREVIEW, {"source": source})

    assert response.status_code == 200
    data = response.json()
    assert data["valid"] and data["issues"] == []
    html = data["html"]
    for stage in ["OPEN", "CREATED", "RUNNING", "PAUSE", "RESUME", "SUCCESS", "FAILURE", "ERROR"]:
        assert f'id="stage-{stage}"' in html
    assert "<h2>Hello from Shown</h2>" in html
    assert 'name="input.dataset"' in html  # the flow's real inputs, from Kestra
    assert '<th scope="col">a</th>' in html
    assert "3 rows had no e-mail address" in html and "Fetched 128 rows" not in html
    assert "State: RUNNING" in html and "State: FAILED" in html  # FALLBACK, rendered per stage
    assert html.count("from the layout") == 2 and html.count("from FALLBACK") == 6
    assert not App.objects.exists()


def test_the_preview_shows_an_expression_that_does_not_render_at_its_block(client, kestra, admin):
    client.force_login(admin)
    source = app_yaml("shown", access="PUBLIC") + block(
        """
        layout:
          - on: SUCCESS
            blocks:
              - type: Markdown
                content: "Done for {{ inputs.dataset }}{{ outputs.nope.uri }}."
        """
    )

    html = client.post(PREVIEW, {"source": source}).json()["html"]

    success = html[html.index('id="stage-SUCCESS"') : html.index('id="stage-FAILURE"')]
    assert "An expression in this Markdown block did not render" in success
    assert (
        "Unable to find `nope` used in the expression "
        "`Done for {{ inputs.dataset }}{{ outputs.nope.uri }}.` at line 1"
    ) in success
    assert "Done for " in success


def test_the_preview_answers_the_issues_of_a_broken_source(client, admin):
    client.force_login(admin)

    response = client.post(PREVIEW, {"source": app_yaml("bad") + "layout: 3\n"})

    assert response.json() == {
        "valid": False,
        "issues": [{"path": "layout", "line": 6, "message": "must be a list, got the integer 3"}],
        "html": "",
    }


def test_the_preview_works_without_kestra_using_the_stored_flow(client, settings, admin):
    app = save(app_yaml("cached"))
    App.objects.filter(pk=app.pk).update(
        flow_snapshot={"id": "data_request", "inputs": [{"id": "remembered", "type": "STRING"}]}
    )
    settings.KESTRA_URL = UNREACHABLE
    client.force_login(admin)

    data = client.post(PREVIEW, {"source": app.source, "object_id": app.pk}).json()

    assert 'name="input.remembered"' in data["html"]
    assert "Kestra cannot be reached: the form shows the last copy." in data["html"]


@pytest.mark.parametrize(
    ("persona", "method", "status"),
    [
        ("anonymous", "post", 302),
        ("outsider", "post", 302),
        ("viewer", "post", 403),
        ("manager", "post", 200),
        ("admin", "get", 405),
    ],
)
def test_who_may_preview(settings, persona, method, status, request):
    settings.KESTRA_URL = UNREACHABLE
    client = signed_in(request.getfixturevalue(persona))

    response = getattr(client, method)(PREVIEW, {"source": app_yaml("p")})

    assert response.status_code == status


# -- actions ------------------------------------------------------------------------


def test_disable_and_enable_write_disabled_into_the_source(client, admin, catalog):
    client.force_login(admin)
    report, old = catalog["report"], catalog["old"]

    response = client.post(
        LIST, {"action": "disable", "_selected_action": [report.pk, old.pk]}, follow=True
    )

    report.refresh_from_db()
    assert not report.enabled
    assert report.source == app_yaml("report", access="PUBLIC", tags="[Finance, Reporting]") + (
        "disabled: true\n"
    )
    assert "1 app disabled." in messages_of(response)

    client.post(LIST, {"action": "enable", "_selected_action": [report.pk, old.pk]})

    report.refresh_from_db()
    old.refresh_from_db()
    assert report.enabled and old.enabled
    assert report.source.endswith("disabled: false\n")
    assert old.source == app_yaml("old_tool", disabled="false")


def test_an_app_whose_disabled_cannot_be_rewritten_is_reported(client, admin):
    table = "layout: [{on: OPEN, blocks: [{type: Table, data: [{x: &flag false}]}]}]\n"
    app = save(app_yaml("aliased") + table + "disabled: *flag\n")
    client.force_login(admin)

    response = client.post(LIST, {"action": "disable", "_selected_action": [app.pk]}, follow=True)

    app.refresh_from_db()
    assert app.enabled
    assert any("by hand" in message for message in messages_of(response))


# -- per-object permissions (guardian) ------------------------------------------------


def test_use_of_one_app_is_granted_to_a_group_and_a_user(client, admin, outsider, catalog):
    client.force_login(admin)
    app = catalog["leave"]
    group = Group.objects.create(name="Managers")
    base = f"/admin/apps_catalog/app/{app.pk}/permissions/"

    assert client.get(base).status_code == 200
    client.post(f"{base}group-manage/{group.pk}/", {"permissions": ["use_app"]})
    client.post(f"{base}user-manage/{outsider.pk}/", {"permissions": ["use_app"]})

    assert get_perms(group, app) == ["use_app"]
    assert outsider.has_perm("apps_catalog.use_app", app)
    assert not outsider.has_perm("apps_catalog.use_app", catalog["report"])
