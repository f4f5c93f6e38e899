"""`manage.py export_apps DIR`, and export then import giving back the same apps."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps_catalog.models import App
from apps_catalog.services import app_save_source, app_set_enabled
from tests.apps_catalog.conftest import app_yaml

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "apps"


def export(folder: Path) -> str:
    out = StringIO()
    call_command("export_apps", str(folder), stdout=out)
    return out.getvalue()


def import_(folder: Path) -> None:
    call_command("import_apps", str(folder), stdout=StringIO(), stderr=StringIO())


def state() -> dict[tuple[str, str], tuple]:
    """Everything an app is, but its server-given uid and timestamps."""
    return {
        (app.namespace, app.app_id): (
            app.source,
            app.definition,
            app.enabled,
            app.access,
            app.catalog,
            sorted(app.tags.values_list("name", flat=True)),
        )
        for app in App.objects.all()
    }


@pytest.fixture
def apps() -> None:
    import_(EXAMPLES)
    # Written on Windows, with odd spacing and comments: all of it must survive.
    app_save_source(source=app_yaml("crlf", tags="[A,  B]   # two").replace("\n", "\r\n"))
    app_save_source(source=app_yaml("other", namespace="company.team-1"))
    app_set_enabled(app=App.objects.get(app_id="feedback_form"), enabled=False)


def test_it_writes_one_file_per_app_named_after_namespace_and_id(tmp_path, apps):
    out = export(tmp_path / "new")

    files = sorted(path.name for path in (tmp_path / "new").iterdir())
    assert files == sorted(f"{app.namespace}.{app.app_id}.yml" for app in App.objects.all())
    assert "company.team-1.other.yml" in files
    assert f"{App.objects.count()} app(s) exported" in out


def test_each_file_holds_the_stored_source_byte_for_byte(tmp_path, apps):
    export(tmp_path)

    for app in App.objects.all():
        written = (tmp_path / f"{app.namespace}.{app.app_id}.yml").read_bytes()
        assert written == app.source.encode()
    assert b"\r\n" in (tmp_path / "demo.crlf.yml").read_bytes()


def test_export_then_import_into_an_empty_portal_gives_back_the_same_apps(tmp_path, apps):
    before = state()
    export(tmp_path)
    App.objects.all().delete()

    import_(tmp_path)

    assert state() == before
    assert not App.objects.get(app_id="feedback_form").enabled  # `disabled: true` travelled


def test_export_then_import_into_the_same_portal_changes_nothing(tmp_path, apps):
    before, uids = state(), set(App.objects.values_list("uid", flat=True))
    export(tmp_path)

    import_(tmp_path)

    assert state() == before
    assert set(App.objects.values_list("uid", flat=True)) == uids


def test_ids_differing_only_in_case_get_distinct_files(tmp_path):
    app_save_source(source=app_yaml("Report"))
    app_save_source(source=app_yaml("report"))

    export(tmp_path)

    assert len({path.name.lower() for path in tmp_path.iterdir()}) == 2
    import_(tmp_path)
    assert App.objects.count() == 2


def test_an_empty_portal_exports_nothing(tmp_path):
    assert "0 app(s) exported" in export(tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []


def test_import_reports_bytes_that_are_not_utf8_and_imports_the_rest(tmp_path):
    (tmp_path / "good.yml").write_text(app_yaml("good"))
    (tmp_path / "latin1.yml").write_bytes(app_yaml("bad", description="café").encode("latin-1"))
    err = StringIO()

    with pytest.raises(CommandError, match="1 app"):
        call_command("import_apps", str(tmp_path), stdout=StringIO(), stderr=err)

    assert f"{tmp_path / 'latin1.yml'}: not UTF-8 text (byte 0xe9 at " in err.getvalue()
    assert list(App.objects.values_list("app_id", flat=True)) == ["good"]
