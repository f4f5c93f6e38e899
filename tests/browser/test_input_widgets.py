"""The step-by-step form (FORM groups), the table editor (TABLE) and the duration boxes
(DURATION), in Chromium, on the example app that shows them (examples/apps/equipment_order)."""

from __future__ import annotations

import json

import pytest
import requests

from executions.models import Execution
from tests.conftest import import_example
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def order_app(kestra):
    return import_example("equipment_order")


def _first_step(page, live_server, app) -> None:
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Your email").fill("ada@example.org")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("group", name="What you need").wait_for()


def test_the_wizard_goes_step_by_step_and_sends_every_answer_together(page, live_server, order_app):
    page.goto(f"{live_server.url}/apps/{order_app.uid}/")
    assert page.get_by_text("Step 1 of 2: About you").is_visible()
    assert not page.get_by_role("group", name="What you need").is_visible()
    assert not page.get_by_role("button", name="Place order").is_visible()

    page.get_by_role("button", name="Next").click()
    page.get_by_text("missing required input").first.wait_for()
    assert page.get_by_text("Step 1 has errors").is_visible(), "Kestra refused the step"
    assert page.evaluate("document.activeElement.name") == "input.requester.name"

    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Your email").fill("ada@example.org")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("group", name="What you need").wait_for()
    assert not page.get_by_label("Your name").is_visible()
    assert not page.get_by_label("Items").is_visible(), "the table editor replaces the text area"

    page.get_by_label("Item, row 1").select_option(label="Monitor")
    page.get_by_label("Quantity, row 1").fill("2")
    page.get_by_role("button", name="Add a row").click()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Item, row 2"
    page.get_by_label("Item, row 2").select_option(label="Headset")
    page.get_by_label("Quantity, row 2").fill("1")
    page.get_by_label("Note, row 2").fill("wireless")

    within = page.get_by_label("Deliver within")
    assert within.input_value() == "P5D"
    assert page.get_by_label("Days").input_value() == "5"
    page.get_by_label("Days").fill("1")
    page.get_by_label("Hours").fill("12")
    assert within.input_value() == "P1DT12H"

    page.get_by_role("button", name="Review").click()
    recap = page.get_by_role("region", name="Check your answers")
    recap.wait_for()
    text = recap.inner_text()
    assert "Ada" in text and "monitor, 2; headset, 1, wireless" in text and "P1DT12H" in text
    recap.get_by_role("button", name="Change About you").click()
    assert page.get_by_label("Your name").is_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Review").click()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/executions/**")

    inputs = Execution.objects.get().inputs
    assert inputs["requester.name"] == "Ada" and inputs["order.within"] == "P1DT12H"
    assert json.loads(inputs["order.items"]) == [
        {"item": "monitor", "quantity": 2},
        {"item": "headset", "quantity": 1, "note": "wireless"},
    ]


def test_bad_cells_and_durations_are_refused_next_to_their_field(page, live_server, order_app):
    _first_step(page, live_server, order_app)
    page.get_by_label("Item, row 1").select_option(label="Laptop")
    page.get_by_label("Quantity, row 1").fill("0")
    page.get_by_label("Deliver within").fill("five days")
    page.get_by_role("button", name="Review").click()
    errors = page.locator("ul.errors")
    errors.get_by_text("row 1: `quantity`: it must be more than `1`").wait_for()
    errors.get_by_text("cannot be parsed to a Duration").wait_for()
    assert page.get_by_label("Deliver within").get_attribute("aria-invalid") == "true"
    assert page.get_by_text("Step 2 has errors").is_visible()
    assert not page.get_by_role("button", name="Place order").is_visible()
    assert page.get_by_label("Days").input_value() == "", "the boxes cannot show a bad duration"

    page.get_by_role("button", name="Remove row 1").click()
    assert page.get_by_label("Quantity, row 1").input_value() == "", "a fresh row replaces it"


def test_without_script_every_group_shows_and_the_text_boxes_submit(
    browser, live_server, order_app
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/apps/{order_app.uid}/")
    assert page.get_by_role("group", name="About you").is_visible()
    assert page.get_by_role("group", name="What you need").is_visible()
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Your email").fill("ada@example.org")
    page.get_by_label("Items").fill('[{"item": "laptop", "quantity": 1}]')
    page.get_by_label("Deliver within").fill("PT2H")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/executions/**")
    assert Execution.objects.get().inputs["order.within"] == "PT2H"
    context.close()


def test_the_table_step_fits_a_phone(browser, live_server, order_app):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    _first_step(page, live_server, order_app)
    page.get_by_role("button", name="Add a row").click()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    box = page.get_by_label("Quantity, row 2").bounding_box()
    assert box and box["width"] > 250, "a row's cells stack on a narrow screen"
    context.close()


def test_an_error_appearing_while_typing_is_read_out(page, live_server, order_app):
    _first_step(page, live_server, order_app)
    page.get_by_label("Deliver within").fill("soon")
    status = page.locator("[data-form-status]", has_text="Duration")
    status.wait_for(state="attached")
    assert status.get_attribute("aria-live") == "polite"
    assert status.text_content().startswith("Deliver within: ")
    assert page.evaluate("document.activeElement.name") == "input.order.within", "focus stays"


def test_an_object_is_typed_as_json_and_checked_by_its_properties(page, live_server, order_app):
    page.goto(f"{live_server.url}/apps/{order_app.uid}/")
    desk = page.get_by_label("Your desk")
    assert desk.evaluate("node => node.tagName") == "TEXTAREA"
    assert desk.get_attribute("placeholder") == '{"building": "", "floor": ""}'
    desk.fill('{\n  "floor": 2\n}')
    page.locator("ul.errors").get_by_text("the object: `building` is missing").wait_for()
    assert desk.get_attribute("aria-invalid") == "true"
    desk.fill('{"building": "B", "floor": 2}')
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Your email").fill("ada@example.org")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("group", name="What you need").wait_for()


def test_the_wizard_and_the_table_work_from_the_keyboard(page, live_server, order_app):
    page.goto(f"{live_server.url}/apps/{order_app.uid}/")
    page.get_by_label("Your name").fill("Ada")
    page.keyboard.press("Tab")
    page.keyboard.type("ada@example.org")
    page.keyboard.press("Enter")  # moves on a step, does not send the form
    page.get_by_role("group", name="What you need").wait_for()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Item, row 1"
    assert "/executions/" not in page.url
    page.get_by_role("button", name="Add a row").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Item, row 2"
    assert page.get_by_text("Row 2 added").count() == 1, "the change is read out"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Remove row 1"


def test_an_approvers_resume_form_gets_the_same_editors(page, live_server, kestra, approver):
    app = import_example("vacation_approval")
    execution = Execution.objects.create(
        app=app,
        kestra_id="PausedExecution0000001",
        delivery=Execution.Delivery.DELIVERED,
        state="PAUSED",
        stage="PAUSE",
        snapshot={"id": "PausedExecution0000001", "state": {"current": "PAUSED"}},
        inputs={"request.name": "Ada"},
        resume_form={
            "inputs": [
                {"input": {"id": "extend", "type": "DURATION", "displayName": "Extension"}},
                {
                    "input": {
                        "id": "handover",
                        "type": "TABLE",
                        "displayName": "Handover",
                        "columns": [{"id": "task", "type": "STRING", "displayName": "Task"}],
                    }
                },
            ]
        },
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(approver.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/apps/{app.uid}/executions/{execution.public_id}/")
    page.get_by_label("Hours").fill("4")
    assert page.get_by_label("Extension").input_value() == "PT4H"
    page.get_by_label("Task, row 1").fill("budget review")
    handover = page.locator("textarea[name='input.handover']")
    assert json.loads(handover.input_value()) == [{"task": "budget review"}]


def test_while_kestra_cannot_answer_next_moves_on_past_older_errors(
    page, live_server, kestra, order_app
):
    page.goto(f"{live_server.url}/apps/{order_app.uid}/")
    page.get_by_label("Your desk").fill('{"floor": 2}')
    page.locator("ul.errors").get_by_text("`building` is missing").wait_for()
    requests.post(f"{kestra}/_emulator/faults", json={"unreachable": True}, timeout=5)
    try:
        page.get_by_label("Your desk").fill('{"building": "B"}')
        page.get_by_label("Your name").fill("Ada")
        page.get_by_label("Your email").fill("ada@example.org")
        page.get_by_role("button", name="Next").click()
        page.get_by_role("group", name="What you need").wait_for()
    finally:
        requests.post(f"{kestra}/_emulator/faults", json={"unreachable": False}, timeout=5)
