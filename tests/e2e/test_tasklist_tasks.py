"""The task views of /tasklist/, used as a person would use them, in a real browser
(headless Chromium, Debian's package) against a real server process: a task of a
deployed model found under "My groups", claimed, a 5 MiB file uploaded to it, its
generated form refused by the server and then accepted, and the next task listed."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

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

UPLOAD_BYTES = 5 * 1024 * 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(f"sqlite:///{tmp_path / 'tasklist.db'}", tmp_path) as server:
        yield server


@pytest.fixture
def review(http: httpx.Client) -> str:
    """The review model deployed and one instance of it started: its id."""
    content = (MODELS / "review.bpmn").read_bytes()
    deployed = http.post("/deployment/create", files={"data": ("review.bpmn", content)})
    assert deployed.status_code == 200, deployed.text
    started = http.post("/process-definition/key/review/start", json={"businessKey": "lunch"})
    assert started.status_code == 200, started.text
    return str(started.json()["id"])


def open_tasks(
    browser: Browser, server: Server, viewport: dict[str, int]
) -> tuple[Page, PageWatch]:
    """The page at #/tasks, told who works here (user ann of group reviewers)."""
    return open_tasklist(browser, server, "#/tasks", viewport, "reviewers")


def tab(page: Page, label: str) -> Locator:
    return page.get_by_role("group", name="Whose tasks").get_by_role("button", name=label)


def test_a_task_is_claimed_given_a_file_and_completed_through_its_form(
    browser: Browser, server: Server, http: httpx.Client, review: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    content = secrets.token_bytes(UPLOAD_BYTES)
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(content)
    page, watch = open_tasks(browser, server, LAPTOP)

    expect(tab(page, "My groups")).to_have_attribute("aria-pressed", "true")
    expect(tab(page, "My groups").locator(".count")).to_have_text("1")
    expect(tab(page, "My tasks").locator(".count")).to_have_text("0")
    page.get_by_role("link", name=re.compile("Review the expense")).click()
    task = page.get_by_role("region", name="Review the expense")
    task.get_by_role("button", name="Claim").click()
    expect(task.get_by_role("button", name="Unclaim")).to_be_visible()
    tab(page, "My tasks").click()
    expect(tab(page, "My tasks").locator(".count")).to_have_text("1")
    expect(page.get_by_role("list", name="My tasks").get_by_role("link")).to_have_count(1)

    # A slower line than loopback, so that the upload's progress has time to show.
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 4 * 2**20},
    )
    upload = task.get_by_role("form", name="Upload a file")
    upload.get_by_label("Variable name").fill("receipt")
    upload.get_by_label("File").set_input_files(str(receipt))
    upload.get_by_role("button", name="Upload").click()
    expect(upload).to_contain_text("The server takes files up to 1.0 GiB.")
    expect(upload.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    page.wait_for_function("() => document.querySelector('.file-upload progress')?.value > 0")
    expect(upload.get_by_text("receipt.pdf stored as receipt.")).to_be_visible(timeout=30_000)
    network.send("Network.disable")
    row = task.get_by_role("row", name=re.compile("^receipt"))
    expect(row).to_contain_text("File")
    expect(row).to_contain_text("5.0 MiB")
    expect(row.get_by_role("link", name="receipt.pdf")).to_be_visible()
    save_screenshot(page, "tasklist-task.png")

    form = task.locator("form.generated-form")
    amount = form.get_by_label("Amount")
    expect(form.get_by_text("At least 1")).to_be_visible()
    expect(form.get_by_label("Category")).to_have_value("travel")
    amount.fill("0")
    form.get_by_label("Title").fill("Lunch with a customer")
    form.get_by_role("button", name="Complete").click()
    message = "Invalid value submitted for form field 'amount': validation of min(1) failed."
    expect(amount).to_have_attribute("aria-invalid", "true")
    error_id = page.get_by_text(message).get_attribute("id")
    assert error_id is not None
    assert error_id in (amount.get_attribute("aria-describedby") or "").split()

    amount.fill("42")
    form.get_by_role("button", name="Complete").click()
    page.wait_for_url(re.compile(r"#/tasks$"))
    tab(page, "My groups").click()
    expect(page.get_by_role("link", name=re.compile("Archive the expense"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Review the expense"))).to_have_count(0)
    save_screenshot(page, "tasklist-tasks.png", full_page=False)

    stored = http.get(f"/process-instance/{review}/variables/receipt/data")
    assert stored.status_code == 200
    assert stored.content == content
    amount_stored = http.get(f"/process-instance/{review}/variables/amount").json()
    assert amount_stored == {"type": "Long", "value": 42, "valueInfo": {}}
    watch.assert_clean(("POST", "submit-form", 400))


def test_a_task_is_claimed_with_the_keyboard_alone(
    browser: Browser, server: Server, http: httpx.Client, review: str
) -> None:
    from playwright.sync_api import expect

    page, watch = open_tasks(browser, server, LAPTOP)
    link = page.get_by_role("link", name=re.compile("Review the expense"))
    expect(link).to_be_visible()

    def tab_to(name: str) -> None:
        for _ in range(80):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.textContent.trim()")
            if focused.startswith(name):
                return
        pytest.fail(f"Tab never reached {name!r}")

    tab_to("Review the expense")
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="Review the expense")).to_be_visible()
    tab_to("Claim")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Unclaim")).to_be_focused()  # the same button
    (task,) = http.get("/task", params={"processInstanceId": review}).json()
    assert task["assignee"] == "ann"
    watch.assert_clean()


def test_at_a_phones_width_the_list_and_the_task_stack_without_scrolling_sideways(
    browser: Browser, server: Server, review: str
) -> None:
    from playwright.sync_api import expect

    page, watch = open_tasks(browser, server, PHONE)
    link = page.get_by_role("link", name=re.compile("Review the expense"))
    expect(link).to_be_visible()
    assert fits_the_width(page)

    link.click()
    task = page.get_by_role("region", name="Review the expense")
    expect(task.get_by_label("Amount")).to_be_visible()
    expect(task.get_by_role("button", name="Upload")).to_be_visible()
    listed = page.get_by_role("region", name="Tasks").bounding_box()
    shown = task.bounding_box()
    assert listed is not None
    assert shown is not None
    assert listed["y"] + listed["height"] <= shown["y"]  # one above the other
    assert fits_the_width(page)
    watch.assert_clean()


def test_comments_and_attachments_are_added_and_listed(
    browser: Browser, server: Server, review: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    notes = tmp_path / "notes.txt"
    notes.write_bytes("Receipt checked ✓\n".encode())
    page, watch = open_tasks(browser, server, LAPTOP)
    page.get_by_role("link", name=re.compile("Review the expense")).click()

    comments = page.get_by_role("region", name="Comments")
    comments.get_by_label("Comment").fill("Looks <b>fine</b>")
    comments.get_by_role("button", name="Add comment").click()
    expect(comments.get_by_role("listitem")).to_contain_text("Looks <b>fine</b>")  # as text

    attachments = page.get_by_role("region", name="Attachments")
    attachments.get_by_label("Attachment file").set_input_files(str(notes))
    attachments.get_by_role("button", name="Attach", exact=True).click()
    with page.expect_download() as downloading:
        attachments.get_by_role("link", name="notes.txt").click()
    assert Path(downloading.value.path()).read_bytes() == notes.read_bytes()

    attachments.get_by_label("Attachment name").fill("Policy")
    attachments.get_by_label("Or a link").fill("https://example.org/policy")
    attachments.get_by_role("button", name="Attach", exact=True).click()
    policy = attachments.get_by_role("link", name="Policy")
    expect(policy).to_have_attribute("href", "https://example.org/policy")
    expect(attachments.get_by_role("listitem")).to_have_count(2)
    watch.assert_clean()


def test_the_list_sorts_filters_and_shows_new_tasks_and_changes_without_a_reload(
    browser: Browser, server: Server, http: httpx.Client, review: str
) -> None:
    from playwright.sync_api import expect

    (reviewing,) = http.get("/task", params={"processInstanceId": review}).json()
    created = http.post("/task/create", json={"id": "call-back", "name": "Call the customer back"})
    assert created.status_code == 204, created.text
    urgent = {"name": "Call the customer back", "priority": 90}
    assert http.put("/task/call-back", json=urgent).status_code == 204
    page, watch = open_tasks(browser, server, LAPTOP)
    tab(page, "All").click()
    listed = page.get_by_role("list", name="All").get_by_role("link")

    page.get_by_label("Sort by").select_option("priority")
    page.get_by_label("Order").select_option("asc")
    expect(listed).to_have_count(2)
    expect(listed.first).to_contain_text("Review the expense")
    page.get_by_label("Order").select_option("desc")
    expect(listed.first).to_contain_text("Call the customer back")

    page.get_by_label("Name").fill("customer")
    expect(listed).to_have_count(1)
    expect(tab(page, "All").locator(".count")).to_have_text("1")
    page.get_by_label("Name").fill("")
    page.get_by_label("Process").select_option(label="Expense review")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Review the expense")
    page.get_by_label("Process").select_option(label="Any process")

    # A task created elsewhere shows up on its own; the chosen task stays chosen.
    listed.filter(has_text="Review the expense").click()
    selected = page.get_by_role("link", name=re.compile("Review the expense"))
    expect(selected).to_have_attribute("aria-current", "page")
    created = http.post("/task/create", json={"id": "new-work", "name": "Newly arrived"})
    assert created.status_code == 204, created.text
    expect(listed.filter(has_text="Newly arrived")).to_be_visible(timeout=10_000)
    expect(selected).to_have_attribute("aria-current", "page")
    assert page.url.endswith(f"#/tasks/{reviewing['id']}")

    # The chosen task claimed elsewhere: its view shows the new assignee on its own.
    claimed = http.post(f"/task/{reviewing['id']}/claim", json={"userId": "bob"})
    assert claimed.status_code == 204, claimed.text
    assignee = page.locator(".task-fields div", has_text="Assignee").locator("dd")
    expect(assignee).to_have_text("bob", timeout=10_000)
    watch.assert_clean()


def test_a_task_with_an_embedded_form_is_completed_through_the_variables_editor(
    browser: Browser, server: Server, http: httpx.Client
) -> None:
    from playwright.sync_api import expect

    content = (MODELS / "embedded_form.bpmn").read_bytes()
    deployed = http.post("/deployment/create", files={"data": ("shipping.bpmn", content)})
    assert deployed.status_code == 200, deployed.text
    parcel = {"value": '{"weight":2.5,"items":["book"]}', "type": "Json"}
    started = http.post(
        "/process-definition/key/shipping/start", json={"variables": {"parcel": parcel}}
    )
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]
    page, watch = open_tasks(browser, server, LAPTOP)
    tab(page, "My tasks").click()
    page.get_by_role("link", name=re.compile("Pack the parcel")).click()
    task = page.get_by_role("region", name="Pack the parcel")

    expect(task.get_by_text("embedded:app:forms/pack.html")).to_be_visible()
    parcel_row = task.get_by_role("row", name=re.compile("^parcel"))
    expect(parcel_row.locator("pre")).to_have_text(
        '{\n  "weight": 2.5,\n  "items": [\n    "book"\n  ]\n}'
    )

    editor = task.locator("form.variables-editor")
    editor.get_by_role("button", name="Add a variable").click()
    editor.get_by_label("Name").fill("boxes")
    editor.get_by_label("Type").select_option("Long")
    editor.get_by_label("Value").fill("3")
    editor.get_by_role("button", name="Complete").click()
    page.wait_for_url(re.compile(r"#/tasks$"))
    expect(page.get_by_role("link", name=re.compile("Pack the parcel"))).to_have_count(0)

    finished = http.get(
        "/history/variable-instance",
        params={"processInstanceId": instance_id, "variableName": "boxes"},
    ).json()
    assert [(each["type"], each["value"]) for each in finished] == [("Long", 3)]
    watch.assert_clean()


def test_a_file_larger_than_the_server_takes_is_not_sent_and_a_refusal_is_shown(
    browser: Browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    large = tmp_path / "scan.tiff"
    large.write_bytes(secrets.token_bytes(2 * 2**20))
    # Within the limit itself, but not with the form around it: the server refuses it.
    almost = tmp_path / "almost.tiff"
    almost.write_bytes(secrets.token_bytes(2**20 - 16))
    database = f"sqlite:///{tmp_path / 'small.db'}"
    with running_server(database, tmp_path, "--max-upload-bytes", str(2**20)) as small:
        created = httpx.post(f"{small.base_url}/task/create", json={"id": "scan", "name": "Scan"})
        assert created.status_code == 204, created.text
        page, watch = open_tasks(browser, small, LAPTOP)
        page.goto(f"{small.base_url.removesuffix('/engine-rest')}/tasklist/#/tasks/scan")
        upload = page.get_by_role("form", name="Upload a file")
        upload.get_by_label("Variable name").fill("scan")
        upload.get_by_label("File").set_input_files(str(large))
        expect(upload).to_contain_text("The server takes files up to 1.0 MiB.")
        expect(upload).to_contain_text("This file is larger: choose a smaller one.")
        expect(upload.get_by_role("button", name="Upload")).to_be_disabled()

        upload.get_by_label("File").set_input_files(str(almost))
        expect(upload).not_to_contain_text("This file is larger")
        upload.get_by_role("button", name="Upload").click()
        expect(upload.get_by_role("alert")).to_have_text(
            "Request body exceeds the configured limit of 1048576 bytes"
        )
        stored = httpx.get(f"{small.base_url}/task/scan/variables").json()
    assert stored == {}
    watch.assert_clean(("POST", "data", 413))


def test_a_task_is_delegated_and_its_delegation_resolved(
    browser: Browser, server: Server, http: httpx.Client, review: str
) -> None:
    from playwright.sync_api import expect

    page, watch = open_tasks(browser, server, LAPTOP)
    page.get_by_role("link", name=re.compile("Review the expense")).click()
    task = page.get_by_role("region", name="Review the expense")
    task.get_by_role("button", name="Claim").click()
    task.get_by_label("Delegate to").fill("bob")
    task.get_by_role("button", name="Delegate").click()
    fields = task.locator(".task-fields")
    expect(fields).to_contain_text("Delegation" + "PENDING")
    expect(fields).to_contain_text("Assignee" + "bob")
    expect(fields).to_contain_text("Owner" + "ann")

    task.get_by_role("button", name="Resolve", exact=True).click()
    expect(fields).to_contain_text("Delegation" + "RESOLVED")
    (resolved,) = http.get("/task", params={"processInstanceId": review}).json()
    assert (resolved["assignee"], resolved["delegationState"]) == ("ann", "RESOLVED")

    # Delegated again, and resolved by its form: the values are kept, the task stays open.
    task.get_by_label("Delegate to").fill("bob")
    task.get_by_role("button", name="Delegate").click()
    expect(fields).to_contain_text("Delegation" + "PENDING")
    task.get_by_label("Amount").fill("7")
    task.get_by_label("Title").fill("Taxi")
    task.get_by_role("button", name="Submit and resolve").click()
    expect(fields).to_contain_text("Delegation" + "RESOLVED")
    expect(task.get_by_role("button", name="Complete")).to_be_visible()
    assert page.url.endswith(f"#/tasks/{resolved['id']}")
    amount = http.get(f"/process-instance/{review}/variables/amount").json()
    assert amount["value"] == 7
    watch.assert_clean()


def test_a_file_dropped_on_the_drop_zone_is_uploaded(
    browser: Browser, server: Server, http: httpx.Client, review: str
) -> None:
    from playwright.sync_api import expect

    page, watch = open_tasks(browser, server, LAPTOP)
    page.get_by_role("link", name=re.compile("Review the expense")).click()
    upload = page.get_by_role("form", name="Upload a file")
    upload.get_by_label("Variable name").fill("note")
    dropped = page.evaluate_handle(
        """() => {
            const files = new DataTransfer();
            files.items.add(new File(["dropped, not chosen"], "note.txt", { type: "text/plain" }));
            return files;
        }"""
    )
    upload.locator(".drop-zone").dispatch_event("drop", {"dataTransfer": dropped})
    expect(upload).to_contain_text("note.txt, 19 bytes")
    upload.get_by_role("button", name="Upload").click()
    row = page.get_by_role("row", name=re.compile("^note"))
    expect(row).to_contain_text("19 bytes")
    expect(row).to_contain_text("text/plain")
    stored = http.get(f"/process-instance/{review}/variables/note/data")
    assert stored.content == b"dropped, not chosen"
    watch.assert_clean()


def test_moving_to_a_view_moves_the_focus_to_its_heading_unless_the_person_moved_it(
    browser: Browser, server: Server, review: str
) -> None:
    """After a link or the browser's Back, keyboard and screen reader users go on from the
    heading of the view they asked for, not from the link they followed (nor from the
    page's start, when that link went away with the old view). A focus the person moved
    elsewhere while the view was loading stays where they put it."""
    from playwright.sync_api import Route, expect

    page, watch = open_tasks(browser, server, LAPTOP)
    main_navigation = page.get_by_role("navigation", name="Main")
    task_link = page.get_by_role("link", name=re.compile("Review the expense"))
    task_heading = page.get_by_role("heading", name="Review the expense")

    task_link.click()
    expect(task_heading).to_be_focused()
    main_navigation.get_by_role("link", name="Processes").click()
    expect(page.get_by_role("heading", name="Processes", exact=True)).to_be_focused()
    page.go_back()
    expect(task_heading).to_be_focused()
    main_navigation.get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_focused()

    held: list[Route] = []

    def hold(route: Route) -> None:  # answered once the person has moved the focus
        held.append(route)

    page.route(re.compile(r"/engine-rest/task/[^/?]+$"), hold)
    task_link.click()
    expect(page.get_by_role("status")).to_have_text("Loading the task…")
    all_tasks = tab(page, "All")
    all_tasks.focus()
    for _ in range(100):  # the handler runs as Playwright handles the browser's events
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    expect(task_heading).to_be_visible()
    expect(all_tasks).to_be_focused()
    watch.assert_clean()
