"""A visitor requests a dataset in a real browser and downloads the extract."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_STAGES = """
() => {
  window.__stages = [];
  window.__sameDocument = true;
  const record = () => {
    const stage = document.querySelector('#live .stage');
    const name = stage && stage.getAttribute('data-stage');
    if (name && window.__stages[window.__stages.length - 1] !== name) window.__stages.push(name);
  };
  record();
  const live = document.getElementById('live');
  new MutationObserver(record).observe(live, {childList: true, subtree: true});
}
"""


def test_a_visitor_requests_a_dataset_and_downloads_it(
    page, live_server, worker, data_request_app, tmp_path: Path
):
    page.goto(f"{live_server.url}/apps/{data_request_app.uid}/")
    assert page.locator("h2", has_text="Request data").is_visible()
    dataset = page.get_by_label("Dataset")
    options = dataset.locator("option").all_inner_texts()
    assert [o for o in options if o != "Choose…"] == [
        "customers",
        "employees",
        "products",
        "stores",
        "suppliers",
    ]
    assert page.get_by_label("Include records since").get_attribute("type") == "date"
    assert page.get_by_label("Number of rows").get_attribute("type") == "number"

    dataset.select_option("employees")
    page.get_by_label("Include records since").fill("2025-01-15")
    page.get_by_label("Number of rows").fill("7")
    page.get_by_role("button", name="Submit").click()

    page.wait_for_url("**/executions/**")
    page.evaluate(RECORD_STAGES)
    page.locator("#live .stage[data-stage=SUCCESS]").wait_for(timeout=30_000)

    stages = page.evaluate("window.__stages")
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    assert stages[-1] == "SUCCESS"
    assert "RUNNING" in stages, f"the page never showed RUNNING: {stages}"

    inputs = page.locator("section[aria-label=Inputs]")
    shown = inputs.inner_text()  # named as the flow names them, the date as a date
    assert "Dataset\nemployees" in shown and "Include records since\n15 January 2025" in shown
    assert page.get_by_text("Your data is ready for download.").is_visible()

    with page.expect_download() as download_info:
        page.locator("section[aria-label=Outputs] a.download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_text().splitlines() == [
        "id,dataset,since",
        "1,employees,2025-01-15",
        "2,employees,2025-01-15",
    ]


def test_a_bad_value_is_shown_next_to_its_field_with_the_values_kept(
    page, live_server, kestra, data_request_app
):
    page.goto(f"{live_server.url}/apps/{data_request_app.uid}/")
    page.get_by_label("Dataset").select_option("stores")
    page.get_by_label("Number of rows").fill("5000")
    page.get_by_role("button", name="Submit").click()
    rows = page.locator("[data-input=rows]")
    rows.locator(".errors").wait_for()
    assert page.get_by_label("Number of rows").input_value() == "5000"
    assert page.get_by_label("Dataset").input_value() == "stores"
