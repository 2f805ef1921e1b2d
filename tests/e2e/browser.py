"""Headless Chromium for the browser tests: Debian's ``chromium`` package, driven by
Playwright for Python, which is told where that browser is and downloads none."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# TASKVARS_TEST_CHROMIUM names another binary; otherwise the first of these on PATH.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# As root in a sandbox without a network: no sandbox of Chromium's own, and none of the
# background connections (updates, sync, safe browsing) that a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The browser binary, or a skip (a failure in CI, which installs it) naming what
    is missing."""
    path = os.environ.get("TASKVARS_TEST_CHROMIUM") or next(
        (found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None
    )
    if path is None:
        reason = "the browser tests need Chromium (Debian: apt-get install chromium; .ci/run does)"
        if os.environ.get("TASKVARS_REQUIRE_BROWSER"):
            pytest.fail(reason)  # CI must never skip them silently
        pytest.skip(reason)
    return path


@contextmanager
def chromium(extra_args: Sequence[str] = ()) -> Iterator[Browser]:
    """``extra_args``: more of Chromium's switches, such as a certificate to trust."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()
