"""An external-task worker written with PyPI's ``camunda-external-task-client-python3``
(import name ``camunda``), as its README shows: ``ExternalTaskWorker(...).subscribe``,
which loops for ever; the test stops this process. It serves the topic of
tests/bpmn/scan-invoice.bpmn; what it does with a task is what tests/e2e/js_worker/worker.mjs
does (the contract is in tests/e2e/external_workers.py).

    python tests/e2e/python_worker.py BASE_URL RETRY_TIMEOUT_MS
"""

from __future__ import annotations

import base64
import json
import logging
import sys
import warnings
from typing import Any

with warnings.catch_warnings():
    # Its camunda/utils/auth_bearer.py declares a pydantic V1-style validator.
    warnings.filterwarnings("ignore", "Pydantic V1 style", DeprecationWarning)
    from camunda.external_task.external_task import ExternalTask, TaskResult
    from camunda.external_task.external_task_worker import ExternalTaskWorker

TOPIC = "scan-invoice"
RECEIPT = "Receipt INV-1: 1 250,00 € paid\n".encode()
# Fetches of each task seen by this process: the first two of a "fail-twice" task fail.
attempts: dict[str, int] = {}


def completion_variables(attempt: int) -> dict[str, Any]:
    return {
        "amount": {"value": 1250, "type": "Integer"},
        "approver": {"value": "anna", "type": "String"},
        "decision": {
            "value": json.dumps({"approved": True, "limits": [1000, 5000]}),
            "type": "Json",
        },
        "attempt": {"value": attempt, "type": "Integer"},
        "receipt": {
            "value": base64.b64encode(RECEIPT).decode(),
            "type": "File",
            "valueInfo": {"filename": "receipt.txt", "mimeType": "text/plain", "encoding": "utf-8"},
        },
    }


def handle(task: ExternalTask, retry_timeout_ms: int) -> TaskResult:
    attempt = attempts[task.get_task_id()] = attempts.get(task.get_task_id(), 0) + 1
    action = task.get_variable("action")
    if action == "reject":
        return task.bpmn_error(
            "REJECTED", "Invoice rejected", {"rejectionReason": {"value": "duplicate"}}
        )
    if action == "fail-twice" and attempt <= 2:
        # 2 when the task has no retries yet, else its retries less one (ExternalTask's
        # own arithmetic)
        message = f"Scanner offline (attempt {attempt})"
        return task.failure(message, "paper jam in tray 2", 2, retry_timeout_ms)
    return task.complete(completion_variables(attempt))


def main(base_url: str, retry_timeout_ms: int) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    config = {
        "maxTasks": 1,
        "lockDuration": 30_000,
        "asyncResponseTimeout": 5_000,
        "sleepSeconds": 1,  # after an error (the library's default is 300)
    }
    worker = ExternalTaskWorker("python-worker", base_url, config)
    worker.subscribe(TOPIC, lambda task: handle(task, retry_timeout_ms))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
