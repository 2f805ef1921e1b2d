"""The fast path answers byte for byte what the full pipeline answers.

The same table of requests goes to two apps on one database, one with the fast path
(taskvars.web.fast_path) and one without (``no_fast_path``); status, every header (in
order) and the body must be the same. Each request carries its own ``X-Request-Id``, so
that even the echoed id is compared. Requests that change something change it the same
way on both (the same value stored again), so each pair meets the same state.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from taskvars.app import create_app
from taskvars.settings import Settings
from taskvars.web.fast_path import served_count
from tests.multipart_bodies import Part, content_type, in_pieces, multipart_body

BASE = "/engine-rest"
DATA = BASE + "/task/t1/variables/v/data"
LOCAL_DATA = BASE + "/task/t1/localVariables/lv/data"
BYTES = multipart_body(Part("data", b"0123456789" * 10, filename="ten.bin"))
FILE = multipart_body(
    Part("data", "h\u00e9llo", filename="h\u00e9llo.txt", content_type="text/plain; charset=utf-8"),
    Part("valueType", "File"),
)
MULTIPART = {"Content-Type": content_type()}
MAX_UPLOAD_BYTES = 4096


@dataclass(frozen=True)
class Call:
    """One request of the table, and whether the fast path should serve it."""

    name: str
    method: str
    url: str
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fast: bool = False


def upload(name: str, url: str, body: bytes = BYTES, *, fast: bool = True, **headers: str) -> Call:
    return Call(name, "POST", url, body, {**MULTIPART, **headers}, fast)


def download(name: str, url: str, *, fast: bool = True, **headers: str) -> Call:
    return Call(name, "GET", url, None, headers, fast)


SETUP = [
    Call(
        "create task",
        "POST",
        BASE + "/task/create",
        b'{"id": "t1"}',
        {"Content-Type": "application/json"},
    ),
    Call(
        "a subtask",
        "POST",
        BASE + "/task/create",
        b'{"id": "t2", "parentTaskId": "t1"}',
        {"Content-Type": "application/json"},
    ),
    Call(
        "an object variable",
        "PUT",
        BASE + "/task/t1/variables/object",
        b'{"value": "{\\"a\\": [1, 2.5]}", "type": "Object", "valueInfo": '
        b'{"objectTypeName": "java.util.HashMap", "serializationDataFormat": "application/json"}}',
        {"Content-Type": "application/json"},
    ),
    Call(
        "a string variable",
        "PUT",
        BASE + "/task/t1/variables/text",
        b'{"value": "abc", "type": "String"}',
        {"Content-Type": "application/json"},
    ),
]

UPLOADS = [
    upload("bytes", DATA),
    upload("file with a charset", BASE + "/task/t1/variables/f/data", FILE),
    upload("task-local", LOCAL_DATA),
    upload("task-local file", BASE + "/task/t1/localVariables/lf/data", FILE),
    upload("task-local, empty", LOCAL_DATA, multipart_body(Part("data", b"", filename="e"))),
    upload("task-local, missing task", BASE + "/task/nobody/localVariables/lv/data"),
    upload("a subtask, its parent's variable", BASE + "/task/t2/variables/v/data"),
    upload("a subtask's own variable", BASE + "/task/t2/localVariables/v/data"),
    upload("missing task", BASE + "/task/nobody/variables/v/data"),
    upload("missing process instance", BASE + "/process-instance/p/variables/v/data"),
    upload("missing execution", BASE + "/execution/e/localVariables/v/data"),
    upload("named engine", BASE + "/engine/default/task/t1/variables/v/data"),
    upload("another engine", BASE + "/engine/other/task/t1/variables/v/data", fast=False),
    upload("unknown query parameter", DATA + "?deserializeValue=false&x=1"),
    upload("name too long", BASE + f"/task/t1/variables/{'n' * 256}/data", fast=False),
    upload("control character in the id", BASE + "/task/t%01/variables/v/data", fast=False),
    upload("dot segment", BASE + "/task/../variables/v/data", fast=False),
    upload("broken framing", DATA, b"--taskvars-test-boundary\r\nnonsense"),
    upload("empty body", DATA, b""),
    upload("no data part", DATA, multipart_body(Part("valueType", "Bytes"))),
    upload(
        "unsupported value type",
        DATA,
        multipart_body(Part("data", b"x", filename="x"), Part("valueType", "Foo")),
    ),
    upload(
        "file without a filename",
        DATA,
        multipart_body(Part("data", b"x"), Part("valueType", "File")),
    ),
    upload(
        "U+0000 in a text part",
        DATA,
        multipart_body(Part("data", b"x", filename="x"), Part("valueType", "By\x00tes")),
    ),
    upload(
        "serialized object, not JSON",
        DATA,
        multipart_body(
            Part("data", b"{", filename="x", content_type="application/json"),
            Part("type", "java.lang.Object"),
        ),
    ),
    upload("body over the limit", DATA, b"x" * (MAX_UPLOAD_BYTES + 1), fast=False),
    Call("JSON instead of a form", "POST", DATA, b"{}", {"Content-Type": "application/json"}),
    Call("no content type", "POST", DATA, BYTES),
    upload("no boundary", DATA, BYTES, fast=False, **{"Content-Type": "multipart/form-data"}),
    upload("media type in capitals", DATA, fast=False, **{"Content-Type": "Multipart/Form-Data"}),
    Call("chunked", "POST", DATA, BYTES, MULTIPART, fast=True),  # sent in pieces, see below
    Call("HEAD", "HEAD", DATA),
    Call("DELETE", "DELETE", DATA),
    Call("OPTIONS", "OPTIONS", DATA),
]

DOWNLOADS = [
    download("bytes", DATA),
    download("file", BASE + "/task/t1/variables/f/data"),
    download("task-local", LOCAL_DATA),
    download("named engine", BASE + "/engine/default/task/t1/variables/v/data"),
    download("missing variable", BASE + "/task/t1/variables/none/data"),
    download("missing task", BASE + "/task/nobody/variables/v/data"),
    download("not a binary variable", BASE + "/task/t1/variables/text/data"),
    download("missing process instance", BASE + "/process-instance/p/variables/v/data"),
    download("pycamunda's query parameter", DATA + "?deserializeValue=false"),
    download("a range", DATA, **{"Range": "bytes=10-19"}),
    download("a range of a task-local value", LOCAL_DATA, **{"Range": "bytes=3-7"}),
    download("a subtask, its parent's variable", BASE + "/task/t2/variables/v/data"),
    download("a suffix range", DATA, **{"Range": "bytes=-5"}),
    download("a range beyond the end", DATA, **{"Range": "bytes=500-"}),
    download("several ranges", DATA, **{"Range": "bytes=0-1,5-6"}),
    download("If-Range of another version", DATA, **{"Range": "bytes=0-1", "If-Range": '"x"'}),
    download("If-None-Match of another version", DATA, **{"If-None-Match": '"x"'}),
    download("name too long", BASE + f"/task/t1/variables/{'n' * 256}/data", fast=False),
]


VARIABLE = BASE + "/task/t1/variables"
READS = [
    download("string", VARIABLE + "/text"),
    download("binary", VARIABLE + "/v"),
    download("file", VARIABLE + "/f"),
    download("object", VARIABLE + "/object"),
    download("object, serialized", VARIABLE + "/object?deserializeValue=false"),
    download("object, deserialized", VARIABLE + "/object?deserializeValue=TRUE"),
    download("task-local", BASE + "/task/t1/localVariables/lv"),
    download("named engine", BASE + "/engine/default/task/t1/variables/text"),
    download("unknown parameter", VARIABLE + "/text?x=1&deserializeValue=false"),
    download("not a boolean", VARIABLE + "/object?deserializeValue=maybe", fast=False),
    download("empty boolean", VARIABLE + "/object?deserializeValue=", fast=False),
    download(
        "repeated parameter",
        VARIABLE + "/object?deserializeValue=false&deserializeValue=true",
        fast=False,
    ),
    download("missing variable", VARIABLE + "/none"),
    download("missing task", BASE + "/task/nobody/variables/v"),
    download("missing process instance", BASE + "/process-instance/p/variables/v"),
    download("missing execution", BASE + "/execution/e/localVariables/v"),
    download("name too long", VARIABLE + "/" + "n" * 256, fast=False),
    Call("HEAD", "HEAD", VARIABLE + "/text"),
]


def pair(settings: Settings) -> Iterator[tuple[Any, Any]]:
    """Test clients of an app with the fast path and one without, on one database."""
    with ExitStack() as running:
        fast = running.enter_context(create_app(settings, validate_responses=True).test_client())
        full_settings = replace(settings, no_fast_path=True)
        full = running.enter_context(
            create_app(full_settings, validate_responses=True).test_client()
        )
        yield fast, full


@pytest.fixture
def clients(db_url: str) -> Iterator[tuple[Any, Any]]:
    settings = Settings(
        database_url=db_url, no_job_executor=True, max_upload_bytes=MAX_UPLOAD_BYTES
    )
    yield from pair(settings)


def send(client: Any, call: Call, request_id: str) -> Any:
    content: Any = call.content
    if call.name == "chunked":
        content = in_pieces(call.content or b"", 7)
    return client.request(
        call.method,
        call.url,
        content=content,
        headers={**call.headers, "X-Request-Id": request_id},
    )


def set_up(client: Any, calls: list[Call]) -> None:
    """State for the table, made once (through either app: they share the database)."""
    for call in calls:
        assert send(client, call, "set-up").status_code == 204, call.name


def answer(response: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [(name, value) for name, value in response.headers.raw if name.lower() != b"date"]
    return response.status_code, headers, response.content


def assert_same_answers(fast: Any, full: Any, calls: list[Call]) -> None:
    for number, call in enumerate(calls):
        served_before = sum(served_count(op) for op in _FAST_OPERATIONS)
        fast_answer = answer(send(fast, call, f"request-{number}"))
        served = sum(served_count(op) for op in _FAST_OPERATIONS) - served_before
        full_answer = answer(send(full, call, f"request-{number}"))
        assert fast_answer == full_answer, call.name
        assert served == int(call.fast), f"{call.name}: served by the fast path {served} times"
        assert sum(served_count(op) for op in _FAST_OPERATIONS) == served_before + served


_FAST_OPERATIONS = (
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


def test_uploads_answer_as_the_full_pipeline_answers(clients: tuple[Any, Any]) -> None:
    fast, full = clients
    set_up(fast, SETUP)
    assert_same_answers(fast, full, UPLOADS)


def test_downloads_answer_as_the_full_pipeline_answers(clients: tuple[Any, Any]) -> None:
    fast, full = clients
    set_up(fast, SETUP)
    assert_same_answers(fast, full, UPLOADS[:3])
    etag = fast.get(DATA).headers["ETag"]
    assert_same_answers(
        fast,
        full,
        [
            *DOWNLOADS,
            download("If-None-Match of this version", DATA, **{"If-None-Match": etag}),
            download("If-Range of this version", DATA, **{"Range": "bytes=0-1", "If-Range": etag}),
        ],
    )


def test_variable_reads_answer_as_the_full_pipeline_answers(clients: tuple[Any, Any]) -> None:
    fast, full = clients
    set_up(fast, SETUP)
    assert_same_answers(fast, full, UPLOADS[:3])
    assert_same_answers(fast, full, READS)


def test_what_the_fast_path_stored_the_full_pipeline_reads(clients: tuple[Any, Any]) -> None:
    fast, full = clients
    set_up(fast, SETUP)
    assert fast.post(DATA, content=FILE, headers=MULTIPART).status_code == 204
    assert full.get(DATA).content == "h\u00e9llo".encode()
    assert full.get(BASE + "/task/t1/variables/v").json()["valueInfo"] == {
        "filename": "h\u00e9llo.txt",
        "mimeType": "text/plain",
        "encoding": "utf-8",
    }


@pytest.fixture
def strict_clients(db_url: str) -> Iterator[tuple[Any, Any]]:
    yield from pair(Settings(database_url=db_url, no_job_executor=True, strict_params=True))


def test_with_strict_params_unknown_parameters_are_refused_alike(
    strict_clients: tuple[Any, Any],
) -> None:
    fast, full = strict_clients
    set_up(fast, SETUP)
    assert_same_answers(
        fast,
        full,
        [
            upload("unknown query parameter", DATA + "?x=1", fast=False),
            upload("no query", DATA),
            download("unknown query parameter", DATA + "?deserializeValue=false", fast=False),
            download("declared query parameter", VARIABLE + "/v?deserializeValue=false"),
            download("and an unknown one", VARIABLE + "/v?deserializeValue=false&x", fast=False),
        ],
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def auth_clients(db_url: str, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    users = tmp_path / "users"
    users.write_text(f"ann:{bcrypt.hashpw(b'pw', bcrypt.gensalt(rounds=4)).decode()}\n")
    yield from pair(Settings(database_url=db_url, no_job_executor=True, auth_file=str(users)))


def test_with_basic_auth_the_credentials_are_checked_alike(auth_clients: tuple[Any, Any]) -> None:
    fast, full = auth_clients
    ann = {"Authorization": basic("ann", "pw")}
    signed_in = [replace(call, headers={**call.headers, **ann}) for call in SETUP]
    set_up(fast, signed_in)
    assert_same_answers(
        fast,
        full,
        [
            upload("no credentials", DATA, fast=False),
            upload("wrong password", DATA, fast=False, Authorization=basic("ann", "no")),
            upload("not Basic", DATA, fast=False, Authorization="Bearer x"),
            download("no credentials", DATA, fast=False),
            upload("signed in", DATA, **ann),
            download("signed in", DATA, **ann),
        ],
    )
