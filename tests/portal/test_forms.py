import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.template.loader import render_to_string

from apps_catalog.models import App
from executions import forms
from executions.blocks import field_json
from executions.kestra import KestraUnavailable
from tests.conftest import import_example

INPUTS = [
    {"id": "dataset", "type": "SELECT", "values": ["a", "b"]},
    {"id": "tags", "type": "MULTISELECT", "values": ["x", "y"]},
    {"id": "ok", "type": "BOOL"},
    {"id": "when", "type": "DATETIME"},
    {"id": "password", "type": "SECRET"},
    {"id": "rows", "type": "INT"},
]


def test_values_are_read_as_kestra_expects_them():
    post = QueryDict(mutable=True)
    post.update(
        {"input.dataset": "b", "input.when": "2025-01-02T03:04", "input.password": "s3cret"}
    )
    post.setlist("input.tags", ["x", "y"])
    post.setlist("input.ok", ["false", "true"])
    values = forms.read_values(post, INPUTS)
    assert values == {
        "dataset": "b",
        "tags": '["x", "y"]',
        "ok": "true",
        "when": "2025-01-02T03:04:00Z",
        "password": "s3cret",
    }


def test_an_empty_field_is_not_sent():
    post = QueryDict("input.rows=&input.ok=false")
    assert forms.read_values(post, INPUTS) == {"ok": "false"}


def test_secrets_are_never_shown_back():
    shown = forms.shown_values({"password": "s3cret", "rows": "3"}, INPUTS)
    assert shown == {"password": "******", "rows": "3"}


def test_fields_keep_what_was_typed_and_the_errors():
    result = {
        "inputs": [
            {
                "input": {"id": "rows", "type": "INT", "min": 1},
                "value": None,
                "enabled": True,
                "errors": [{"message": "it must be more than 1"}],
            },
            {"input": {"id": "hidden", "type": "STRING"}, "enabled": False, "errors": []},
            {"input": {"id": "password", "type": "SECRET"}, "value": "s3cret", "enabled": True},
        ]
    }
    fields = forms.fields_from_validation(result, {"rows": "-4", "password": "s3cret"})
    assert [f.id for f in fields] == ["rows", "password"]
    assert fields[0].value == "-4" and fields[0].errors == ["it must be more than 1"]
    assert fields[1].value == ""
    assert forms.has_errors(fields)


LABELLED = [
    {"label": "Cloud VM", "value": "vm"},
    {"label": "Managed database", "value": "db"},
    "plain",
]


def _labelled_field(input_type: str, **extra: object) -> forms.Field:
    definition = {"id": "kind", "type": input_type, "values": LABELLED, **extra}
    result = {"inputs": [{"input": definition, "value": None, "enabled": True}]}
    (field,) = forms.fields_from_validation(result, {"kind": "db"}, show_errors=False)
    return field


@pytest.mark.parametrize(
    ("input_type", "extra", "shown"),
    [
        ("SELECT", {}, '<option value="vm">Cloud VM</option>'),
        ("SELECT", {"isRadio": True}, 'value="vm"> Cloud VM</label>'),
        ("MULTISELECT", {}, 'value="vm"> Cloud VM</label>'),
        ("SELECT", {"allowCustomValue": True}, '<option value="vm" label="Cloud VM">'),
    ],
)
def test_options_given_with_labels_show_the_label_and_send_the_value(input_type, extra, shown):
    field = _labelled_field(input_type, **extra)
    assert field.options == [("vm", "Cloud VM"), ("db", "Managed database"), ("plain", "plain")]
    page = render_to_string("inputs/field.html", {"field": field})
    assert shown in page
    assert ">vm<" not in page and "> vm<" not in page  # the value is never the text shown


def test_the_api_gives_labelled_options_as_kestra_defines_them():
    assert field_json(_labelled_field("SELECT"))["values"] == LABELLED


ORDER = {
    "inputs": [
        {
            "id": "requester",
            "type": "FORM",
            "displayName": "About you",
            "description": "Who **asks**",
            "inputs": [{"id": "name", "type": "STRING"}, {"id": "code", "type": "SECRET"}],
        },
        {
            "id": "items",
            "type": "TABLE",
            "displayName": "Items",
            "columns": [
                {"id": "item", "type": "SELECT", "values": [{"label": "Laptop", "value": "l"}]},
                {"id": "quantity", "type": "INT", "required": False},
            ],
            "rows": {"min": 1},
        },
        {
            "id": "address",
            "type": "OBJECT",
            "properties": [{"id": "city", "type": "STRING"}],
        },
        {"id": "note", "type": "ION", "required": False},
    ]
}


def test_a_form_group_gives_its_inputs_under_its_id():
    ids = [definition["id"] for definition in forms.flow_inputs(ORDER)]
    assert ids == ["requester.name", "requester.code", "items", "address", "note"]


def test_a_form_groups_values_are_read_and_its_secrets_masked():
    post = QueryDict(mutable=True)
    post.update({"input.requester.name": "Ada", "input.requester.code": "s3cret"})
    inputs = forms.flow_inputs(ORDER)
    values = forms.read_values(post, inputs)
    assert values == {"requester.name": "Ada", "requester.code": "s3cret"}
    assert forms.shown_values(values, inputs)["requester.code"] == forms.MASK


def test_fields_know_their_group_from_the_flow_or_kestras_answer():
    from_flow = forms.fields_from_flow(ORDER)
    result = {"inputs": [{"input": d, "enabled": True} for d in forms.flow_inputs(ORDER)]}
    from_kestra = forms.fields_from_validation(result, flow=ORDER)
    for fields in (from_flow, from_kestra):
        groups = [f.group.label if f.group else None for f in fields]
        assert groups == ["About you", "About you", None, None, None]
    assert forms.fields_from_validation(result)[0].group is None, "no flow, no groups"


def test_each_group_is_a_fieldset_with_its_legend():
    html = render_to_string("inputs/fields.html", {"fields": forms.fields_from_flow(ORDER)})
    group = html[html.index('<fieldset class="input-group"') : html.index("</fieldset>")]
    assert "<legend>About you</legend>" in group and "<strong>asks</strong>" in group
    assert 'name="input.requester.name"' in group and 'name="input.items"' not in group


def test_a_table_keeps_a_json_text_area_and_describes_its_columns():
    fields = {f.id: f for f in forms.fields_from_flow(ORDER)}
    html = render_to_string("inputs/field.html", {"field": fields["items"]})
    assert '<textarea id="f-items" name="input.items"' in html, "works without script"
    assert "A JSON list of rows, each with item: one of the choices; quantity: a whole" in html
    assert 'data-table-for="f-items"' in html
    columns = json.loads(fields["items"].columns_json)
    assert columns[0] == {
        "id": "item",
        "label": "item",
        "type": "SELECT",
        "required": True,
        "options": [["l", "Laptop"]],
    }
    assert columns[1]["required"] is False


def test_an_object_and_ion_get_a_multi_line_editor():
    fields = {f.id: f for f in forms.fields_from_flow(ORDER)}
    address = render_to_string("inputs/field.html", {"field": fields["address"]})
    assert "<textarea" in address and "{&quot;city&quot;: &quot;&quot;}" in address
    assert "A JSON object with city: text." in address
    assert "<textarea" in render_to_string("inputs/field.html", {"field": fields["note"]})


def test_the_api_gives_columns_properties_and_the_form_of_each_field():
    fields = {f.id: field_json(f) for f in forms.fields_from_flow(ORDER)}
    assert fields["requester.name"]["form"] == "requester"
    assert "form" not in fields["items"]
    assert fields["items"]["columns"][1] == {"id": "quantity", "type": "INT", "required": False}
    assert fields["items"]["rows"] == {"min": 1}
    assert fields["address"]["properties"] == [{"id": "city", "type": "STRING"}]


def test_tables_objects_and_durations_are_sent_as_typed():
    post = QueryDict(mutable=True)
    rows = '[{"item": "l", "quantity": 2}]'
    post.update({"input.items": rows, "input.address": '{"city": "Lyon"}', "input.note": ""})
    inputs = [*forms.flow_inputs(ORDER), {"id": "within", "type": "DURATION"}]
    post["input.within"] = "P1DT12H"
    values = forms.read_values(post, inputs)
    assert values == {"items": rows, "address": '{"city": "Lyon"}', "within": "P1DT12H"}


def test_a_secret_inside_a_form_group_is_known_as_a_secret_kestra_sends_back():
    snapshot = {"inputs": {"requester": {"name": "Ada", "code": "s3cret"}}}
    assert forms.secret_values(ORDER, snapshot, {}) == {"s3cret"}


@pytest.mark.django_db
def test_a_resume_form_is_grouped_by_the_paused_tasks_forms_in_the_api_too():
    from apps_catalog.services import app_save_source
    from executions.models import Execution
    from tests import kestra_http

    flow = {
        "id": "grouped_approval",
        "tasks": [{"id": "wait", "type": "io.kestra.plugin.core.flow.Pause", "onResume": [
            {"id": "decision", "type": "FORM", "displayName": "Your decision",
             "inputs": [{"id": "budget", "type": "STRING"}]},
            {"id": "late", "type": "STRING"},
        ]}],
    }  # fmt: skip
    app, _ = app_save_source(source=kestra_http.app_on("grouped_approval"), flow=flow)
    execution = Execution.objects.create(
        app=app,
        state="PAUSED",
        snapshot={"taskRunList": [{"taskId": "wait", "state": {"current": "PAUSED"}}]},
        resume_form={
            "inputs": [
                {"input": {"id": "decision.budget", "type": "STRING"}},
                {"input": {"id": "late", "type": "STRING"}},
            ]
        },
    )

    fields = forms.resume_fields(execution)

    assert [(f.id, f.group.label if f.group else None) for f in fields] == [
        ("decision.budget", "Your decision"),
        ("late", None),
    ]
    assert field_json(fields[0])["form"] == "decision" and "form" not in field_json(fields[1])


@pytest.mark.django_db
def test_an_approvers_form_opens_without_the_errors_of_the_empty_check():
    """The stored form is Kestra's check of no values at all: its complaints about required
    fields are not the approver's mistakes."""
    from executions.models import Execution

    app = import_example("data_request")
    required = {"input": {"id": "reason", "type": "STRING", "required": True}, "enabled": True}
    execution = Execution.objects.create(
        app=app,
        state="PAUSED",
        resume_form={"inputs": [{**required, "errors": [{"message": "Missing required input"}]}]},
    )

    (field,) = forms.resume_fields(execution)

    assert field.id == "reason" and field.errors == []


def test_a_secret_is_masked_wherever_kestra_sends_it_back():
    secrets = {"hush-hush", "7"}
    value = {
        "whole": "hush-hush",
        "inside": ["the code is hush-hush", {"deep": "hush-hush!"}],
        "short": "7",
        "short inside": "17 apples",  # too short to be masked inside a text
        "number": 7,
    }

    assert forms.masked(value, secrets) == {
        "whole": forms.MASK,
        "inside": [f"the code is {forms.MASK}", {"deep": f"{forms.MASK}!"}],
        "short": forms.MASK,
        "short inside": "17 apples",
        "number": 7,
    }
    assert forms.masked("abcd and abc", {"abcd", "abc"}) == f"{forms.MASK} and abc"


PAUSING_FLOW = {
    "inputs": [{"id": "code", "type": "SECRET"}, {"id": "name", "type": "STRING"}],
    "tasks": [
        {
            "id": "wait",
            "type": "io.kestra.plugin.core.flow.Pause",
            "onResume": [
                {"id": "pin", "type": "SECRET"},
                {"id": "note", "type": "STRING"},
            ],
        }
    ],
}


@pytest.mark.parametrize("dialect", ["1.x: in the task run", "2.x: in the task outputs"])
def test_the_secrets_kestra_sends_back_are_secret_inputs_and_secret_resume_values(dialect):
    on_resume = {"onResume": {"pin": "4321", "note": "fine"}}
    run = (
        {"taskId": "wait", "outputs": on_resume} if dialect.startswith("1") else {"taskId": "wait"}
    )
    task_outputs = {} if dialect.startswith("1") else {"wait": on_resume}
    snapshot = {"inputs": {"code": "s3cret", "name": "Ada"}, "taskRunList": [run]}

    assert forms.secret_values(PAUSING_FLOW, snapshot, task_outputs) == {"s3cret", "4321"}
    assert forms.secret_values(PAUSING_FLOW, {"inputs": {}}, {}) == set()
    assert forms.secret_values(PAUSING_FLOW, {}, {}) == set()  # Kestra sent no inputs


def test_a_secret_kestra_sends_back_as_anything_but_text_is_no_value_to_mask():
    """Kestra hands SECRET values back encrypted (an object); only text is looked for."""
    snapshot = {"inputs": {"code": {"type": "EncryptedString", "value": "AbC"}, "name": "Ada"}}
    grouped = {"inputs": {"requester": "not a group", "items": []}}

    assert forms.secret_values(PAUSING_FLOW, snapshot, {}) == set()
    assert forms.secret_values(ORDER, grouped, {}) == set()


@pytest.mark.parametrize(
    ("definition", "static"),
    [
        ({"id": "a", "type": "STRING", "defaults": "plain"}, True),
        ({"id": "a", "type": "STRING", "prefill": "{{ now() }}"}, False),
        ({"id": "a", "type": "STRING", "defaults": "{{ inputs.b }}"}, False),
        ({"id": "a", "type": "SELECT", "dependsOn": {"inputs": ["b"]}}, False),
        ({"id": "a", "type": "SELECT", "expression": "{{ [1, 2] }}"}, False),
        ({"id": "a", "type": "SELECT", "autoSelectFirst": True}, False),
    ],
)
def test_only_a_form_of_static_inputs_is_drawn_without_asking_kestra(definition, static):
    assert forms.is_static({"inputs": [{"id": "b", "type": "STRING"}, definition]}) is static


def test_an_input_that_depends_on_others_waits_for_kestra_to_draw_it():
    flow = {"inputs": [{"id": "b", "type": "STRING"}, {"id": "a", "dependsOn": {"inputs": ["b"]}}]}
    assert [f.id for f in forms.fields_from_flow(flow)] == ["b"]


def test_a_file_larger_than_allowed_is_refused_and_the_others_kept(settings):
    settings.PORTAL_MAX_UPLOAD_MB = 1
    limit = 1024 * 1024
    inputs = [{"id": "big", "type": "FILE"}, {"id": "fits", "type": "FILE"}, {"id": "t"}]
    uploaded = {
        "input.big": SimpleUploadedFile("big.bin", b"x" * (limit + 1)),
        "input.fits": SimpleUploadedFile("fits.bin", b"x" * limit, content_type=""),
        "input.t": SimpleUploadedFile("t.bin", b"not a FILE input"),
    }

    files, too_large = forms.read_files(uploaded, inputs)

    assert list(files) == ["fits"]
    assert too_large == {"big": "The file is larger than the 1 MB allowed."}
    uploaded["input.fits"].read()
    name, handle, content_type = forms.file_fields(files)["fits"]
    assert (name, content_type) == ("fits.bin", "application/octet-stream")
    assert len(handle.read()) == limit  # rewound: sent whole


def test_the_shape_of_a_value_is_shown_while_its_box_is_empty():
    def example(input_type: str, **extra: object) -> str:
        return forms._field({"id": "x", "type": input_type, **extra}, None, []).example

    assert example("TABLE", columns=[{"id": "a"}]) == '[{"a": ""}]'
    assert example("OBJECT", properties=[{"id": "a"}]) == '{"a": ""}'
    assert example("YAML") == "key: value"
    assert example("ARRAY") == '["first", "second"]'
    assert example("JSON") == '{"key": "value"}'


def test_values_are_shown_as_text_and_chosen_values_outside_the_offer_are_others():
    result = {
        "inputs": [
            {"input": {"id": "ok", "type": "BOOL"}, "value": False},
            {"input": {"id": "doc", "type": "JSON"}, "value": {"a": [1]}},
            {"input": {"id": "none", "type": "STRING"}, "value": None},
            {
                "input": {"id": "tags", "type": "MULTISELECT", "values": ["a", "b"]},
                "value": None,
            },
        ]
    }

    fields = forms.fields_from_validation(result, {"tags": '["a", "zz"]'})

    assert [f.value for f in fields[:3]] == ["false", '{"a": [1]}', ""]
    assert fields[3].selected == ["a", "zz"] and fields[3].others == ["zz"]
    typed = forms.fields_from_validation(result, {"tags": "not json"})
    assert typed[3].selected == ["not json"]
    tags = {"inputs": [result["inputs"][3]["input"]]}
    for one in (  # one choice sent as a JSON text, not a list
        forms.fields_from_validation(result, {"tags": '"a"'})[3],
        forms.fields_from_flow(tags, {"tags": '"a"'})[0],
    ):
        assert (one.value, one.selected) == ('["a"]', ["a"])


@pytest.mark.django_db
def test_the_flow_is_asked_of_kestra_now_and_then_and_its_copy_kept_for_when_it_is_down(
    monkeypatch,
):
    app = import_example("feedback_form")
    flow = {"id": "feedback", "inputs": [{"id": "email", "type": "EMAIL"}]}
    asked: list[tuple] = []

    class Kestra:
        down = False

        def flow(self, namespace, flow_id, revision=None):
            asked.append((namespace, flow_id, revision))
            if self.down:
                raise KestraUnavailable("down")
            return flow

    kestra = Kestra()
    monkeypatch.setattr(forms, "get_client", lambda: kestra)
    cache.clear()

    assert forms.flow_definition(app) == flow
    assert forms.flow_definition(app) == flow
    assert asked == [("demo", "feedback", None)]  # the second from the cache
    assert App.objects.get(pk=app.pk).flow_snapshot == flow

    kestra.down = True
    cache.clear()
    assert forms.flow_definition(App.objects.get(pk=app.pk)) == flow
    assert forms.flow_definition(App.objects.get(pk=app.pk)) == flow
    assert len(asked) == 2  # the kept copy served a while without asking again

    App.objects.filter(pk=app.pk).update(flow_snapshot=None)
    cache.clear()
    with pytest.raises(KestraUnavailable):
        forms.flow_definition(App.objects.get(pk=app.pk))
