"""The task list's whole journey, as issue 27 asks for it, in one headless Chromium
against a real ``taskvars serve --auth-file``: a person signs in with the browser's Basic
credentials, deploys a model, works its first task (claims it, uploads a 5 MiB file,
fills its generated form, first refused, then accepted), sees the next task and the
diagram with it highlighted, completes it, and downloads the file byte-exact from the
finished instance; and a refused model shows every problem. No console error but the
refusals the test provokes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import bcrypt
import httpx
import pytest

from tests.e2e.server import Server, running_server
from tests.e2e.tasklist_browser import LAPTOP, MODELS, PageWatch

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.e2e

ANN = {"username": "ann", "password": "ann's journey"}
RECEIPT_BYTES = 5 * 1024 * 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    users = tmp_path / "users"
    cheap = bcrypt.gensalt(rounds=4)  # fast for tests
    users.write_text(f"ann:{bcrypt.hashpw(ANN['password'].encode(), cheap).decode()}:reviewers\n")
    database = f"sqlite:///{tmp_path / 'journey.db'}"
    with running_server(database, tmp_path, "--auth-file", str(users)) as server:
        yield server


def signed_in(browser: Browser, server: Server) -> tuple[Page, PageWatch]:
    """The page at #/processes, its browser holding ann's Basic credentials."""
    context = browser.new_context(http_credentials=ANN, viewport=LAPTOP, accept_downloads=True)
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"{server.base_url.removesuffix('/engine-rest')}/tasklist/#/processes")
    return page, watch


def diagram_element(page: Page, activity_id: str) -> Locator:
    return page.locator(f'.diagram-canvas g.djs-element[data-element-id="{activity_id}"]')


def whose(page: Page, label: str) -> Locator:
    return page.get_by_role("group", name="Whose tasks").get_by_role("button", name=label)


def test_a_person_works_a_deployed_model_from_its_first_task_to_the_finished_instances_file(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    receipt = secrets.token_bytes(RECEIPT_BYTES)
    (tmp_path / "receipt.pdf").write_bytes(receipt)
    page, watch = signed_in(browser, server)
    expect(page.get_by_text("Signed in as")).to_contain_text("ann")

    # A refused model: every problem the server lists, nothing deployed.
    page.get_by_label("BPMN file").set_input_files(MODELS / "processes-refused.bpmn")
    page.get_by_role("button", name="Deploy").click()
    problems = page.get_by_role("region", name="Problems in processes-refused.bpmn")
    expect(problems.get_by_role("listitem")).to_have_count(2)

    # The model deployed through the page; an instance started by a client.
    page.get_by_label("BPMN file").set_input_files(MODELS / "journey.bpmn")
    page.get_by_role("button", name="Deploy").click()
    expect(page.get_by_role("status")).to_contain_text("Deployed journey.bpmn")
    with httpx.Client(base_url=server.base_url, auth=tuple(ANN.values()), timeout=30) as api:
        started = api.post("/process-definition/key/journey/start", json={"businessKey": "j-1"})
        assert started.status_code == 200, started.text
        instance_id = started.json()["id"]

        # The first task, among ann's groups' tasks: claimed, given a file, its form sent.
        page.get_by_role("link", name="Tasks", exact=True).click()
        expect(whose(page, "My groups").locator(".count")).to_have_text("1")
        whose(page, "My groups").click()
        page.get_by_role("link", name=re.compile("Review the expense")).click()
        task = page.get_by_role("region", name="Review the expense")
        task.get_by_role("button", name="Claim").click()
        expect(task.get_by_role("button", name="Unclaim")).to_be_visible()
        expect(whose(page, "My tasks").locator(".count")).to_have_text("1")

        upload = task.get_by_role("form", name="Upload a file")
        upload.get_by_label("Variable name").fill("receipt")
        upload.get_by_label("File").set_input_files(str(tmp_path / "receipt.pdf"))
        upload.get_by_role("button", name="Upload").click()
        expect(upload.get_by_text("receipt.pdf stored as receipt.")).to_be_visible(timeout=30_000)
        expect(task.get_by_role("row", name=re.compile("^receipt"))).to_contain_text("5.0 MiB")

        form = task.locator("form.generated-form")
        amount = form.get_by_label("Amount")
        amount.fill("0")
        form.get_by_label("Title").fill("Train to the customer")
        form.get_by_role("button", name="Complete").click()
        message = "Invalid value submitted for form field 'amount': validation of min(1) failed."
        expect(amount).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_text(message)).to_be_visible()
        amount.fill("64")
        form.get_by_role("button", name="Complete").click()
        page.wait_for_url(re.compile(r"#/tasks$"))

        # The next task in the list, and on the diagram.
        whose(page, "My groups").click()
        expect(page.get_by_role("link", name=re.compile("Archive the expense"))).to_be_visible()
        page.get_by_role("link", name="Processes", exact=True).click()
        running = page.get_by_role("table", name="Running instances")
        running.get_by_role("link", name="j-1").click()
        active = re.compile(r"\bactivity-active\b")
        expect(diagram_element(page, "archiveExpense")).to_have_class(active)
        expect(diagram_element(page, "reviewExpense")).to_have_class(
            re.compile(r"\bactivity-passed\b")
        )

        # The next task worked from the instance's list of open tasks.
        page.get_by_role("link", name="Archive the expense").click()
        archive = page.get_by_role("region", name="Archive the expense")
        archive.get_by_role("button", name="Claim").click()
        archive.get_by_role("button", name="Complete").click()
        page.wait_for_url(re.compile(r"#/tasks$"))
        assert api.get(f"/history/process-instance/{instance_id}").json()["state"] == "COMPLETED"

    # The finished instance, and the file downloaded from it as it was uploaded.
    page.get_by_role("link", name="Processes", exact=True).click()
    page.get_by_role("table", name="Finished instances").get_by_role("link", name="j-1").click()
    expect(page.locator(".activity-active")).to_have_count(0)
    with page.expect_download() as download_info:
        page.get_by_role("row", name="receipt").get_by_role("link").click()
    assert Path(download_info.value.path()).read_bytes() == receipt

    watch.assert_clean(("POST", "create", 400), ("POST", "submit-form", 400))
