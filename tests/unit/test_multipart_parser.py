"""The streaming parser alone, fed in every chunking a network might produce."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from taskvars.errors import MalformedMultipartError
from taskvars.web.multipart import (
    BinaryPart,
    FormLimits,
    MultipartForm,
    StreamingFormParser,
    TextPart,
    boundary_of,
)
from tests.content_digests import expected_digest
from tests.multipart_bodies import BOUNDARY, Part, multipart_body

LIMITS = FormLimits(
    max_parts=10, max_part_header_bytes=1024, max_text_part_bytes=64, spool_memory_bytes=100
)


Parse = Callable[..., MultipartForm]


@pytest.fixture(params=[False, True], ids=["received", "written through"])
def parse(request: pytest.FixtureRequest) -> Iterator[Parse]:
    """Parses a body, as received on the event loop (each piece a ``bytes`` of its own)
    or, written through, as a thread reading the socket feeds it: each piece a view of
    one buffer, overwritten as soon as the parser returns. Every form it returns is
    closed when the test ends."""
    forms: list[MultipartForm] = []
    write_through: bool = request.param

    def parse(body: bytes, piece: int | None = None) -> MultipartForm:
        parser = StreamingFormParser(
            BOUNDARY.encode(),
            LIMITS,
            binary_fields={"data"},
            text_fields={"valueType", "type"},
            write_through=write_through,
        )
        piece = piece or len(body) or 1
        buffer = bytearray(piece)

        async def feed_all() -> MultipartForm:
            for start in range(0, len(body), piece):
                chunk = body[start : start + piece]
                if write_through:
                    buffer[: len(chunk)] = chunk
                    parser.feed(memoryview(buffer)[: len(chunk)])
                    buffer[:] = b"\xff" * len(buffer)  # the next read overwrites it
                else:
                    parser.feed(chunk)
                    await parser.drain()
            return await parser.finish()

        forms.append(asyncio.run(feed_all()))
        return forms[-1]

    yield parse
    for form in forms:
        form.close()


BODY = multipart_body(
    Part("data", b"line\r\n--" + BOUNDARY.encode() + b"x not a delimiter", filename="f.bin"),
    Part("valueType", "File", content_type="text/plain"),
    Part("ignored", "whatever"),
)


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64, None])
def test_every_chunking_parses_the_same(parse: Parse, piece: int | None) -> None:
    form = parse(BODY, piece)
    data = form.get("data")
    assert isinstance(data, BinaryPart)
    assert data.read_all() == b"line\r\n--" + BOUNDARY.encode() + b"x not a delimiter"
    assert data.filename == "f.bin"
    value_type = form.get("valueType")
    assert isinstance(value_type, TextPart)
    assert value_type.text == "File"
    assert value_type.content_type == "text/plain"
    assert set(form.parts) == {"data", "valueType"}


def test_binary_part_is_counted_and_hashed(parse: Parse) -> None:
    form = parse(multipart_body(Part("data", b"abc")))
    data = form.get("data")
    assert isinstance(data, BinaryPart)
    assert data.size == 3
    assert data.digest == "xxh3-128:06b05ab6733a618578af5f94892f3950"
    assert list(data.chunks(2)) == [b"ab", b"c"]


def test_large_binary_part_spools_to_disk(parse: Parse) -> None:
    form = parse(multipart_body(Part("data", bytes(range(256)) * 4)), piece=7)
    data = form.get("data")
    assert isinstance(data, BinaryPart)
    assert data.path is not None
    assert data.path.read_bytes() == bytes(range(256)) * 4
    assert data.size == 1024
    assert data.digest == expected_digest(bytes(range(256)) * 4)


def near_misses(length: int) -> bytes:
    """``length`` bytes dense with what begins a delimiter without being one: CRs,
    CRLF and dashes, the delimiter cut short, with one byte changed, or followed by
    neither CRLF nor "--"."""
    delimiter = b"\r\n--" + BOUNDARY.encode()
    pieces = [b"\r", b"\r\n", b"\r\n-", b"\r\n--", delimiter[:-1], delimiter[:-1] + b"X"]
    pieces += [bytes(range(256)), b"\r\r\n\n--", b"-" * 40, delimiter + b"x"]
    content = bytearray()
    while len(content) < length:
        content += pieces[len(content) % len(pieces)]
    return bytes(content[:length])


LARGE = near_misses(300_000)
SECOND = near_misses(70_001)[::-1]


@pytest.mark.parametrize(
    "piece", [1000, 4093, 40_000, 40_001, 40_007, 40_013, 65_536, 262_144, None]
)
def test_large_parts_parse_the_same_in_every_chunking(parse: Parse, piece: int | None) -> None:
    """Chunks long enough for the spool's own delimiter search (see
    StreamingFormParser._spool_part_data), cut anywhere, delimiters included; a binary
    part replaced by a later one, text after binary."""
    form = parse(
        multipart_body(
            Part("data", SECOND, filename="first.bin"),
            Part("ignored", LARGE),
            Part("data", LARGE, filename="f.bin"),
            Part("valueType", "File"),
        ),
        piece,
    )
    data = form.get("data")
    assert isinstance(data, BinaryPart)
    assert data.filename == "f.bin"
    assert data.read_all() == LARGE
    assert (data.size, data.digest) == (len(LARGE), expected_digest(LARGE))
    value_type = form.get("valueType")
    assert isinstance(value_type, TextPart)
    assert value_type.text == "File"


def test_a_body_that_ends_inside_a_large_part_is_refused(parse: Parse) -> None:
    body = multipart_body(Part("data", LARGE))
    with pytest.raises(MalformedMultipartError, match="ends before its closing boundary"):
        parse(body[: len(body) - 20], 65_536)


def test_replaced_binary_parts_are_closed() -> None:
    parser = StreamingFormParser(
        BOUNDARY.encode(), LIMITS, binary_fields={"data"}, text_fields=set()
    )
    parser.feed(multipart_body(Part("data", b"first"), Part("data", b"second")))
    with asyncio.run(parser.finish()) as form:
        assert form.get("data").read_all() == b"second"  # type: ignore[union-attr]


def test_form_close_removes_spooled_files(parse: Parse) -> None:
    form = parse(multipart_body(Part("data", b"x" * 1000)))
    data = form.get("data")
    assert isinstance(data, BinaryPart)
    assert data.path is not None
    assert data.path.exists()
    form.close()
    assert not data.path.exists()


def test_epilogue_after_the_closing_delimiter_is_ignored(parse: Parse) -> None:
    form = parse(multipart_body(Part("data", b"abc")) + b"trailing junk")
    assert form.get("data").read_all() == b"abc"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            multipart_body(Part("valueType", "x" * 65)),
            "part 'valueType' is longer than the limit of 64 bytes (TASKVARS_MAX_TEXT_PART_BYTES)",
        ),
        (multipart_body(*[Part("p", "x")] * 11), "more than 10 parts (TASKVARS_MAX_FORM_PARTS)"),
        (
            multipart_body(Part("data", b"a", headers=[("X", "y" * 2000)])),
            "part headers longer than 1024 bytes (TASKVARS_MAX_PART_HEADER_BYTES)",
        ),
        (multipart_body(Part("valueType", b"\xff\xfe")), "part 'valueType' is not valid UTF-8"),
    ],
)
def test_limits_and_encodings_are_enforced(parse: Parse, body: bytes, message: str) -> None:
    with pytest.raises(MalformedMultipartError) as raised:
        parse(body)
    assert raised.value.message == f"multipart/form-data cannot be processed: {message}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (multipart_body(Part("data", b"abc"))[:-5], "the body ends before its closing boundary"),
        (
            b"--boundary-that-is-not",
            "the body does not follow the multipart framing of its boundary",
        ),
        (
            multipart_body(Part("data", b"abc")).replace(
                b"Content-Disposition", b"Content-Dispositio"
            ),
            "a part has no Content-Disposition header",
        ),
        (
            multipart_body(Part("data", b"abc")).replace(b"form-data", b"attachment"),
            "a part's Content-Disposition is not form-data with a name",
        ),
        (
            # a CR inside a header line breaks the framing itself
            multipart_body(Part("data", b"abc", filename="a\rb")),
            "the body does not follow the multipart framing of its boundary",
        ),
        (
            multipart_body(Part("data", b"abc", headers=[("X-Note", "a\x01b")])),
            "the headers of part 'data' hold control characters or invalid UTF-8",
        ),
        (
            multipart_body(Part("valueType", "File", headers=[("X-Note", "\udcff")])),
            "the headers of part 'valueType' hold control characters or invalid UTF-8",
        ),
    ],
    ids=[
        "empty",
        "unterminated",
        "no-part",
        "no-disposition",
        "not-form-data",
        "cr-in-filename",
        "control-in-kept-header",
        "bad-utf8-in-kept-header",
    ],
)
def test_each_broken_body_says_what_is_wrong(parse: Parse, body: bytes, message: str) -> None:
    with pytest.raises(MalformedMultipartError) as raised:
        parse(body, 5)
    assert raised.value.message == f"multipart/form-data cannot be processed: {message}"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "the Content-Type header has no boundary"),
        ("multipart/form-data", "the Content-Type header has no boundary"),
        ("multipart/form-data; boundary=", "the boundary in the Content-Type header is empty"),
        ('multipart/form-data; boundary="' + "b" * 201 + '"', "longer than 200 characters"),
        ("multipart/form-data; boundary=\u00e9t\u00e9", "or not ASCII"),
    ],
)
def test_each_unusable_boundary_says_what_is_wrong(header: str | None, message: str) -> None:
    with pytest.raises(MalformedMultipartError) as raised:
        boundary_of(header)
    assert message in raised.value.message


def test_quoted_boundary_is_unquoted() -> None:
    assert boundary_of('multipart/form-data; boundary="a b:c"') == b"a b:c"


def test_unknown_parts_are_ignored_whatever_their_headers(parse: Parse) -> None:
    junk = (
        b"--"
        + BOUNDARY.encode()
        + b'\r\nContent-Disposition: form-data; name="\xff\x01"\r\n\r\nx\r\n'
    )
    form = parse(junk + multipart_body(Part("data", b"abc")))
    assert set(form.parts) == {"data"}
