"""What the task list's browser tests share: a watch on what goes wrong in the page, and
the page opened as a person says who they are (a server without --auth-file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Response

    from tests.e2e.server import Server

MODELS = Path(__file__).parent / "tasklist_models"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DOCS = Path(__file__).parents[2] / "docs"
# Chromium logs every answer of 400 or more as a console error of its own.
FAILED_LOAD = "Failed to load resource: the server responded with a status of"


class PageWatch:
    """What went wrong in the page: console errors, uncaught errors, refused requests."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.refused: list[tuple[str, str, int]] = []
        page.on("console", self._logged)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("response", self._answered)

    def _logged(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} {urlparse(message.location['url']).path}")

    def _answered(self, response: Response) -> None:
        if response.status >= 400:
            last_segment = urlparse(response.url).path.rsplit("/", 1)[-1]
            self.refused.append((response.request.method, last_segment, response.status))

    def assert_clean(self, *refusals_provoked: tuple[str, str, int]) -> None:
        """No console error but Chromium's own line for each refusal the test provoked on
        purpose ((method, last path segment, status)), and no other refusal."""
        assert sorted(self.refused) == sorted(refusals_provoked)
        unexplained = [error for error in self.errors if not error.startswith(FAILED_LOAD)]
        assert unexplained == []
        assert len(self.errors) == len(refusals_provoked)


def open_tasklist(
    browser: Browser,
    server: Server,
    route: str,
    viewport: dict[str, int],
    groups: str,
) -> tuple[Page, PageWatch]:
    """The page at ``route`` (#/tasks, #/processes, ...), its person saying who they are:
    ann, of ``groups``."""
    page = browser.new_page(viewport=viewport, accept_downloads=True)
    watch = PageWatch(page)
    page.goto(f"{server.base_url.removesuffix('/engine-rest')}/tasklist/{route}")
    page.get_by_label("User").fill("ann")
    page.get_by_label("Groups").fill(groups)
    page.get_by_role("button", name="Work as").click()
    return page, watch


def fits_the_width(page: Page) -> bool:
    """Whether the page shows at its viewport's width without scrolling sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """docs/``name``, when TASKVARS_UPDATE_SCREENSHOTS asks for the screenshots again."""
    if os.environ.get("TASKVARS_UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / name), full_page=full_page)
