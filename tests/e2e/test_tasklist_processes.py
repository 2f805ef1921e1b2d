"""The task list's process views in a real browser (headless Chromium, Debian's package)
against a real server process: deploying a model through the page (a refused one shows
every problem), starting it through its start form, following the instance on its
diagram, and downloading a file variable from the finished instance."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.e2e.deployed_models import deploy_model
from tests.e2e.server import Server, running_server
from tests.e2e.tasklist_browser import (
    LAPTOP,
    MODELS,
    PHONE,
    PageWatch,
    fits_the_width,
    open_tasklist,
    save_screenshot,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(f"sqlite:///{tmp_path / 'processes.db'}", tmp_path) as server:
        yield server


def open_processes(browser: Browser, server: Server) -> tuple[Page, PageWatch]:
    """The page at #/processes, told who works here (user ann of group accounting)."""
    page, watch = open_tasklist(browser, server, "#/processes", LAPTOP, "accounting")
    page.get_by_role("heading", name="Deployed processes").wait_for()
    return page, watch


def deploy_through_the_page(page: Page, model: str) -> None:
    page.get_by_label("BPMN file").set_input_files(MODELS / model)
    page.get_by_role("button", name="Deploy").click()


def diagram_element(page: Page, activity_id: str) -> Locator:
    return page.locator(f'.diagram-canvas g.djs-element[data-element-id="{activity_id}"]')


def test_a_refused_model_shows_every_problem_the_server_lists(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import expect

    page, watch = open_processes(browser, server)

    deploy_through_the_page(page, "processes-refused.bpmn")

    refusal = page.get_by_role("region", name="Problems in processes-refused.bpmn")
    problems = refusal.get_by_role("listitem")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("unknown type 'money'")
    expect(problems.nth(0)).to_contain_text("line 7, column 70, element price")
    expect(problems.nth(1)).to_contain_text("validator implementation for name 'email'.")
    expect(problems.nth(1)).to_contain_text("line 16, column 70, element email")
    assert httpx.get(f"{server.base_url}/process-definition").json() == []
    watch.assert_clean(("POST", "create", 400))


def start_through_the_form(page: Page) -> str:
    """Starts Expense claim from its start form: first an amount its `min` refuses, then
    a valid one; the new instance's id (the page shows it next)."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Start Expense claim").click()
    expect(page.get_by_role("heading", name="Start Expense claim")).to_be_focused()
    page.get_by_label("Business key").fill("claim-7")
    page.get_by_label("Claimant").fill("Ann Smith")
    amount = page.get_by_label("Amount (EUR)")
    amount.fill("0")
    page.get_by_role("button", name="Start").click()

    # The server's message, beside the field it names, and the field marked and focused.
    message = "Invalid value submitted for form field 'amount': validation of min(1) failed."
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()
    described_by = amount.get_attribute("aria-describedby") or ""
    expect(page.locator(f"#{described_by.split()[0]}")).to_have_text(message)

    amount.fill("120")
    page.get_by_label("Category").select_option("equipment")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"#/instances/"))
    return page.url.rsplit("/", 1)[-1]


def complete_with_a_file(server: Server, instance_id: str, content: bytes) -> None:
    """Both user tasks completed through the REST API, a File variable set on the way."""
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        for step, activity in enumerate(["review", "pay"]):
            (task,) = http.get("/task", params={"processInstanceId": instance_id}).json()
            assert task["taskDefinitionKey"] == activity
            if step == 0:
                stored = http.post(
                    f"/task/{task['id']}/variables/invoice/data",
                    files={"data": ("invoice.pdf", content, "application/pdf")},
                    data={"valueType": "File"},
                )
                assert stored.status_code == 204, stored.text
            completed = http.post(f"/task/{task['id']}/complete", json={})
            assert completed.status_code == 204, completed.text


def test_a_process_is_deployed_started_followed_and_its_file_downloaded_when_finished(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import expect

    page, watch = open_processes(browser, server)
    deploy_through_the_page(page, "processes-expense.bpmn")
    expect(page.get_by_role("status")).to_have_text(
        "Deployed processes-expense.bpmn: Expense claim (version 1)."
    )

    instance_id = start_through_the_form(page)

    # The instance (its heading focused: the Start button went with the form), its form's
    # values and the first user task highlighted on the diagram.
    expect(page.get_by_role("heading", name="Expense claim: claim-7")).to_be_focused()
    expect(diagram_element(page, "review")).to_have_class(re.compile(r"\bactivity-active\b"))
    expect(diagram_element(page, "claimed")).to_have_class(re.compile(r"\bactivity-passed\b"))
    expect(page.locator("figcaption")).to_have_text(
        "Waiting at: Review the claim. Passed: Expense claimed."
    )
    expect(page.get_by_role("link", name="Review the claim")).to_have_attribute(
        "href", re.compile(r"^#/tasks/[^/]+$")
    )
    variables = page.locator("table.variables")
    expect(variables.get_by_role("row", name="amount")).to_contain_text("Long120")
    expect(variables.get_by_role("row", name="category")).to_contain_text("equipment")
    expect(page.locator(".bjs-powered-by")).to_be_visible()  # bpmn-js's licence asks for it
    save_screenshot(page, "tasklist-process.png")

    content = secrets.token_bytes(3 * 1024 * 1024 + 17)
    complete_with_a_file(server, instance_id, content)
    # Another instance, so that the overview shows one running beside the finished one.
    started = httpx.post(
        f"{server.base_url}/process-definition/key/expense/start", json={"businessKey": "claim-8"}
    )
    assert started.status_code == 200, started.text

    page.get_by_role("link", name="Processes", exact=True).click()
    finished = page.get_by_role("table", name="Finished instances")
    expect(page.get_by_role("table", name="Running instances")).to_contain_text("claim-8")
    save_screenshot(page, "tasklist-processes.png")
    page.set_viewport_size(PHONE)
    assert fits_the_width(page)
    page.set_viewport_size(LAPTOP)

    finished.get_by_role("link", name="claim-7").click()
    expect(page.get_by_text("Finished. Passed:")).to_be_visible()
    for activity in ("claimed", "review", "pay", "paid"):
        expect(diagram_element(page, activity)).to_have_class(re.compile(r"\bactivity-passed\b"))
    expect(page.locator(".activity-active")).to_have_count(0)
    invoice = page.get_by_role("row", name="invoice")
    expect(invoice).to_contain_text("3.0 MiB · application/pdf")
    with page.expect_download() as download_info:
        invoice.get_by_role("link", name="Download invoice.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "invoice.pdf"
    assert Path(download.path()).read_bytes() == content
    page.set_viewport_size(PHONE)
    assert fits_the_width(page)

    watch.assert_clean(("POST", "submit-form", 400))


def test_a_start_forms_business_key_field_names_the_instance_drawn_without_a_layout(
    browser: Browser, server: Server
) -> None:
    """tests/bpmn/leave-request.bpmn: its start form's `reference` field is the business
    key; the model has no BPMN DI, so there is no drawing, only the words."""
    from playwright.sync_api import expect

    with httpx.Client(base_url=server.base_url) as http:
        deploy_model(http, "leave-request.bpmn")
    page, watch = open_processes(browser, server)

    # From the keyboard: the link followed with Enter, the form sent with Enter in a field.
    page.get_by_role("link", name="Start Leave request").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Reference")).to_have_accessible_description(
        "the instance's business key"
    )
    expect(page.get_by_label("Business key")).to_have_count(0)  # the form has its own
    page.set_viewport_size(PHONE)
    assert fits_the_width(page)
    page.get_by_label("Reference").fill("LR-12")
    page.get_by_label("Employee").fill("Bo")
    page.get_by_label("Kind").select_option(label="Sick leave")
    page.get_by_label("First day").fill("2030-07-01")
    page.get_by_label("Days").fill("3")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Leave request: LR-12")).to_be_visible()
    expect(page.get_by_text("The model has no diagram layout")).to_be_visible()
    expect(page.locator("figcaption")).to_have_text(
        "Waiting at: Approve ${employee}'s leave. Passed: Leave requested."
    )
    instance_id = page.url.rsplit("/", 1)[-1]
    variables = httpx.get(f"{server.base_url}/process-instance/{instance_id}/variables").json()
    assert variables["days"] == {"type": "Long", "value": 3, "valueInfo": {}}
    assert variables["kind"]["value"] == "sick"
    watch.assert_clean()
