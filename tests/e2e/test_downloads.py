"""Downloads as HTTP clients and proxies use them, over real HTTP: ETag and 304, byte
ranges and 416, HEAD."""

from __future__ import annotations

import hashlib

import pytest

from tests.api_client import Api
from tests.content_digests import expected_digest

pytestmark = pytest.mark.e2e

CONTENT = hashlib.sha256(b"seed").digest() * 100_000  # 3.2 MB: a range spans chunks
DATA = "/task/t/variables/doc/data"


@pytest.fixture
def doc(remote: Api) -> str:
    remote.create_task("t")
    assert (
        remote.upload(
            "/task/t/variables/doc", CONTENT, value_type="File", filename="d.bin"
        ).status_code
        == 204
    )
    return DATA


def test_download_carries_a_strong_etag_of_the_content(remote: Api, doc: str) -> None:
    response = remote.get(doc)
    assert response.headers["etag"] == f'"{expected_digest(CONTENT)}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(CONTENT))


def test_if_none_match_with_the_current_etag_is_a_304(remote: Api, doc: str) -> None:
    etag = remote.get(doc).headers["etag"]
    response = remote.client.get(doc, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_a_new_value_has_a_new_etag(remote: Api, doc: str) -> None:
    etag = remote.get(doc).headers["etag"]
    remote.upload("/task/t/variables/doc", b"changed", value_type="File", filename="d.bin")
    response = remote.client.get(doc, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.content == b"changed"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1048570-1048590", 1048570, 1048590),  # across a chunk boundary
        ("bytes=3199990-", 3199990, len(CONTENT) - 1),
        ("bytes=-7", len(CONTENT) - 7, len(CONTENT) - 1),
    ],
)
def test_single_range_is_a_206_with_that_part(
    remote: Api, doc: str, header: str, start: int, end: int
) -> None:
    response = remote.client.get(doc, headers={"Range": header})
    assert response.status_code == 206
    assert response.content == CONTENT[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert response.headers["content-length"] == str(end - start + 1)


def test_range_beyond_the_end_is_a_416(remote: Api, doc: str) -> None:
    response = remote.client.get(doc, headers={"Range": f"bytes={len(CONTENT)}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(CONTENT)}"
    assert response.json()["type"] == "RestException"


def test_if_range_with_an_old_etag_sends_the_whole_value(remote: Api, doc: str) -> None:
    response = remote.client.get(doc, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert response.status_code == 200
    assert len(response.content) == len(CONTENT)


def test_head_sends_the_headers_and_no_body(remote: Api, doc: str) -> None:
    response = remote.client.head(doc)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.headers["etag"].startswith('"')
    assert response.content == b""


def test_empty_value_has_the_etag_of_nothing_and_no_range(remote: Api) -> None:
    remote.create_task("e")
    remote.upload("/task/e/variables/empty", b"")
    response = remote.get("/task/e/variables/empty/data")
    assert response.headers["etag"] == f'"{expected_digest(b"")}"'
    assert (
        remote.client.get("/task/e/variables/empty/data", headers={"Range": "bytes=0-"}).status_code
        == 416
    )
