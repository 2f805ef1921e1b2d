"""A corpus of hand-built bad requests, sent as raw bytes to a real server.

Each must answer a 4xx in Camunda's error JSON (or, where the client leaves before the
request is whole, no answer at all), write nothing, and leave the server serving.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from taskvars.persistence.database import content_files_for
from taskvars.persistence.models import BinaryContent, Variable
from taskvars.persistence.unit_of_work import Database
from tests.databases import DATABASE_KINDS, database_url
from tests.e2e.server import Server, running_server

# One server per database serves the whole corpus: keep its tests on one process.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("malformed-corpus")]

B = "XyZ"
UPLOAD = "/engine-rest/task/t/localVariables/v/data"
PUT = "/engine-rest/task/t/localVariables/v"
MULTIPART = f"multipart/form-data; boundary={B}"


def part(
    name: str | bytes, content: bytes, *, filename: bytes | None = None, ctype: bytes | None = None
) -> bytes:
    name_bytes = name.encode() if isinstance(name, str) else name
    disposition = b'Content-Disposition: form-data; name="' + name_bytes + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    head = disposition + b"\r\n" + (b"Content-Type: " + ctype + b"\r\n" if ctype else b"")
    return f"--{B}\r\n".encode() + head + b"\r\n" + content + b"\r\n"


END = f"--{B}--\r\n".encode()


def request(
    method: str,
    path: str,
    body: bytes = b"",
    content_type: str | bytes | None = MULTIPART,
    *,
    length: int | None = None,
    extra: bytes = b"",
) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode()
    if content_type is not None:
        ctype = content_type if isinstance(content_type, bytes) else content_type.encode()
        head += b"Content-Type: " + ctype + b"\r\n"
    head += f"Content-Length: {len(body) if length is None else length}\r\n".encode()
    return head + extra + b"\r\n" + body


def upload(body: bytes, content_type: str | bytes | None = MULTIPART, **options) -> bytes:
    return request("POST", UPLOAD, body, content_type, **options)


def put_json(body: bytes) -> bytes:
    return request("PUT", PUT, body, "application/json")


def chunked(chunks: bytes) -> bytes:
    return (
        f"POST {UPLOAD} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Content-Type: {MULTIPART}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + chunks


VALID_DATA = part("data", b"payload")


@dataclass(frozen=True)
class Bad:
    raw: bytes
    # The client stops sending and shuts its side: no answer is possible, only no harm.
    leaves: bool = False


CORPUS: dict[str, Bad] = {
    # multipart framing
    "no boundary": Bad(upload(VALID_DATA + END, "multipart/form-data")),
    "empty boundary": Bad(upload(VALID_DATA + END, "multipart/form-data; boundary=")),
    "boundary of 201 characters": Bad(upload(b"x", "multipart/form-data; boundary=" + "b" * 201)),
    "non-ASCII boundary": Bad(upload(b"x", b"multipart/form-data; boundary=\xe4\xe4")),
    "boundary that never closes": Bad(upload(VALID_DATA)),
    "truncated in a part header": Bad(upload(f"--{B}\r\nContent-Disposition: form-da".encode())),
    "truncated in a part": Bad(
        upload(f"--{B}\r\n".encode() + b'Content-Disposition: form-data; name="data"\r\n\r\nabc')
    ),
    "not multipart at all": Bad(upload(b"hello world")),
    "empty body": Bad(upload(b"")),
    "no parts": Bad(upload(END)),
    "10,000 parts": Bad(upload(part("x", b"1") * 10_000 + END)),
    "unknown parts in bulk": Bad(upload(part("unknown", b"1") * 150 + VALID_DATA + END)),
    "a part header of 1 MiB": Bad(
        upload(
            f"--{B}\r\nX-Big: ".encode()
            + b"a" * 1024 * 1024
            + b"\r\n"
            + VALID_DATA[len(B) + 4 :]
            + END
        )
    ),
    "filename with NUL": Bad(
        upload(part("data", b"1", filename=b"a\x00b") + part("valueType", b"File") + END)
    ),
    "filename with CR": Bad(
        upload(part("data", b"1", filename=b"a\rb") + part("valueType", b"File") + END)
    ),
    "filename with LF": Bad(
        upload(part("data", b"1", filename=b"a\nb") + part("valueType", b"File") + END)
    ),
    "invalid UTF-8 in a filename": Bad(
        upload(part("data", b"1", filename=b"\xff\xfe.txt") + part("valueType", b"File") + END)
    ),
    "invalid UTF-8 in a part name": Bad(upload(part(b"da\xfften", b"1") + END)),
    "invalid UTF-8 in a text part": Bad(upload(VALID_DATA + part("valueType", b"By\xfftes") + END)),
    "a part without Content-Disposition": Bad(
        upload(f"--{B}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode() + END)
    ),
    "a disposition that is not form-data": Bad(
        upload(f'--{B}\r\nContent-Disposition: attachment; name="data"\r\n\r\nx\r\n'.encode() + END)
    ),
    "a disposition without a name": Bad(
        upload(f"--{B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n".encode() + END)
    ),
    "valueType with whitespace": Bad(upload(VALID_DATA + part("valueType", b" Bytes") + END)),
    "valueType empty": Bad(upload(VALID_DATA + part("valueType", b"") + END)),
    "valueType of 10 KB": Bad(upload(VALID_DATA + part("valueType", b"B" * 10_000) + END)),
    "valueType over the text-part limit": Bad(
        upload(VALID_DATA + part("valueType", b"B" * 70_000) + END)
    ),
    "valueType that is not text/plain": Bad(
        upload(VALID_DATA + part("valueType", b"Bytes", ctype=b"application/json") + END)
    ),
    "a data part that is a form field, for a File": Bad(
        upload(part("data", b"no filename") + part("valueType", b"File") + END)
    ),
    "a File with an unparseable media type": Bad(
        upload(part("data", b"1", filename=b"a", ctype=b"text/") + part("valueType", b"File") + END)
    ),
    "serialized form, data not JSON": Bad(
        upload(part("data", b"[1]", ctype=b"text/plain") + part("type", b"java.util.List") + END)
    ),
    "serialized form, invalid JSON": Bad(
        upload(
            part("data", b"[1,", ctype=b"application/json") + part("type", b"java.util.List") + END
        )
    ),
    # top-level media types
    "text/plain body": Bad(upload(b"hello", "text/plain")),
    "JSON to the multipart endpoint": Bad(upload(b"{}", "application/json")),
    "multipart/mixed": Bad(upload(VALID_DATA + END, f"multipart/mixed; boundary={B}")),
    "no Content-Type": Bad(upload(VALID_DATA + END, None)),
    "urlencoded form": Bad(upload(b"data=abc", "application/x-www-form-urlencoded")),
    "multipart to the JSON endpoint": Bad(request("PUT", PUT, VALID_DATA + END)),
    # HTTP framing
    "broken chunked framing": Bad(chunked(b"zz\r\nabc\r\n0\r\n\r\n")),
    "a chunk longer than announced": Bad(chunked(b"3\r\nabcdef\r\n0\r\n\r\n")),
    "chunked body that stops": Bad(chunked(b"5\r\n" + VALID_DATA[:5] + b"\r\n"), leaves=True),
    "Content-Length shorter than the body": Bad(upload(VALID_DATA + END, length=len(VALID_DATA))),
    "Content-Length longer than the body": Bad(
        upload(VALID_DATA + END, length=10_000), leaves=True
    ),
    "Content-Length that is not a number": Bad(
        request("POST", UPLOAD, b"x", extra=b"Content-Length: abc\r\n")
    ),
    # JSON bodies
    "truncated JSON": Bad(put_json(b'{"value": "a')),
    "JSON 100 levels deep": Bad(put_json(b"[" * 100 + b"]" * 100)),
    "JSON object 100 levels deep": Bad(
        put_json(b'{"value": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b', "type": "Integer"}')
    ),
    "Integer out of range": Bad(put_json(b'{"value": 2147483648, "type": "Integer"}')),
    "Long out of range": Bad(put_json(b'{"value": 9223372036854775808, "type": "Long"}')),
    "Short out of range": Bad(put_json(b'{"value": 40000, "type": "Short"}')),
    "Double out of range": Bad(put_json(b'{"value": 1e999, "type": "Double"}')),
    "invalid UTF-8 in JSON": Bad(put_json(b'{"value": "\xff", "type": "String"}')),
    "NUL in a JSON string": Bad(put_json(b'{"value": "a\\u0000b", "type": "String"}')),
    "JSON that is not an object": Bad(put_json(b'"just a string"')),
    # path parameters
    "%00 in an id": Bad(
        request("POST", "/engine-rest/task/t%00/localVariables/v/data", VALID_DATA + END)
    ),
    "%0A in an id": Bad(
        request("POST", "/engine-rest/task/t%0A/localVariables/v/data", VALID_DATA + END)
    ),
    ".. as an id": Bad(
        request("POST", "/engine-rest/task/../localVariables/v/data", VALID_DATA + END)
    ),
    "an id of 10 KB": Bad(
        request(
            "POST", "/engine-rest/task/" + "t" * 10_000 + "/localVariables/v/data", VALID_DATA + END
        )
    ),
    "%00 in a variable name": Bad(
        request("POST", "/engine-rest/task/t/localVariables/v%00/data", VALID_DATA + END)
    ),
    "a variable name of 10 KB": Bad(
        request(
            "POST", "/engine-rest/task/t/localVariables/" + "v" * 10_000 + "/data", VALID_DATA + END
        )
    ),
}


def exchange(server: Server, raw: bytes, *, leaves: bool) -> bytes:
    """Send ``raw``; what came back (possibly nothing) once the server closed."""
    url = urlsplit(server.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=20) as connection:
        try:
            connection.sendall(raw)
            if leaves:
                connection.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before taking all of it
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def corpus_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str]]:
    """One server per database for the whole corpus, with one task ``t``."""
    directory = tmp_path_factory.mktemp("corpus")
    url = database_url(
        request.param, directory, lambda: request.getfixturevalue("postgres_schema_url")
    )
    with running_server(url, directory) as server:
        with httpx.Client(base_url=server.base_url) as client:
            assert client.post("/task/create", json={"id": "t"}).status_code == 204
        yield server, url


def assert_nothing_written(server: Server, url: str) -> None:
    with httpx.Client(base_url=server.base_url, timeout=20) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/task/t/localVariables").json() == {}
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Variable)) == 0
            assert connection.scalar(select(func.count()).select_from(BinaryContent)) == 0
    finally:
        database.dispose()
    files = content_files_for(url)
    if files is not None and files.directory.exists():
        assert list(files.directory.iterdir()) == []


@pytest.mark.parametrize("name", list(CORPUS))
def test_bad_request_is_a_camunda_4xx_that_writes_nothing(
    corpus_server: tuple[Server, str], name: str
) -> None:
    server, url = corpus_server
    bad = CORPUS[name]
    answer = exchange(server, bad.raw, leaves=bad.leaves)
    if bad.leaves and not answer:
        pass  # nobody to answer; what matters is below
    else:
        head, _, body = answer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        assert 400 <= status < 500, answer[:500]
        headers = head.decode("latin-1").lower()
        assert "content-type: application/json" in headers, answer[:500]
        error = json.loads(body)
        assert set(error) == {"type", "message", "code"}, error
        assert error["type"].endswith("Exception"), error
    assert_nothing_written(server, url)


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


def test_duplicate_data_parts_store_the_last_and_leave_no_file_behind(
    corpus_server: tuple[Server, str], tmp_path: Path
) -> None:
    server, url = corpus_server
    first, last = b"1" * 2_000_000, b"2" * 2_000_000  # both past the in-memory spool
    body = part("data", first) + part("data", last) + END
    answer = exchange(server, upload(body), leaves=False)
    assert answer.startswith(b"HTTP/1.1 204"), answer[:300]
    with httpx.Client(base_url=server.base_url, timeout=20) as client:
        assert client.get("/task/t/localVariables/v/data").content == last
        assert client.delete("/task/t/localVariables/v").status_code == 204
    assert_nothing_written(server, url)
