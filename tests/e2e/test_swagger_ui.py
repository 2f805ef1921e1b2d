"""Swagger UI at /engine-rest/docs/, used as a person would use it, in a real browser:
headless Chromium (Debian's package) against a real server process."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import bcrypt
import httpx
import pytest

from tests.e2e.server import Server, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.e2e

# TASKVARS_UPDATE_SCREENSHOTS=1 writes the screenshot the README shows.
README_SCREENSHOT = Path(__file__).parents[2] / "docs" / "swagger-ui.png"
TASK_ID = "browser-review"
FILE_NAME = "Überweisung März.bin"  # non-ASCII on purpose: it must come back as sent


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(f"sqlite:///{tmp_path / 'ui.db'}", tmp_path) as server:
        yield server


def origin(server: Server) -> str:
    return server.base_url.removesuffix("/engine-rest")


def try_out(page: Page, tag: str, operation_id: str) -> Locator:
    """The operation's block, opened, in "Try it out" mode."""
    block = page.locator(f"#operations-{tag.replace(' ', '_')}-{operation_id}")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    return block


def execute(block: Locator) -> str:
    """Press Execute and return the status the page shows for the answer."""
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    return status.inner_text().strip()


def upload_region(block: Locator) -> dict[str, float]:
    """The operation's block down to the answer it got: the form, the file, the 204."""
    top = block.bounding_box()
    answer = block.locator(".live-responses-table").first.bounding_box()
    assert top is not None
    assert answer is not None
    scrolled = block.page.evaluate("window.scrollY")  # boxes are relative to the viewport
    bottom = answer["y"] + answer["height"]
    return {
        "x": top["x"],
        "y": top["y"] + scrolled,
        "width": top["width"],
        "height": bottom - top["y"],
    }


def test_a_file_chosen_in_the_browser_is_uploaded_and_downloaded_unchanged(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    content = secrets.token_bytes(64 * 1024)
    upload = tmp_path / FILE_NAME
    upload.write_bytes(content)
    page = browser.new_page(accept_downloads=True, viewport={"width": 1100, "height": 900})

    page.goto(f"{origin(server)}/engine-rest/")  # the API's root leads to the documentation
    assert page.url == f"{server.base_url}/docs/"

    create = try_out(page, "Task", "createTask")
    create.locator("textarea.body-param__text").fill(
        json.dumps({"id": TASK_ID, "name": "Checked in a browser"})
    )
    assert execute(create) == "204"

    store = try_out(page, "Task Variable", "setBinaryTaskVariable")
    store.locator("input[placeholder=id]").fill(TASK_ID)
    store.locator("input[placeholder=varName]").fill("scan")
    store.locator("input[type=file]").set_input_files(str(upload))
    store.locator("select:has(option[value=File])").select_option("File")
    assert execute(store) == "204"
    screenshot = page.screenshot(
        path=str(tmp_path / "swagger-ui.png"), clip=upload_region(store), full_page=True
    )
    if os.environ.get("TASKVARS_UPDATE_SCREENSHOTS"):
        README_SCREENSHOT.write_bytes(screenshot)

    fetch = try_out(page, "Task Variable", "getTaskVariableBinary")
    fetch.locator("input[placeholder=id]").fill(TASK_ID)
    fetch.locator("input[placeholder=varName]").fill("scan")
    assert execute(fetch) == "200"
    with page.expect_download() as download_info:
        fetch.get_by_text("Download file").click()
    download = download_info.value
    assert Path(download.path()).read_bytes() == content
    assert download.suggested_filename == FILE_NAME

    stored = httpx.get(f"{server.base_url}/task/{TASK_ID}/variables/scan").json()
    assert stored["type"] == "File"
    assert stored["valueInfo"]["filename"] == FILE_NAME


@pytest.fixture
def auth_server(tmp_path: Path) -> Iterator[Server]:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    users = tmp_path / "users"
    users.write_text(f"ann:{hashed}\n")
    database = f"sqlite:///{tmp_path / 'auth.db'}"
    with running_server(database, tmp_path, "--auth-file", str(users)) as server:
        yield server


def test_under_an_auth_file_the_page_asks_for_credentials_and_works_with_them(
    browser: Browser, auth_server: Server
) -> None:
    from playwright.sync_api import Error as PlaywrightError

    docs = f"{auth_server.base_url}/docs/"
    anonymous = browser.new_context()
    page = anonymous.new_page()
    # The browser asks the person at it; headless, nobody answers and the load fails.
    with page.expect_response(docs) as answer, pytest.raises(PlaywrightError):
        page.goto(docs)
    response = answer.value
    assert response.status == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    anonymous.close()

    # What a person types into the browser's credentials dialog.
    signed_in = browser.new_context(http_credentials={"username": "ann", "password": "s3cret"})
    page = signed_in.new_page()
    page.goto(docs)
    names = try_out(page, "Engine", "getProcessEngineNames")
    assert execute(names) == "200"
    signed_in.close()
