"""``POST /task/{id}/variables/{varName}/data``, as Camunda answers it and as
docs/compatibility.md says where this server differs."""

from __future__ import annotations

import hashlib

import pytest

from tests.api_client import Api
from tests.multipart_bodies import Part, content_type, in_pieces, multipart_body

TASK = "/task/t1/variables"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def task(api: Api) -> None:
    api.create_task("t1", name="Approve")


def assert_error(response, status: int, type_: str, message: str, code: int | None = None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"type": type_, "message": message, "code": code}


def assert_nothing_stored(api: Api, name: str = "x") -> None:
    assert api.get(f"{TASK}/{name}").status_code == 404


# Camunda's three documented request examples


def test_bytes_upload_of_an_image_reads_back_byte_for_byte(api: Api) -> None:
    response = api.upload(
        TASK + "/aVariableName", PNG, filename="image.png", content_type_header="image/png"
    )
    assert response.status_code == 204
    assert response.content == b""

    download = api.get(TASK + "/aVariableName/data")
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "application/octet-stream"
    assert "content-disposition" not in download.headers
    assert api.get(TASK + "/aVariableName").json() == {
        "type": "Bytes",
        "value": "iVBORw0KGgo" + __import__("base64").b64encode(PNG).decode()[11:],
        "valueInfo": {},
    }


def test_deprecated_serialized_object_form_stores_an_object(api: Api) -> None:
    response = api.post_parts(
        TASK + "/aVariableName/data",
        Part("data", '["foo", "bar"]', content_type="application/json"),
        Part("type", "java.util.ArrayList<java.lang.Object>", content_type="text/plain"),
    )
    assert response.status_code == 204

    serialized = api.get(TASK + "/aVariableName", deserializeValue="false").json()
    assert serialized == {
        "type": "Object",
        "value": '["foo", "bar"]',
        "valueInfo": {
            "objectTypeName": "java.util.ArrayList<java.lang.Object>",
            "serializationDataFormat": "application/json",
        },
    }
    assert api.get(TASK + "/aVariableName").json()["value"] == ["foo", "bar"]


def test_file_upload_keeps_filename_media_type_and_charset(api: Api) -> None:
    response = api.upload(
        TASK + "/aVariableName",
        b"My text file content",
        value_type="File",
        filename="myFile.txt",
        content_type_header="text/plain; charset=US-ASCII",
    )
    assert response.status_code == 204

    assert api.get(TASK + "/aVariableName").json() == {
        "type": "File",
        "value": None,
        "valueInfo": {"filename": "myFile.txt", "mimeType": "text/plain", "encoding": "US-ASCII"},
    }
    download = api.get(TASK + "/aVariableName/data")
    assert download.content == b"My text file content"
    assert download.headers["content-type"] == "text/plain; charset=US-ASCII"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"myFile.txt\"; filename*=UTF-8''myFile.txt"
    )
    assert download.headers["x-content-type-options"] == "nosniff"


# Parts


def test_part_order_does_not_matter(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part("valueType", "File"),
        Part("data", b"abc", filename="a.txt", content_type="text/plain"),
    )
    assert response.status_code == 204
    assert api.get(TASK + "/x").json()["type"] == "File"


def test_parts_without_content_type_are_accepted(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data", Part("valueType", "File"), Part("data", b"abc", filename="a.bin")
    )
    assert response.status_code == 204
    assert api.get(TASK + "/x").json()["valueInfo"] == {
        "filename": "a.bin",
        "mimeType": "application/octet-stream",
    }


def test_missing_value_type_stores_bytes(api: Api) -> None:
    assert api.upload(TASK + "/x", b"raw", value_type=None, filename="f.txt").status_code == 204
    assert api.get(TASK + "/x").json()["type"] == "Bytes"


@pytest.mark.parametrize(("value_type", "stored"), [("bytes", "Bytes"), ("file", "File")])
def test_value_type_first_letter_may_be_lower_case(api: Api, value_type: str, stored: str) -> None:
    assert api.upload(TASK + "/x", b"raw", value_type=value_type, filename="f").status_code == 204
    assert api.get(TASK + "/x").json()["type"] == stored


@pytest.mark.parametrize("value_type", ["FILE", "String", " File", "File ", "", "Json"])
def test_other_value_types_are_unsupported(api: Api, value_type: str) -> None:
    response = api.upload(TASK + "/x", b"raw", value_type=value_type, filename="f")
    assert_error(response, 400, "RestException", f"Unsupported value type '{value_type}'")
    assert_nothing_stored(api)


def test_value_type_part_must_be_plain_text(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part("data", b"abc", filename="a"),
        Part("valueType", "File", content_type="application/json"),
    )
    assert_error(
        response,
        400,
        "InvalidRequestException",
        "Form part with name 'valueType' must have a text/plain value",
    )


def test_unknown_parts_are_ignored(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part("comment", "ignored"),
        Part("data", b"abc"),
        Part("other", b"\xff" * 2048, filename="junk.bin"),
    )
    assert response.status_code == 204
    assert api.get(TASK + "/x/data").content == b"abc"


def test_when_a_part_name_repeats_the_last_part_wins(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part("data", b"first"),
        Part("valueType", "Bytes"),
        Part("data", b"second", filename="s.txt"),
        Part("valueType", "File"),
    )
    assert response.status_code == 204
    assert api.get(TASK + "/x").json()["valueInfo"]["filename"] == "s.txt"
    assert api.get(TASK + "/x/data").content == b"second"


def test_missing_data_part_is_rejected(api: Api) -> None:
    response = api.post_parts(TASK + "/x/data", Part("valueType", "Bytes"))
    assert_error(response, 400, "InvalidRequestException", "No 'data' part given")


def test_data_part_without_filename_is_binary_not_text(api: Api) -> None:
    """Bytes that are not UTF-8, and more of them than a form field may hold, arrive intact."""
    payload = bytes(range(256)) * 8192  # 2 MiB, not valid UTF-8
    response = api.post_parts(TASK + "/x/data", Part("data", payload))
    assert response.status_code == 204
    assert api.get(TASK + "/x/data").content == payload


def test_empty_bytes_part_stores_an_empty_value(api: Api) -> None:
    assert api.upload(TASK + "/x", b"").status_code == 204
    download = api.get(TASK + "/x/data")
    assert download.status_code == 200
    assert download.content == b""
    assert api.get(TASK + "/x").json()["value"] == ""


def test_bytes_ignores_filename_and_content_type(api: Api) -> None:
    api.upload(TASK + "/x", b"raw", filename="a.txt", content_type_header="text/plain")
    download = api.get(TASK + "/x/data")
    assert download.headers["content-type"] == "application/octet-stream"
    assert "content-disposition" not in download.headers


# Files


def test_file_without_filename_is_rejected(api: Api) -> None:
    response = api.upload(TASK + "/x", b"abc", value_type="File")
    assert_error(
        response,
        400,
        "InvalidRequestException",
        "Cannot create file without filename! Please set a name into ValueInfo with key filename",
    )
    assert_nothing_stored(api)


def test_empty_filename_is_accepted(api: Api) -> None:
    assert api.upload(TASK + "/x", b"abc", value_type="File", filename="").status_code == 204
    assert api.get(TASK + "/x").json()["valueInfo"]["filename"] == ""


def test_rfc_8187_filename_star_wins_over_filename(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part(
            "data",
            b"abc",
            filename="fallback.txt",
            extra_disposition="; filename*=UTF-8''%C3%BCber%20%E2%82%AC.txt",
        ),
        Part("valueType", "File"),
    )
    assert response.status_code == 204
    assert api.get(TASK + "/x").json()["valueInfo"]["filename"] == "über €.txt"


def test_non_ascii_filename_in_plain_parameter_is_kept_verbatim(api: Api) -> None:
    api.upload(TASK + "/x", b"abc", value_type="File", filename="Übersicht 日本.pdf")
    assert api.get(TASK + "/x").json()["valueInfo"]["filename"] == "Übersicht 日本.pdf"
    disposition = api.get(TASK + "/x/data").headers["content-disposition"]
    assert disposition == (
        'attachment; filename="_bersicht __.pdf"; '
        "filename*=UTF-8''%C3%9Cbersicht%20%E6%97%A5%E6%9C%AC.pdf"
    )


def test_quotes_and_backslashes_in_filenames_survive_and_cannot_break_the_header(api: Api) -> None:
    name = 'say "hi"\\there.txt'
    api.upload(TASK + "/x", b"abc", value_type="File", filename=name)
    assert api.get(TASK + "/x").json()["valueInfo"]["filename"] == name
    disposition = api.get(TASK + "/x/data").headers["content-disposition"]
    assert disposition.startswith('attachment; filename="say \\"hi\\"\\\\there.txt"; ')


def test_media_type_is_lower_cased_without_parameters(api: Api) -> None:
    api.upload(
        TASK + "/x", b"a", value_type="File", filename="a", content_type_header="Text/HTML; q=1"
    )
    assert api.get(TASK + "/x").json()["valueInfo"] == {"filename": "a", "mimeType": "text/html"}


def test_encoding_parameter_wins_over_charset(api: Api) -> None:
    api.upload(
        TASK + "/x",
        b"a",
        value_type="File",
        filename="a",
        content_type_header="text/plain; charset=UTF-8; encoding=gzip",
    )
    assert api.get(TASK + "/x").json()["valueInfo"]["encoding"] == "gzip"


def test_unparseable_media_type_is_rejected(api: Api) -> None:
    response = api.upload(
        TASK + "/x", b"a", value_type="File", filename="a", content_type_header="not a type"
    )
    assert_error(response, 400, "RestException", "Invalid mime type given")
    assert_nothing_stored(api)


def test_transient_file_is_accepted_and_not_stored(api: Api) -> None:
    response = api.upload(
        TASK + "/x",
        b"a",
        value_type="File",
        filename="a",
        content_type_header="text/plain; transient=true",
    )
    assert response.status_code == 204
    assert_nothing_stored(api)


# The serialized-object form


def test_serialized_form_ignores_value_type(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part("valueType", "Nonsense"),
        Part("data", "{}", content_type="application/json; charset=UTF-8"),
        Part("type", "java.util.HashMap"),
    )
    assert response.status_code == 204
    assert api.get(TASK + "/x").json()["type"] == "Object"


@pytest.mark.parametrize(("part_type", "shown"), [("text/plain", "text/plain"), (None, "null")])
def test_serialized_form_needs_json_data(api: Api, part_type: str | None, shown: str) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part("data", "[]", content_type=part_type),
        Part("type", "java.util.ArrayList"),
    )
    assert_error(
        response,
        400,
        "InvalidRequestException",
        f"Unrecognized content type for serialized java type: {shown}",
    )


def test_serialized_form_rejects_invalid_json(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part("data", "[1,", content_type="application/json"),
        Part("type", "java.util.List"),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "InvalidRequestException"
    assert body["message"].startswith("Could not deserialize JSON object: ")
    assert_nothing_stored(api)


def test_serialized_null_stores_nothing(api: Api) -> None:
    response = api.post_parts(
        TASK + "/x/data",
        Part("data", "null", content_type="application/json"),
        Part("type", "java.lang.Object"),
    )
    assert response.status_code == 204
    assert_nothing_stored(api)


def test_serialized_form_on_missing_task_is_a_null_value_error(api: Api) -> None:
    response = api.post_parts(
        "/task/nope/variables/x/data",
        Part("data", "[]", content_type="application/json"),
        Part("type", "java.util.List"),
    )
    assert_error(response, 500, "NullValueException", "task nope doesn't exist: task is null", 0)


# Task missing, malformed bodies, limits


def test_upload_to_missing_task_answers_camundas_500(api: Api) -> None:
    response = api.upload("/task/nope/variables/x", b"abc")
    assert_error(
        response,
        500,
        "RestException",
        "Cannot put task variable x: task nope doesn't exist: task is null",
        0,
    )


@pytest.mark.parametrize(
    ("body", "content_type_header"),
    [
        pytest.param(multipart_body(Part("data", b"abc")), "multipart/form-data", id="no-boundary"),
        pytest.param(
            multipart_body(Part("data", b"abc"))[:-30], content_type(), id="truncated-in-part"
        ),
        pytest.param(
            multipart_body(Part("data", b"abc"))[:40], content_type(), id="truncated-in-header"
        ),
        pytest.param(b"", content_type(), id="empty-body"),
        pytest.param(b"no multipart here at all", content_type(), id="no-delimiter"),
        pytest.param(
            b"--taskvars-test-boundary\r\nContent-Type: text/plain\r\n\r\nabc\r\n"
            b"--taskvars-test-boundary--\r\n",
            content_type(),
            id="part-without-disposition",
        ),
        pytest.param(
            multipart_body(Part("data", b"abc", filename="a\x00b")),
            content_type(),
            id="nul-in-filename",
        ),
        pytest.param(
            multipart_body(Part("data", b"abc", headers=[("X-Long", "y" * 20000)])),
            content_type(),
            id="huge-part-header",
        ),
        pytest.param(
            multipart_body(Part("data", b"abc", extra_disposition="; filename*=UTF-8''%FF")),
            content_type(),
            id="filename-star-not-utf8",
        ),
    ],
)
def test_malformed_multipart_is_rejected_and_writes_nothing(
    api: Api, body: bytes, content_type_header: str
) -> None:
    response = api.post_raw(TASK + "/x/data", body, content_type_header)
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "RestException"
    assert response.json()["message"].startswith("multipart/form-data cannot be processed")
    assert_nothing_stored(api)
    assert api.upload(TASK + "/after", b"ok").status_code == 204  # still healthy


def test_chunked_body_without_content_length_is_accepted(api: Api) -> None:
    body = multipart_body(Part("data", PNG * 64, filename="a.png"), Part("valueType", "File"))
    response = api.post_raw(TASK + "/x/data", in_pieces(body, 1000), content_type())
    assert response.status_code == 204, response.text
    assert api.get(TASK + "/x/data").content == PNG * 64


def test_too_many_parts_are_rejected(api: Api) -> None:
    parts = [Part(f"p{i}", "x") for i in range(200)]
    response = api.post_parts(TASK + "/x/data", Part("data", b"abc"), *parts)
    assert response.status_code == 400
    assert (
        response.json()["message"]
        == "multipart/form-data cannot be processed: more than 100 parts (TASKVARS_MAX_FORM_PARTS)"
    )
    assert_nothing_stored(api)


def test_upload_replaces_the_previous_value_whole(api: Api) -> None:
    api.upload(TASK + "/x", b"old" * 1000)
    api.upload(TASK + "/x", b"new", value_type="File", filename="n.txt")
    assert api.get(TASK + "/x/data").content == b"new"
    assert api.get(TASK + "/x").json()["type"] == "File"


def test_large_value_is_stored_in_chunks_and_read_back_identical(api: Api) -> None:
    payload = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32 + 7)  # > 3 chunks
    assert (
        api.upload(TASK + "/x", payload, value_type="File", filename="big.bin").status_code == 204
    )
    download = api.get(TASK + "/x/data")
    assert download.headers["content-length"] == str(len(payload))
    assert download.content == payload
