"""Each example app, stage by stage, the way a person uses it in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import import_example
from tests.personas import PASSWORD, grant_use

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    """Through the login form, as a person does."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/apps/$"))


def _stage(page, stage: str, timeout: float = 30_000) -> None:
    page.locator(f"#live .stage[data-stage={stage}]").wait_for(timeout=timeout)


def _request_vacation(page, live_server, app) -> None:
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("First day off").fill("2026-12-21")
    page.get_by_label("Last day off").fill("2026-12-24")
    page.get_by_label("Reason").fill("family visit")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/executions/**")
    _stage(page, "PAUSE")


def test_a_manager_approves_a_vacation_request(page, live_server, worker, approver, tmp_path: Path):
    app = import_example("vacation_approval")
    _log_in(page, live_server, approver)
    _request_vacation(page, live_server, app)

    assert page.get_by_role("heading", name="Approval needed").is_visible()
    inputs = page.locator("section[aria-label=Inputs]").inner_text()
    assert "Your name\nAda" in inputs and "First day off\n21 December 2026" in inputs
    assert "family visit" not in inputs, "the Inputs block excludes the reason"
    summary = page.locator("section[aria-label='Task outputs']")
    assert "Request summary" in summary.inner_text()
    summary.get_by_role("link", name="Preview").click()
    page.get_by_text("Ada asks for 2026-12-21 to 2026-12-24").wait_for()

    assert page.get_by_label("Approve this request?").is_checked()
    page.get_by_label("Comment for the requester").fill("Have a good rest")
    page.get_by_role("button", name="Approve").click()
    _stage(page, "SUCCESS")
    assert page.get_by_text("Approved: Have a good rest").is_visible()


def test_a_manager_rejects_a_vacation_request(page, live_server, worker, approver):
    app = import_example("vacation_approval")
    _log_in(page, live_server, approver)
    _request_vacation(page, live_server, app)
    page.get_by_role("button", name="Reject").click()
    _stage(page, "FAILURE")
    assert page.get_by_text("This request was declined or cancelled.").is_visible()


def test_an_it_ticket_with_a_fixed_error_a_conditional_input_and_a_file(
    page, live_server, worker, grantee, tmp_path: Path
):
    app = import_example("it_ticket")
    grant_use(grantee, app)
    _log_in(page, live_server, grantee)
    page.goto(f"{live_server.url}/apps/{app.uid}/")

    assert page.get_by_label("Which system needs access?").count() == 0
    page.get_by_label("Access request").check()
    page.get_by_label("Which system needs access?").wait_for()
    page.get_by_label("Which system needs access?").select_option("CRM")

    page.get_by_label("Short summary").fill("VPN")
    attachment = tmp_path / "error.txt"
    attachment.write_text("stack trace here\n")
    page.get_by_label("Screenshot or log").set_input_files(str(attachment))
    page.get_by_role("button", name="Open ticket").click()

    error = page.locator("[data-input=title] .errors")
    error.wait_for()
    assert "must match the pattern" in error.inner_text()
    assert page.get_by_label("Short summary").input_value() == "VPN"
    assert page.get_by_label("Which system needs access?").input_value() == "CRM"

    page.get_by_label("Short summary").fill("Need CRM access please")
    page.get_by_label("Screenshot or log").set_input_files(str(attachment))
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_url("**/executions/**")
    _stage(page, "SUCCESS")
    assert re.search(r"Ticket IT-\w+ is open", page.locator(".alert").inner_text())
    inputs = page.locator("section[aria-label=Inputs]")
    assert "CRM" in inputs.inner_text()
    with page.expect_download() as info:
        inputs.get_by_role("link", name=re.compile("Download")).click()
    saved = tmp_path / "downloaded.txt"
    info.value.save_as(saved)
    assert saved.read_text() == "stack trace here\n"
    logs = page.locator("section[aria-label=Logs]").inner_text()
    assert "routed to the help desk" in logs


def test_a_public_feedback_form_with_the_default_layout(page, live_server, worker):
    app = import_example("feedback_form")
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Your email").fill("ada@example.org")
    page.get_by_label("How would you rate the event?").fill("5")
    page.get_by_label("Talks").check()
    page.get_by_label("Food").check()
    page.get_by_label("Subscribe to the newsletter").check()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/executions/**")
    _stage(page, "SUCCESS")
    outputs = page.locator("section[aria-label=Outputs]").inner_text()
    assert "Thanks ada@example.org, you rated us 5/5" in outputs
    inputs = page.locator("section[aria-label=Inputs]").inner_text()
    assert "Talks, Food" in inputs


def test_a_nightly_run_cancelled_then_one_that_fails(page, live_server, worker, grantee):
    app = import_example("nightly_job")
    grant_use(grantee, app)
    _log_in(page, live_server, grantee)
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Run for (seconds)").fill("30")
    page.get_by_role("button", name="Run").click()
    _stage(page, "RUNNING")
    page.get_by_role("button", name="Stop it").click()
    _stage(page, "FAILURE")
    assert "State: KILLED" in page.locator(".block-stacktrace").inner_text()

    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Simulate a failure").check()
    page.get_by_label("Run for (seconds)").fill("0")
    page.get_by_role("button", name="Run").click()
    _stage(page, "FAILURE")
    assert "State: FAILED" in page.locator(".block-stacktrace").inner_text()
    assert "failed on purpose" in page.locator("section[aria-label=Logs]").inner_text()


def test_a_quote_from_a_flow_written_for_kestra_with_labelled_choices_and_display_names(
    page, live_server, worker, grantee, tmp_path: Path
):
    """The price_quote flow uses an HTTP request, a script and Slack: the emulator stubs
    them (examples/flows/demo.price_quote.stubs.yml) and the app runs as in Kestra."""
    app = import_example("price_quote")
    grant_use(grantee, app)
    _log_in(page, live_server, grantee)
    page.goto(f"{live_server.url}/apps/{app.uid}/")

    product = page.get_by_label("Product")
    options = product.locator("option")
    assert [options.nth(i).inner_text() for i in range(options.count())][-2:] == [
        "Standing desk",
        "Office chair",
    ]
    product.select_option(label="Standing desk")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Get a quote").click()
    _stage(page, "SUCCESS")

    outputs = page.locator("section[aria-label=Outputs]")
    assert outputs.locator("dt").all_inner_texts() == ["Total (EUR)"]
    assert outputs.locator("dd").inner_text().strip() == "840"
    inputs = page.locator("section[aria-label=Inputs]")
    assert inputs.locator("dt").all_inner_texts() == ["Product", "Quantity"]
    assert [v.strip() for v in inputs.locator("dd").all_inner_texts()] == ["Standing desk", "2"]
    logs = page.locator("section[aria-label=Logs]")
    assert "Quote: 2 x desk = 840 EUR" in logs.inner_text(), "the value behind the label was sent"

    with page.expect_download() as info:
        logs.get_by_role("link", name="Download logs").click()
    saved = tmp_path / "logs.txt"
    info.value.save_as(saved)
    text = saved.read_text()
    assert "Quote: 2 x desk = 840 EUR" in text
    assert "SlackIncomingWebhook does not run here; no outputs" in text


def test_the_open_markdown_follows_the_form_as_it_is_filled_in(page, live_server, kestra, grantee):
    app = import_example("price_quote")
    grant_use(grantee, app)
    _log_in(page, live_server, grantee)
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    summary = page.locator(".block-markdown").nth(1)
    assert summary.inner_text() == "A quote for 1 of the product you pick."

    page.get_by_label("Quantity").fill("12")
    page.get_by_text("A quote for 12 of the product you pick.").wait_for()
    page.get_by_label("Product").select_option(label="Office chair")
    page.get_by_text("A quote for 12 of chair.").wait_for()

    assert page.locator(".block-markdown strong").inner_text() == "12"
    assert page.get_by_label("Quantity").input_value() == "12", "the form keeps what was typed"
