"""Real external-task workers as processes of their own: the Python and the JavaScript
client, each unmodified, running a small script (tests/e2e/python_worker.py,
tests/e2e/js_worker/worker.mjs) against a server.

What both scripts do with a task of topic ``scan-invoice`` (tests/bpmn/scan-invoice.bpmn),
by the instance's String variable ``action``:

- ``complete``: complete it with ``amount`` (Integer 1250), ``approver`` (String "anna"),
  ``decision`` (Json), ``attempt`` (Integer: which fetch of the task this was) and
  ``receipt`` (a File, ``RECEIPT``, ``receipt.txt``, utf-8, text/plain). The JavaScript
  worker also reads the instance's File ``scan`` and sets ``scanBytes`` to its length.
- ``fail-twice``: report a failure the first two times (``Scanner offline (attempt N)``,
  retries 2, then the fetched task's retries less one, retryTimeout ``RETRY_TIMEOUT_MS``),
  complete as above the third time.
- ``reject``: report BPMN error ``REJECTED`` with the String variable ``rejectionReason``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

HERE = Path(__file__).parent
JS_WORKER = HERE / "js_worker"
TOPIC = "scan-invoice"
RETRY_TIMEOUT_MS = 2000  # long enough to see each failure before the task is fetched again
RECEIPT = "Receipt INV-1: 1 250,00 € paid\n".encode()
REQUIRE_NODE_VARIABLE = "TASKVARS_REQUIRE_NODE"
CLIENTS = ["python", "javascript"]

T = TypeVar("T")


def node_or_skip() -> None:
    """Node.js and npm, or a skip with the reason (a failure where CI requires them)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        reason = "the JavaScript worker needs Node.js and npm (.ci/run installs them)"
        if os.environ.get(REQUIRE_NODE_VARIABLE):
            pytest.fail(reason)
        pytest.skip(reason)


def install_js_worker() -> None:
    """``npm ci`` from the pinned package-lock.json, unless .ci/run (or an earlier run)
    installed it already."""
    if not (JS_WORKER / "node_modules" / "camunda-external-task-client-js").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=JS_WORKER,
            check=True,
            capture_output=True,
            timeout=600,
        )


def worker_command(client: str, base_url: str) -> list[str]:
    if client == "python":
        return [sys.executable, str(HERE / "python_worker.py"), base_url, str(RETRY_TIMEOUT_MS)]
    node_or_skip()
    install_js_worker()
    return ["node", str(JS_WORKER / "worker.mjs"), base_url, str(RETRY_TIMEOUT_MS)]


@contextmanager
def running_worker(client: str, base_url: str, log_dir: Path) -> Iterator[Path]:
    """The worker of ``client`` polling ``base_url`` until the block ends; its log."""
    log = log_dir / f"{client}-worker.log"
    command = worker_command(client, base_url)
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def eventually(probe: Callable[[], T | None], seconds: float, what: str) -> T:
    """``probe()``'s first answer that is not None, asked every 50 ms for ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        answer = probe()
        if answer is not None:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)
