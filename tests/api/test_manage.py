"""Managing apps with kestrapy's AppsApi, as a script in CI would: every method, and the
fields of what comes back (kestrapy accepts any JSON, so the fields are asserted)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from kestrapy.exceptions import (
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from kestrapy.models.apps_controller_api_bulk_operation_request import (
    AppsControllerApiBulkOperationRequest as Bulk,
)
from kestrapy.models.query_filter import QueryFilter
from kestrapy.models.query_filter_field import QueryFilterField
from kestrapy.models.query_filter_op import QueryFilterOp

from apps_catalog.models import App

from .conftest import TENANT, app_yaml, kestra_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def as_manager(live_server, kestra, personas):
    return kestra_client(live_server.url, token=personas["manager"].token).apps


def test_create_get_update_delete(as_manager, apps) -> None:
    created = as_manager.create_app(TENANT, app_yaml())
    assert len(created.uid) == 22
    assert created.name == "Made by the API"
    assert created.namespace == "demo"
    assert created.tags == ["Reporting", "Scripts"]  # in name order, as the catalog shows them
    assert created.disabled is False
    assert created.source == app_yaml()
    assert created.created is not None and created.updated is not None

    fetched = as_manager.app(created.uid, TENANT)
    assert fetched.source == app_yaml() and fetched.uid == created.uid

    renamed = app_yaml(name="Renamed", extra="description: now with words\r\n")
    as_manager.update_app(created.uid, TENANT, renamed)
    app = App.objects.get(uid=created.uid)
    assert app.display_name == "Renamed" and app.source == renamed  # stored as sent

    as_manager.delete_app(created.uid, TENANT)
    assert not App.objects.filter(uid=created.uid).exists()
    with pytest.raises(NotFoundException):
        as_manager.app(created.uid, TENANT)


def test_an_invalid_source_is_an_app_error_with_paths_and_lines(as_manager, apps) -> None:
    broken = app_yaml(extra="layout:\n  - on: OPEN\n    blocks:\n      - type: Button\n")
    with pytest.raises(UnprocessableEntityException) as caught:
        as_manager.create_app(TENANT, broken)
    problem = json.loads(caught.value.body)
    assert problem["type"] == "https://kestra.io/docs/api-reference/problems/app-error"
    assert problem["status"] == 422 and problem["title"] == "Unprocessable Entity"
    assert problem["instance"] == f"/api/v1/{TENANT}/apps"
    assert {k: problem["errors"][0][k] for k in ("path", "line")} == {
        "path": "layout[0].blocks[0].url",
        "line": 11,
    }
    assert "required" in problem["errors"][0]["message"]


def test_a_flow_kestra_does_not_have_is_refused_at_its_line(as_manager, apps) -> None:
    source = app_yaml().replace("flowId: data_request", "flowId: no_such_flow")
    with pytest.raises(UnprocessableEntityException) as caught:
        as_manager.create_app(TENANT, source)
    error = json.loads(caught.value.body)["errors"][0]
    assert error["path"] == "flowId" and error["line"] == 5


def test_the_same_id_twice_in_a_namespace_is_refused(as_manager, apps) -> None:
    with pytest.raises(UnprocessableEntityException) as caught:
        as_manager.create_app(TENANT, apps["public"].source)
    assert "already has the id" in caught.value.body


def test_enable_disable_edit_the_source(as_manager, apps) -> None:
    uid = apps["public"].uid
    disabled = as_manager.disable_app(uid, TENANT)
    assert disabled.enabled is False and disabled.uid == uid and disabled.id == "data_request"
    assert disabled.type == "io.kestra.plugin.ee.apps.Execution"
    assert disabled.flow_id == "data_request"
    assert "disabled: true" in App.objects.get(uid=uid).source
    enabled = as_manager.enable_app(uid, TENANT)
    assert enabled.enabled is True
    assert "disabled: false" in App.objects.get(uid=uid).source


def test_bulk_operations(as_manager, apps) -> None:
    uids = [apps["public"].uid, apps["private"].uid]
    request = Bulk(uids=[*uids, "NoSuchAppUid0000000000"])
    assert as_manager.bulk_disable_apps(TENANT, request) == {"success": uids}
    assert not App.objects.filter(enabled=True).exists()
    assert as_manager.bulk_enable_apps(TENANT, request) == {"success": uids}
    assert App.objects.filter(enabled=True).count() == 2
    assert as_manager.bulk_delete_apps(TENANT, Bulk(uids=uids[:1])) == {"success": uids[:1]}
    assert list(App.objects.values_list("uid", flat=True)) == uids[1:]


def test_export_then_import_gives_back_the_same_apps(as_manager, apps) -> None:
    archive = as_manager.bulk_export_apps(TENANT, Bulk(uids=[]))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert sorted(opened.namelist()) == ["demo.data_request.yml", "demo.vacation_approval.yml"]
        assert opened.read("demo.data_request.yml").decode() == apps["public"].source
    before = {a.uid: a.source for a in App.objects.all()}
    App.objects.filter(uid=apps["private"].uid).delete()

    report = as_manager.bulk_import_apps(TENANT, archive)
    assert report.errors == []
    assert len(report.success) == 2 and apps["public"].uid in report.success
    after = {a.app_id: a.source for a in App.objects.all()}
    assert sorted(after.values()) == sorted(before.values())


def test_import_reports_each_failed_document(as_manager, apps) -> None:
    stream = (
        app_yaml("first")
        + "---\n"
        + "id: second\ntype: io.kestra.plugin.ee.apps.Execution\ndisplayName: x\n"
        + "---\n"
        + app_yaml("third")
    )
    report = as_manager.bulk_import_apps(TENANT, stream.encode())
    assert len(report.success) == 2
    assert App.objects.filter(app_id__in=["first", "third"]).count() == 2
    (error,) = report.errors
    assert error.source == "fileUpload [document 2]"
    assert "namespace" in error.message
    issues = error.additional_properties["issues"]
    assert {"path": "namespace", "line": 9} in [{k: i[k] for k in ("path", "line")} for i in issues]


def test_search_pages_sorts_and_filters(as_manager, apps) -> None:
    as_manager.create_app(TENANT, app_yaml("zeta", name="Zeta"))
    page = as_manager.search_apps(TENANT, page=1, size=2, sort=["name:desc"])
    assert page.total == 3
    assert [a.name for a in page.results] == ["Zeta", "Vacation requests"]
    second = as_manager.search_apps(TENANT, page=2, size=2, sort=["name:desc"])
    assert [a.name for a in second.results] == ["Request a dataset"]
    first = page.results[0]
    assert first.id == "zeta" and first.namespace == "demo" and first.flow_id == "data_request"
    assert first.enabled is True and first.type == "io.kestra.plugin.ee.apps.Execution"

    by_tag = as_manager.search_apps(
        TENANT,
        filters=[
            QueryFilter(field=QueryFilterField.TAGS, operation=QueryFilterOp.EQUALS, value="HR")
        ],
    )
    assert [a.id for a in by_tag.results] == ["vacation_approval"]
    by_flow = as_manager.search_apps(
        TENANT,
        filters=[
            QueryFilter(
                field=QueryFilterField.FLOW_ID, operation=QueryFilterOp.EQUALS, value="data_request"
            ),
            QueryFilter(
                field=QueryFilterField.NAMESPACE, operation=QueryFilterOp.PREFIX, value="demo"
            ),
            QueryFilter(field=QueryFilterField.QUERY, operation=QueryFilterOp.EQUALS, value="zeta"),
        ],
    )
    assert [a.id for a in by_flow.results] == ["zeta"]
    elsewhere = as_manager.search_apps(
        TENANT,
        filters=[
            QueryFilter(
                field=QueryFilterField.NAMESPACE, operation=QueryFilterOp.PREFIX, value="dem"
            )
        ],
    )
    assert elsewhere.total == 0


def test_tags_and_states(as_manager, apps) -> None:
    assert as_manager.list_tags(TENANT).tags == ["Analytics", "HR", "Reporting"]
    assert as_manager.app_states(TENANT) == [
        "OPEN", "CREATED", "RUNNING", "PAUSE", "RESUME", "SUCCESS", "FAILURE", "ERROR", "FALLBACK",
    ]  # fmt: skip


def test_preview_draws_a_stage_of_an_unsaved_app(as_manager, apps) -> None:
    source = apps["public"].source
    opened = as_manager.preview_app(TENANT, source)
    types = [b["type"].rsplit(".", 1)[-1] for b in opened["layout"]["blocks"]]
    assert types == ["Markdown", "CreateExecutionForm", "CreateExecutionButton"]
    form = opened["layout"]["blocks"][1]
    assert [f["id"] for f in form["inputs"]] == ["dataset", "since", "rows"]
    done = as_manager.preview_app(TENANT, source, state="SUCCESS")
    assert done["stage"] == "SUCCESS" and done["dispatch"] is None
    outputs = next(b for b in done["layout"]["blocks"] if b["type"].endswith(".Outputs"))
    assert [v["key"] for v in outputs["values"]] == ["data", "row_count"]
    assert not App.objects.exclude(uid__in=[a.uid for a in apps.values()]).exists()


def test_people_without_model_permissions_cannot_manage(
    live_server, kestra, personas, apps
) -> None:
    member = kestra_client(live_server.url, token=personas["member"].token).apps
    with pytest.raises(ForbiddenException):
        member.create_app(TENANT, app_yaml())
    with pytest.raises(ForbiddenException):
        member.search_apps(TENANT)
    anonymous = kestra_client(live_server.url).apps
    with pytest.raises(UnauthorizedException):
        anonymous.app(apps["public"].uid, TENANT)
