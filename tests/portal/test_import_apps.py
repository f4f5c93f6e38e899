from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps_catalog.models import App

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "apps"

GOOD = """id: hello
type: io.kestra.plugin.ee.apps.Execution
displayName: Hello
namespace: demo
flowId: feedback
tags: [One]
"""


def _import(*paths: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_apps", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_example_apps_import_and_a_second_import_updates_them():
    out, _ = _import(EXAMPLES)
    assert out.count("created") == len(list(EXAMPLES.glob("*.yml")))
    uids = set(App.objects.values_list("uid", flat=True))
    out, _ = _import(EXAMPLES)
    assert "created" not in out and out.count("updated") == len(uids)
    assert set(App.objects.values_list("uid", flat=True)) == uids


def test_each_document_keeps_its_own_source(tmp_path):
    second = GOOD.replace("id: hello", "id: second").replace("Hello", "Second")
    (tmp_path / "two.yaml").write_text(GOOD + "---\n" + second)
    _import(tmp_path)
    assert App.objects.get(app_id="hello").source == GOOD
    assert App.objects.get(app_id="second").source == second
    assert list(App.objects.get(app_id="hello").tags.values_list("name", flat=True)) == ["One"]


def test_broken_files_are_reported_and_the_good_ones_imported(tmp_path):
    (tmp_path / "good.yml").write_text(GOOD)
    (tmp_path / "bad.yml").write_text(GOOD.replace("id: hello", "id: bad") + "layout: 3\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 app"):
        call_command("import_apps", str(tmp_path), stdout=StringIO(), stderr=err)
    assert App.objects.filter(app_id="hello").exists()
    assert not App.objects.filter(app_id="bad").exists()
    assert "bad.yml: line 7: layout:" in err.getvalue()
