"""How a parsed form becomes a value, in Camunda's decision order: the spec's form
schema decides which parts are valid, the upload service what they mean."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from taskvars.errors import InvalidRequestError, RestError
from taskvars.handlers.http.uploads import uploaded_parts
from taskvars.resources import load_spec
from taskvars.services.binary_upload import BinaryUpload
from taskvars.services.binary_upload import interpret_upload as interpret_parts
from taskvars.web.multipart import FormLimits, MultipartForm, StreamingFormParser
from taskvars.web.multipart_validator import FormSchema, StreamingMultipartValidator
from tests.multipart_bodies import BOUNDARY, Part, multipart_body

LIMITS = FormLimits(
    max_parts=10, max_part_header_bytes=1024, max_text_part_bytes=1024, spool_memory_bytes=64
)
FORM_VALIDATOR = StreamingMultipartValidator(
    limits=LIMITS,
    form_schema=FormSchema(load_spec()["components"]["schemas"]["MultiFormVariableBinaryDto"]),
)


def interpret_upload(form: MultipartForm) -> BinaryUpload:
    FORM_VALIDATOR.validate_form(form)
    return interpret_parts(uploaded_parts(form))


@pytest.fixture
def form() -> Iterator[Callable[..., MultipartForm]]:
    """Builds parsed forms; every one is closed when the test ends."""
    forms: list[MultipartForm] = []

    def build(*parts: Part) -> MultipartForm:
        parser = StreamingFormParser(
            BOUNDARY.encode(), LIMITS, binary_fields={"data"}, text_fields={"valueType", "type"}
        )
        parser.feed(multipart_body(*parts))
        forms.append(asyncio.run(parser.finish()))
        return forms[-1]

    yield build
    for built in forms:
        built.close()


def test_bytes_is_the_default_and_keeps_no_metadata(form: Callable[..., MultipartForm]) -> None:
    upload = interpret_upload(
        form(Part("data", b"abc", filename="a.txt", content_type="text/plain"))
    )
    assert upload.value is not None
    assert upload.value.type == "Bytes"
    assert upload.value.filename is None
    assert upload.value.content is not None
    assert list(upload.value.content.read(2)) == [b"ab", b"c"]


def test_file_takes_name_type_and_charset_from_the_part(form: Callable[..., MultipartForm]) -> None:
    upload = interpret_upload(
        form(
            Part("data", b"x", filename="n.txt", content_type="TEXT/plain; charset=latin1"),
            Part("valueType", "File"),
        ),
    )
    assert upload.value is not None
    assert (upload.value.filename, upload.value.mime_type, upload.value.encoding) == (
        "n.txt",
        "text/plain",
        "latin1",
    )
    assert not upload.transient


def test_serialized_object_is_checked_before_anything_else(
    form: Callable[..., MultipartForm],
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        interpret_upload(form(Part("type", "java.util.List"), Part("valueType", "Nonsense")))
    assert raised.value.message == "No 'data' part given"


def test_unsupported_value_type(form: Callable[..., MultipartForm]) -> None:
    with pytest.raises(RestError) as raised:
        interpret_upload(form(Part("data", b"x"), Part("valueType", "FILE")))
    assert raised.value.message == "Unsupported value type 'FILE'"


def test_serialized_json_keeps_the_text_as_sent(form: Callable[..., MultipartForm]) -> None:
    upload = interpret_upload(
        form(
            Part("data", '{ "a" : 1 }', content_type="application/json"),
            Part("type", "java.util.Map"),
        ),
    )
    assert upload.serialized
    assert upload.value is not None
    assert upload.value.text_value == '{ "a" : 1 }'
    assert upload.value.object_type_name == "java.util.Map"


def test_a_valid_form_is_remembered_and_an_invalid_one_refused_every_time() -> None:
    schema = FormSchema(load_spec()["components"]["schemas"]["MultiFormVariableBinaryDto"])
    calls: list[object] = []
    validator = schema.validator

    class Counted:
        def iter_errors(self, instance: object) -> Any:
            calls.append(instance)
            return validator.iter_errors(instance)

    schema.validator = Counted()  # type: ignore[assignment]
    valid = {"data": "", "valueType": "File"}
    invalid = {"data": "", "valueType": "Foo"}
    assert schema.first_error(dict(valid)) is None
    assert schema.first_error(dict(valid)) is None
    first = schema.first_error(dict(invalid))
    second = schema.first_error(dict(invalid))
    assert isinstance(first, RestError)
    assert isinstance(second, RestError)
    assert str(first) == str(second) == "Unsupported value type 'Foo'"
    assert calls == [valid, invalid, invalid]  # the valid form was validated once
