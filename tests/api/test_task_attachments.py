"""Attachments of tasks as Camunda 7.24's Task Attachment resource answers, their
content stored and downloaded as a binary variable's: streamed in, size-limited, served
with ETags and ranges; a url instead of content; deletion with the content; Camunda's
statuses and messages; kept after the task ends, and untouched while history is off."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from taskvars.app import create_app
from taskvars.persistence.database import content_files_for
from taskvars.persistence.models import BinaryContent
from taskvars.settings import Settings
from tests.api.test_history import run_invoice
from tests.api_client import Api
from tests.content_digests import expected_digest
from tests.multipart_bodies import Part, content_type, in_pieces, multipart_body

SPOOL_BYTES = 1024
LARGE = hashlib.sha256(b"large").digest() * 4096  # 128 KiB: past the spool and one answer


@pytest.fixture
def settings(db_url: str) -> Settings:
    # A small spool: large content goes through a file (a content file on SQLite).
    return Settings(database_url=db_url, spool_memory_bytes=SPOOL_BYTES)


def text(name: str, value: str) -> Part:
    return Part(name, value, content_type="text/plain")


def attach(api: Api, task_id: str, *parts: Part) -> Any:
    return api.post_parts(f"/task/{task_id}/attachment/create", *parts)


def invalid(message: str) -> dict[str, Any]:
    return {"type": "InvalidRequestException", "message": message, "code": None}


def stored_contents(db_url: str) -> int:
    """Content rows, and on SQLite content files too, must agree: how many there are."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(BinaryContent))
    engine.dispose()
    files = content_files_for(db_url)
    if files is not None:
        assert files.wait_for_removals(timeout=10)
        assert len(files.names()) <= (rows or 0)
    return int(rows or 0)


def test_content_is_attached_and_downloaded_whole(api: Api, db_url: str) -> None:
    api.create_task("t1")
    created = attach(
        api,
        "t1",
        text("attachment-name", "scan.pdf"),
        text("attachment-description", "the scanned invoice"),
        text("attachment-type", "application/pdf"),
        Part("content", LARGE, filename="scan.pdf", content_type="application/pdf"),
    )
    assert created.status_code == 200, created.text
    dto = created.json()
    assert dto["links"] == [
        {
            "method": "GET",
            "href": f"http://testserver/engine-rest/task/t1/attachment/{dto['id']}",
            "rel": "self",
        }
    ]
    assert (dto["name"], dto["description"], dto["type"], dto["url"]) == (
        "scan.pdf",
        "the scanned invoice",
        "application/pdf",
        None,
    )
    assert dto["taskId"] == "t1"
    assert dto["createTime"] is not None
    assert api.get(f"/task/t1/attachment/{dto['id']}").json() == {**dto, "links": []}
    assert api.get("/task/t1/attachment").json() == [{**dto, "links": []}]
    download = api.get(f"/task/t1/attachment/{dto['id']}/data")
    assert download.status_code == 200
    assert download.content == LARGE
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["etag"] == f'"{expected_digest(LARGE)}"'
    assert download.headers["accept-ranges"] == "bytes"
    assert "content-disposition" not in download.headers
    assert stored_contents(db_url) == 1


def test_downloads_answer_ranges_and_etags(api: Api) -> None:
    api.create_task("t1")
    attachment_id = attach(api, "t1", Part("content", LARGE)).json()["id"]
    path = api.url(f"/task/t1/attachment/{attachment_id}/data")
    etag = f'"{expected_digest(LARGE)}"'
    part = api.client.get(path, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == LARGE[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(LARGE)}"
    tail = api.client.get(path, headers={"Range": "bytes=-10", "If-Range": etag})
    assert tail.content == LARGE[-10:]
    stale = api.client.get(path, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200
    assert stale.content == LARGE
    assert api.client.get(path, headers={"If-None-Match": etag}).status_code == 304
    beyond = api.client.get(path, headers={"Range": f"bytes={len(LARGE)}-"})
    assert beyond.status_code == 416


def test_a_url_attachment_has_no_content(api: Api) -> None:
    api.create_task("t1")
    created = attach(
        api, "t1", text("url", "https://example.org/scan"), text("attachment-name", "n")
    )
    assert created.status_code == 200, created.text
    dto = created.json()
    assert dto["url"] == "https://example.org/scan"
    data = api.get(f"/task/t1/attachment/{dto['id']}/data")
    assert data.status_code == 404
    assert data.json() == invalid(
        f"Attachment content for attachment with id '{dto['id']}' does not exist for task id 't1'."
    )


def test_with_content_and_url_the_content_wins(api: Api) -> None:
    api.create_task("t1")
    dto = attach(api, "t1", text("url", "https://example.org"), Part("content", b"bytes")).json()
    assert dto["url"] is None
    assert api.get(f"/task/t1/attachment/{dto['id']}/data").content == b"bytes"


def test_neither_content_nor_url_is_camundas_400(api: Api, db_url: str) -> None:
    api.create_task("t1")
    response = attach(api, "t1", text("attachment-name", "nothing"))
    assert response.status_code == 400
    assert response.json() == invalid(
        "No content or url to remote content exists to create the task attachment."
    )
    assert api.get("/task/t1/attachment").json() == []


def test_a_missing_task_is_camundas_400_and_stores_nothing(api: Api, db_url: str) -> None:
    response = attach(api, "nope", Part("content", LARGE))
    assert response.status_code == 400
    assert response.json() == invalid("No task found for task id nope")
    assert stored_contents(db_url) == 0
    listed = api.get("/task/nope/attachment")
    assert listed.status_code == 404
    assert listed.json() == invalid("No task found for task id nope")
    one = api.get("/task/nope/attachment/a1")
    assert one.status_code == 404
    assert one.json() == invalid("Task attachment with id a1 does not exist for task id 'nope'.")


def test_a_malformed_form_is_a_400_and_stores_nothing(api: Api, db_url: str) -> None:
    api.create_task("t1")
    body = multipart_body(Part("content", LARGE))
    truncated = api.post_raw("/task/t1/attachment/create", body[: len(body) // 2], content_type())
    assert truncated.status_code == 400
    assert truncated.json()["type"] == "RestException"
    too_long = attach(api, "t1", text("attachment-name", "n" * 256), Part("content", LARGE))
    assert too_long.status_code == 400
    assert api.get("/task/t1/attachment").json() == []
    assert stored_contents(db_url) == 0


def test_deleting_an_attachment_removes_its_content(api: Api, db_url: str) -> None:
    api.create_task("t1")
    attachment_id = attach(api, "t1", Part("content", LARGE)).json()["id"]
    deleted = api.client.delete(api.url(f"/task/t1/attachment/{attachment_id}"))
    assert deleted.status_code == 204
    assert api.get("/task/t1/attachment").json() == []
    assert stored_contents(db_url) == 0
    again = api.client.delete(api.url(f"/task/t1/attachment/{attachment_id}"))
    assert again.status_code == 404
    assert again.json() == invalid(
        "Deletion is not possible. No attachment exists for task id 't1' and attachment id "
        f"'{attachment_id}'."
    )


def test_attachments_stay_after_the_task_is_deleted_or_completed(api: Api) -> None:
    api.create_task("deleted")
    api.create_task("completed")
    first = attach(api, "deleted", Part("content", b"one")).json()["id"]
    second = attach(api, "completed", Part("content", b"two")).json()["id"]
    assert api.client.delete(api.url("/task/deleted")).status_code == 204
    assert api.client.post(api.url("/task/completed/complete"), json={}).status_code == 204
    assert [a["id"] for a in api.get("/task/deleted/attachment").json()] == [first]
    assert api.get(f"/task/deleted/attachment/{first}/data").content == b"one"
    assert api.get(f"/task/completed/attachment/{second}/data").content == b"two"


def test_a_models_task_keeps_its_attachments_until_its_history_goes(api: Api, db_url: str) -> None:
    _, task_id = run_invoice(api, 10)  # the instance ends after the first task
    attached = attach(api, task_id, Part("content", LARGE))
    assert attached.status_code == 200, attached.text
    assert api.get(f"/task/{task_id}/attachment/{attached.json()['id']}/data").content == LARGE
    api.client.post(api.url(f"/task/{task_id}/comment/create"), json={"message": "m"})
    (deployment,) = api.get("/deployment").json()
    deleted = api.client.delete(
        api.url(f"/deployment/{deployment['id']}"), params={"cascade": True}
    )
    assert deleted.status_code == 204
    # Camunda's cascade takes the instances' history, and with it what was noted on them.
    assert api.get(f"/task/{task_id}/attachment").status_code == 404
    assert api.get(f"/task/{task_id}/comment").status_code == 404
    assert stored_contents(db_url) == 0


def test_withcommentattachmentinfo_tells_which_tasks_have_attachments(api: Api) -> None:
    api.create_task("with")
    api.create_task("without")
    attach(api, "with", text("url", "https://example.org"))
    found = {t["id"]: t for t in api.get("/task", withCommentAttachmentInfo="true").json()}
    assert (found["with"]["attachment"], found["without"]["attachment"]) == (True, False)
    assert found["with"]["comment"] is False


class TestSizeLimit:
    LIMIT = 4096

    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return Settings(database_url=db_url, max_upload_bytes=self.LIMIT, spool_memory_bytes=1024)

    def test_a_body_over_the_limit_is_a_413_and_stores_nothing(self, api: Api, db_url: str) -> None:
        api.create_task("t1")
        declared = attach(api, "t1", Part("content", b"x" * (self.LIMIT + 1)))
        assert declared.status_code == 413
        body = multipart_body(Part("content", b"x" * (self.LIMIT * 2)))
        chunked = api.post_raw("/task/t1/attachment/create", in_pieces(body, 512), content_type())
        assert chunked.status_code == 413
        assert chunked.json()["message"] == (
            f"Request body exceeds the configured limit of {self.LIMIT} bytes"
        )
        assert api.get("/task/t1/attachment").json() == []
        assert stored_contents(db_url) == 0


class TestHistoryOff:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return Settings(database_url=db_url, no_history=True)

    def test_nothing_is_written_or_read(self, api: Api, db_url: str) -> None:
        api.create_task("t1")
        created = attach(api, "t1", Part("content", LARGE))
        assert created.status_code == 403
        assert created.json() == invalid("History is not enabled")
        assert stored_contents(db_url) == 0
        assert api.get("/task/t1/attachment").json() == []
        for path in ("/task/t1/attachment/a1", "/task/t1/attachment/a1/data"):
            response = api.get(path)
            assert response.status_code == 404
            assert response.json() == invalid("History is not enabled")
        deleted = api.client.delete(api.url("/task/t1/attachment/a1"))
        assert deleted.status_code == 403


@pytest.fixture
def history_then_none(db_url: str) -> Iterator[tuple[Api, Api]]:
    with (
        create_app(Settings(database_url=db_url)).test_client() as on,
        create_app(Settings(database_url=db_url, no_history=True)).test_client() as off,
    ):
        yield Api(on), Api(off)


def test_what_was_attached_while_history_was_on_is_not_served_with_it_off(
    history_then_none: tuple[Api, Api],
) -> None:
    on, off = history_then_none
    on.create_task("t1")
    attachment_id = attach(on, "t1", Part("content", b"kept")).json()["id"]
    assert off.get(f"/task/t1/attachment/{attachment_id}/data").status_code == 404
    assert on.get(f"/task/t1/attachment/{attachment_id}/data").content == b"kept"
