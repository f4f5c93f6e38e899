"""Writes on apps: app_save_source and app_set_enabled."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from guardian.shortcuts import assign_perm, get_perms

from apps_catalog.definition import DefinitionError
from apps_catalog.models import App
from apps_catalog.services import app_save_source, app_set_enabled
from tests.apps_catalog.conftest import app_yaml

pytestmark = pytest.mark.django_db


def test_saving_again_by_namespace_and_id_updates_the_same_app() -> None:
    first, created = app_save_source(source=app_yaml("same", tags="[A]"))
    again, created_again = app_save_source(source=app_yaml("same", tags="[B]"))

    assert created and not created_again
    assert (again.pk, again.uid) == (first.pk, first.uid)
    assert list(again.tags.values_list("name", flat=True)) == ["B"]


def test_an_invalid_source_saves_nothing() -> None:
    with pytest.raises(DefinitionError):
        app_save_source(source=app_yaml("bad", access="OPEN"))

    assert not App.objects.exists()


def test_the_thumbnail_is_kept_as_written() -> None:
    web, _ = app_save_source(source=app_yaml("web", thumbnail="https://x.test/a.png"))
    nsfile, _ = app_save_source(source=app_yaml("nsfile", thumbnail="nsfiles:///logo.svg"))
    local, _ = app_save_source(source=app_yaml("local", thumbnail="files/a.png"))

    assert web.thumbnail == "https://x.test/a.png"
    assert nsfile.thumbnail == "nsfiles:///logo.svg"
    assert local.thumbnail == "files/a.png"


def test_groups_named_in_access_are_granted_and_ungranted_with_the_yaml() -> None:
    source = app_yaml("team", access="{type: PRIVATE, groups: [Ops, Dev]}")
    app, _ = app_save_source(source=source)
    by_hand = Group.objects.create(name="Auditors")
    assign_perm("apps_catalog.use_app", by_hand, app)

    app_save_source(source=source.replace("[Ops, Dev]", "[Dev]"))

    assert get_perms(Group.objects.get(name="Dev"), app) == ["use_app"]
    assert get_perms(Group.objects.get(name="Ops"), app) == []
    assert get_perms(by_hand, app) == ["use_app"]  # not the YAML's to take back


def test_set_enabled_writes_the_source_and_reports_a_change() -> None:
    app, _ = app_save_source(source=app_yaml("toggle"))

    assert app_set_enabled(app=app, enabled=False)
    assert not app_set_enabled(app=app, enabled=False)

    stored = App.objects.get(pk=app.pk)
    assert not stored.enabled and stored.parsed.disabled
    assert stored.source == app_yaml("toggle") + "disabled: true\n"


def test_the_app_written_from_kestras_documentation_imports_without_an_error() -> None:
    documented = Path(__file__).with_name("kestra_documented_app.yml")
    out, err = StringIO(), StringIO()

    call_command("import_apps", str(documented), stdout=out, stderr=err)

    assert "created company.team.everything_documented" in out.getvalue()
    app = App.objects.get(app_id="everything_documented")
    assert app.source == documented.read_text()
    assert sorted(app.tags.values_list("name", flat=True)) == ["Analytics", "Reporting"]
