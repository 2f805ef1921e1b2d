"""schemathesis over the whole spec, against a real server: every phase, every check.

``not_a_server_error`` is replaced by ``camunda_server_errors`` (schemathesis_hooks.py),
which admits exactly the documented 500s of a missing scope.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contract.schemathesis_hooks import (
    ROUND_TRIP_LOG,
    _only_retyped_text,
    is_admitted_rejection,
    is_documented_engine_refusal,
    is_documented_scope_missing,
)
from tests.e2e.server import running_server

pytestmark = [pytest.mark.e2e, pytest.mark.contract]

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = int(os.environ.get("TASKVARS_SCHEMATHESIS_EXAMPLES", "50"))
SEED = int(os.environ.get("TASKVARS_SCHEMATHESIS_SEED", "20261127"))


def test_schemathesis_finds_no_failure(db_url: str, tmp_path: Path) -> None:
    """Every operation; the hot ones through the fast path (taskvars.web.fast_path)."""
    round_trips = tmp_path / "round-trips.log"
    with running_server(db_url, tmp_path) as server:
        report = run_schemathesis(server.base_url, round_trips, EXAMPLES_PER_OPERATION)
    stalls = loop_stalls(server.log)
    generated = re.search(r"(\d+) generated, (\d+) passed", report)
    assert generated is not None, report[-5000:]
    assert int(generated[1]) == int(generated[2]) > 19 * EXAMPLES_PER_OPERATION
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", report)
    assert links is not None, report[-5000:]
    assert int(links[1]) > 0, "the stateful phase followed no link"
    checked = len(round_trips.read_text().splitlines()) if round_trips.exists() else 0
    assert checked > 0, "binary_round_trip checked no upload"
    print(
        f"schemathesis: {generated[0]}; links {links[1]} of {links[2]} covered; "
        f"{checked} binary uploads downloaded back and compared; the server's event loop "
        f"stalled {len(stalls)} times (longest {max(stalls, default=0):.1f} s)"
    )


# The operations of the fast path, which the run above fuzzes through it.
FAST_PATH_OPERATIONS = (
    "setBinaryTaskVariable",
    "setBinaryTaskLocalVariable",
    "setProcessInstanceVariableBinary",
    "setLocalExecutionVariableBinary",
    "getTaskVariableBinary",
    "getTaskLocalVariableBinary",
    "getProcessInstanceVariableBinary",
    "getLocalExecutionVariableBinary",
    "getTaskVariable",
    "getTaskLocalVariable",
    "getProcessInstanceVariable",
    "getLocalExecutionVariable",
)
FULL_PIPELINE_EXAMPLES = 20


def test_schemathesis_finds_no_failure_in_the_hot_operations_without_the_fast_path(
    db_url: str, tmp_path: Path
) -> None:
    """The fast path's operations again, short, through the full pipeline."""
    round_trips = tmp_path / "round-trips.log"
    # createTask too: the stateful phase follows its links to tasks that exist.
    included = [*FAST_PATH_OPERATIONS, "createTask"]
    only = [arg for op in included for arg in ("--include-operation-id", op)]
    with running_server(db_url, tmp_path, "--no-fast-path") as server:
        report = run_schemathesis(server.base_url, round_trips, FULL_PIPELINE_EXAMPLES, only)
    generated = re.search(r"(\d+) generated, (\d+) passed", report)
    assert generated is not None, report[-5000:]
    assert int(generated[1]) == int(generated[2]) > len(FAST_PATH_OPERATIONS)
    checked = len(round_trips.read_text().splitlines()) if round_trips.exists() else 0
    assert checked > 0, "binary_round_trip checked no upload"


# taskvars.loop_lag's warning: the server's own account of a stall, which schemathesis'
# response times (ST112) cannot tell from the client's pauses.
LOOP_STALL = re.compile(r"the event loop ran (\d+\.\d) s late")


def loop_stalls(server_log: Path) -> list[float]:
    """How long each stall of the server's event loop lasted, as its log says."""
    return [float(seconds) for seconds in LOOP_STALL.findall(server_log.read_text())]


def run_schemathesis(
    base_url: str, round_trips: Path, examples: int, extra: list[str] | None = None
) -> str:
    """schemathesis' report of a run that passed."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        # replaced by camunda_server_errors, camunda_positive_data_acceptance and
        # camunda_negative_data_rejection
        "not_a_server_error,positive_data_acceptance,negative_data_rejection",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(examples),
        "--seed",
        str(SEED),
        # U+0000 is refused everywhere (the spec says so; PostgreSQL cannot store it)
        "--generation-allow-x00",
        "false",
        *(extra or []),
    ]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.contract.schemathesis_hooks",
        ROUND_TRIP_LOG: str(round_trips),
    }
    # About 130 operations at 50 examples each, both databases at once on two cores:
    # 14 minutes was seen under load; the bound stops a hang, not a slow run.
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=1800)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-20000:]
    return report


def error(type_: str, message: str, code: int | None) -> bytes:
    return json.dumps({"type": type_, "message": message, "code": code}).encode()


MISSING_TASK = "task t doesn't exist: task is null"
MISSING_EXECUTION = "execution e doesn't exist: execution is null"


@pytest.mark.parametrize(
    ("body", "admitted"),
    [
        (error("RestException", f"Cannot put task variable x: {MISSING_TASK}", 0), True),
        (error("NullValueException", MISSING_EXECUTION, 0), True),
        (
            error("NullValueException", "Cannot find execution with id 'e': execution is null", 0),
            True,
        ),
        (
            error(
                "RestException",
                "Execution 'e' has not subscribed to a signal event with name 's'.",
                0,
            ),
            True,
        ),
        (
            error(
                "RestException", f"Cannot get process instance variable v: {MISSING_EXECUTION}", 0
            ),
            True,
        ),
        (
            error("RestException", f"Cannot delete execution variable v: {MISSING_EXECUTION}", 0),
            True,
        ),
        (error("RestException", f"Cannot modify variables for task t: {MISSING_TASK}", 0), True),
        (
            error(
                "RestException",
                "Cannot complete task t: Cannot find task with id t: task is null",
                0,
            ),
            True,
        ),
        (error("ZeroDivisionError", "An unexpected error occurred", None), False),
        (error("RestException", MISSING_TASK, None), False),
        (error("RestException", f"Cannot put task variable x: {MISSING_TASK}; and more", 0), False),
        (b"<html>500</html>", False),
    ],
)
def test_only_documented_scope_errors_pass_as_500s(body: bytes, admitted: bool) -> None:
    assert is_documented_scope_missing(500, body) is admitted


def test_a_416_passes_only_for_a_range_beyond_the_end() -> None:
    beyond = error("RestException", "The requested range is not within the value's 10 bytes", None)
    assert is_admitted_rejection(416, beyond)
    assert not is_admitted_rejection(416, error("RestException", "something else", None))


@pytest.mark.parametrize(
    ("message", "admitted"),
    [
        (
            "Cannot put task variable x: "
            "Cannot convert value '40000' of type 'Short' to java type java.lang.Short",
            True,
        ),
        (
            "Cannot modify variables for task t: "
            "Must provide 'null' or String value for value of SerializableValue type 'Object'.",
            True,
        ),
        ("Value of variable with id t is not a binary value.", True),
        (
            "Could not delete task: "
            "The task cannot be deleted because is part of a running process",
            True,
        ),
        ("Only a single sorting parameter specified. sortBy and sortOrder required", True),
        ("The task query parameter candidateUser is not supported by this server", True),
        ("The process definition query parameter incidentId is not supported by this server", True),
        (
            "Cannot set query parameter 'dueAfter' to value 'x': "
            'Cannot convert value "x" to java type java.util.Date',
            True,
        ),
        ("Invalid process variable comparator specified: is", True),
        ("Sorting by caseInstanceVariable is not supported by this server", True),
        ("No task found for task id t", True),
        ("No content or url to remote content exists to create the task attachment.", True),
        ("Not enough parameters submitted", True),
        (
            "Cannot instantiate process definition leave:1:x: Invalid value submitted for "
            "form field 'employee': validation of required failed.",
            True,
        ),
        ("Cannot submit task form t: Value 'x' is not of type Long.", True),
        ('For input string: "abc"', True),
        ("No message name supplied", True),
        (
            "org.camunda.bpm.engine.MismatchingMessageCorrelationException: Cannot correlate "
            "message 'm': No process definition or execution matches the parameters",
            True,
        ),
        (
            "Cannot deliver message: "
            "Cannot convert value 'x' of type 'Integer' to java type java.lang.Integer",
            True,
        ),
        (
            "Cannot deliver message: Variables of type Bytes cannot be used to query "
            "(correlation key 'k')",
            True,
        ),
        ("Cannot deliver message: Unsupported value type 'Foo'", False),
        ("Cannot instantiate process definition leave:1:x: Unexpected", False),
        ("Cannot put task variable x: Unsupported value type 'Foo'", False),
        ("'high' is not of type 'integer'", False),
    ],
)
def test_only_type_conversion_400s_pass_for_valid_data(message: str, admitted: bool) -> None:
    assert is_admitted_rejection(400, error("InvalidRequestException", message, None)) is admitted


@pytest.mark.parametrize(
    ("body", "admitted"),
    [
        (
            error("TaskAlreadyClaimedException", "Task 't' is already claimed by someone else.", 0),
            True,
        ),
        (error("NullValueException", "Cannot find task with id t: task is null", 0), True),
        (error("TaskAlreadyClaimedException", "something else", 0), False),
        (error("RestException", "Task 't' is already claimed by someone else.", 0), False),
    ],
)
def test_a_claim_refused_by_the_engine_passes_as_a_documented_500(
    body: bytes, admitted: bool
) -> None:
    assert is_documented_engine_refusal(500, body) is admitted


def test_an_incompatible_link_removal_passes_as_a_documented_500() -> None:
    body = error(
        "ProcessEngineException",
        "Incompatible usage: cannot use type 'owner' together with a groupId",
        0,
    )
    assert is_documented_engine_refusal(500, body)
    assert not is_documented_engine_refusal(500, error("ProcessEngineException", "boom", 0))


@pytest.mark.parametrize(
    ("message", "admitted"),
    [
        ("Invalid component: in body - violates `anyOf` at /properties/deployment-name", True),
        (
            "Invalid component: in body\n"
            "  - violates `type` at /properties/deployment-name (was string, became object)\n"
            "  - violates `type` at /properties/tenant-id (was string, became array)",
            True,
        ),
        (
            "Invalid component: in body\n"
            "  - violates `type` at /properties/attachment-name (was string, became number)\n"
            "  - violates `type` at /properties/attachment-description (was string, became "
            "boolean)",
            True,
        ),
        ("Invalid component: in body - violates `maxLength` at /properties/tenant-id", False),
        ("Invalid component: in body - violates `type` at /properties/content", False),
        ("Invalid component: in body - violates `type` at /properties/valueType", False),
        ("Invalid component: in body - violates `type` at /properties/data", False),
        ("Invalid component: parameter `version` in query - value greater than maximum", False),
    ],
)
def test_only_a_retyped_free_text_part_passes_as_accepted_negative_data(
    message: str, admitted: bool
) -> None:
    assert _only_retyped_text(message) is admitted


def test_the_servers_own_stalls_are_read_from_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(
        "2026-12-06 04:42:31,070 INFO taskvars.requests: getTask GET /engine-rest/task/{id} "
        "404 in=0 out=84 2.5ms id=7810\n"
        "2026-12-06 04:42:32,577 WARNING taskvars.loop_lag: the event loop ran 4.5 s late: "
        "every request in flight waited as long (...)\n"
    )
    assert loop_stalls(log) == [4.5]
