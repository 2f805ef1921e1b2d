"""A one-pass, streaming ``multipart/form-data`` parser.

Built on python-multipart's callback parser: a binary part goes to a :class:`Spool` as it
arrives (memory, then a file written and hashed by worker threads), text parts are kept
up to a limit, and parts nobody asked for are dropped unread. Memory stays flat whatever
the size of the body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol, TypeGuard

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState

from taskvars.errors import InvalidRequestError, MalformedMultipartError
from taskvars.header_values import (
    CONTROL_CHARACTERS,
    HeaderValueError,
    has_control_characters,
    parse_header_value,
)
from taskvars.persistence.content_files import TemporaryUploadFile, UploadFile
from taskvars.web import byte_search
from taskvars.web.nul_characters import NUL_MESSAGE
from taskvars.web.spool import Spool


@dataclass(frozen=True)
class FormLimits:
    max_parts: int
    max_part_header_bytes: int
    max_text_part_bytes: int
    spool_memory_bytes: int
    # Where a binary part goes once it outgrows memory (the database says, see
    # Database.new_upload_file).
    open_spool_file: Callable[[], UploadFile] = TemporaryUploadFile
    # Where a form's streamed part goes instead of a spool (``StreamingFormParser``'s
    # ``streamed_field``), given how to make that spool: a sink that stores it as it
    # arrives (PostgreSQL, see persistence.postgres_upload). None: a spool.
    streamed_part_sink: Callable[[Callable[[], PartSink]], PartSink] | None = None


class PartSink(Protocol):
    """Where a binary part's bytes go as they arrive (a :class:`Spool`, or a sink that
    stores them at once): fed with ``write`` (``drain`` awaited between feeds), then
    ``finish``; read back with ``chunks``; ended with ``close``."""

    size: int
    digest: str

    @property
    def file(self) -> UploadFile | None: ...
    @property
    def path(self) -> Path | None: ...
    def write(self, data: memoryview) -> None: ...
    async def drain(self) -> None: ...
    async def finish(self) -> None: ...
    def chunks(self, chunk_bytes: int) -> Iterator[bytes]: ...
    def read_all(self) -> bytes: ...
    def close(self) -> None: ...


@dataclass
class FormPart:
    """One part: its name, headers (names lower-cased) and, if given, its filename."""

    name: str
    headers: dict[str, str]
    filename: str | None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass
class TextPart(FormPart):
    text: str

    @property
    def java_boolean(self) -> bool:
        """The text as Java's ``Boolean.parseBoolean`` reads a form's flag (Camunda's
        ``DeploymentRestServiceImpl``): true iff it is ``true`` in any letter case, so
        ``True`` (Python's spelling, which some clients send) is true, anything else false."""
        return self.text.lower() == "true"


@dataclass
class BinaryPart(FormPart):
    """Raw part content, spooled to a file past the in-memory limit."""

    spool: PartSink

    @property
    def size(self) -> int:
        return self.spool.size

    @property
    def digest(self) -> str:
        return self.spool.digest

    @property
    def path(self) -> Path | None:
        return self.spool.path

    def chunks(self, chunk_bytes: int) -> Iterator[bytes]:
        return self.spool.chunks(chunk_bytes)

    def read_all(self) -> bytes:
        return self.spool.read_all()

    def close(self) -> None:
        self.spool.close()


@dataclass
class MultipartForm:
    """Parts by name; when a name repeats, the last part wins."""

    parts: dict[str, FormPart] = field(default_factory=dict)

    def get(self, name: str) -> FormPart | None:
        return self.parts.get(name)

    def close(self) -> None:
        for part in self.parts.values():
            if isinstance(part, BinaryPart):
                part.close()

    def __enter__(self) -> MultipartForm:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _PendingPart(NamedTuple):
    name: str
    headers: dict[str, str]
    filename: str | None


class _Sink(Protocol):
    def write(self, data: memoryview) -> None: ...


class _TextSink:
    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.buffer = bytearray()

    def write(self, data: memoryview) -> None:
        if len(self.buffer) + len(data) > self.limit:
            raise MalformedMultipartError(
                f"part '{self.name}' is longer than the limit of {self.limit} bytes "
                "(TASKVARS_MAX_TEXT_PART_BYTES)"
            )
        self.buffer += data


class _DiscardSink:
    def write(self, data: memoryview) -> None:
        pass


class StreamingFormParser:
    """Feed it the body chunk by chunk; ``finish()`` returns the parsed form.

    ``binary_fields`` are spooled as raw bytes, whether or not they carry a filename;
    ``text_fields`` are decoded as UTF-8; every other part is skipped, or, with
    ``other_parts_binary`` (a form of files under any names: a deployment's), spooled too
    if it carries a filename, as every file a client attaches does.
    """

    def __init__(
        self,
        boundary: bytes,
        limits: FormLimits,
        *,
        binary_fields: Collection[str],
        text_fields: Collection[str],
        other_parts_binary: bool = False,
        streamed_field: str | None = None,
        write_through: bool = False,
    ) -> None:
        self._limits = limits
        # Fed from a buffer that is overwritten after each feed (socket_body): binary
        # parts are written as they come (Spool's write_through), nothing is kept.
        self._write_through = write_through
        # The binary field whose part goes to ``limits.streamed_part_sink``, if any.
        self._streamed_field = streamed_field
        self._binary_fields = binary_fields
        self._text_fields = text_fields
        self._other_parts_binary = other_parts_binary
        self._form = MultipartForm()
        self._part_count = 0
        self._received_bytes = 0
        self._ended = False
        self._header_bytes = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._part: _PendingPart | None = None
        self._sink: _Sink | PartSink = _DiscardSink()
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    def feed(self, chunk: bytes | memoryview) -> None:
        """Parse ``chunk``, which must not change afterwards (binary parts keep views of
        it), unless the parser writes through; await :meth:`drain` before the next one
        (which a parser that writes through need not)."""
        if self._ended:
            return  # the epilogue after the closing boundary is ignored, as RFC 2046 says
        self._received_bytes += len(chunk)
        try:
            rest = self._spool_part_data(chunk)
            if rest:
                self._parser.write(bytes(rest))  # python-multipart searches bytes
        except MultipartParseError as error:
            raise MalformedMultipartError(
                "the body does not follow the multipart framing of its boundary"
            ) from error
        except BaseException:
            self._discard_current()
            raise

    def _spool_part_data(self, chunk: bytes | memoryview) -> bytes | memoryview:
        """Inside a spooled part, hand what of ``chunk`` is surely its data straight to
        the part's sink; the rest (from a delimiter, or from where one may begin at the end)
        is for python-multipart.

        python-multipart would find the same: in part data it only searches for the
        delimiter. Skipping it spares its per-chunk work (three callbacks through a
        dictionary, closures made on each call), a fifth of the event loop's time for a
        large upload. Only where it has nothing pending (no partial delimiter carried
        over from the last chunk), so that giving it the rest is the same as giving it
        all."""
        parser = self._parser
        if (
            not _is_binary(self._sink)
            or parser.state != MultipartState.PART_DATA
            or parser.index
            or parser.flags
        ):
            return chunk
        delimiter = parser.boundary  # CRLF, "--" and the boundary
        end = byte_search.find(chunk, delimiter)
        if end < 0:
            # A delimiter cut off by the chunk's end starts at a CR in its last bytes,
            # and at the last one: a boundary holds no CR (RFC 2046).
            tail = max(0, len(chunk) - len(delimiter) + 1)
            carriage_return = bytes(chunk[tail:]).rfind(b"\r")
            end = tail + carriage_return if carriage_return >= 0 else len(chunk)
        if end:
            self._sink.write(memoryview(chunk)[:end])
        return chunk[end:]

    async def drain(self) -> None:
        """Wait while the part being received has too much not yet written."""
        if _is_binary(self._sink):
            await self._sink.drain()

    async def finish(self) -> MultipartForm:
        """The form, every binary part written and hashed; call once the body has ended."""
        if not self._ended:
            self.abort()
            if self._received_bytes == 0:
                raise MalformedMultipartError("the body is empty")
            raise MalformedMultipartError("the body ends before its closing boundary")
        for part in self._form.parts.values():
            if isinstance(part, BinaryPart):
                await part.spool.finish()
        return self._form

    def abort(self) -> None:
        """Release whatever was spooled; for a body that will not be used."""
        self._discard_current()
        self._form.close()

    # python-multipart callbacks

    def _on_part_begin(self) -> None:
        self._part_count += 1
        if self._part_count > self._limits.max_parts:
            raise MalformedMultipartError(
                f"more than {self._limits.max_parts} parts (TASKVARS_MAX_FORM_PARTS)"
            )
        self._headers = {}
        self._header_bytes = 0

    def _count_header_bytes(self, length: int) -> None:
        self._header_bytes += length
        if self._header_bytes > self._limits.max_part_header_bytes:
            raise MalformedMultipartError(
                f"part headers longer than {self._limits.max_part_header_bytes} bytes "
                "(TASKVARS_MAX_PART_HEADER_BYTES)"
            )

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        # Undecodable bytes are kept as surrogates: they only matter in parts we keep.
        name = self._header_field.decode("ascii", "surrogateescape").strip().lower()
        value = self._header_value.decode("utf-8", "surrogateescape").strip()
        self._headers[name] = value
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        disposition_header = self._headers.get("content-disposition")
        if disposition_header is None:
            raise MalformedMultipartError("a part has no Content-Disposition header")
        try:
            disposition = parse_header_value(disposition_header)
        except HeaderValueError as error:
            raise MalformedMultipartError(
                "a part's Content-Disposition header cannot be read"
            ) from error
        name = disposition.params.get("name")
        if disposition.value.lower() != "form-data" or name is None:
            raise MalformedMultipartError(
                "a part's Content-Disposition is not form-data with a name"
            )
        filename = disposition.params.get("filename")
        if name in self._binary_fields or (
            self._other_parts_binary and name not in self._text_fields and filename is not None
        ):
            self._sink = self._binary_sink(name)
        elif name in self._text_fields:
            self._sink = _TextSink(name, self._limits.max_text_part_bytes)
        else:
            # Camunda ignores parts it does not know; so do we, whatever their headers say.
            self._part, self._sink = None, _DiscardSink()
            return
        if _unusable(self._headers.values()) or (filename and has_control_characters(filename)):
            self._discard_current()
            raise MalformedMultipartError(
                f"the headers of part '{name}' hold control characters or invalid UTF-8"
            )
        self._part = _PendingPart(name, self._headers, filename)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._sink.write(memoryview(data)[start:end])

    def _on_part_end(self) -> None:
        part, sink = self._part, self._sink
        self._part, self._sink = None, _DiscardSink()
        if part is None:
            return
        finished: FormPart
        if _is_binary(sink):
            finished = BinaryPart(*part, spool=sink)
        elif isinstance(sink, _TextSink):
            try:
                finished = TextPart(*part, text=sink.buffer.decode("utf-8"))
            except UnicodeDecodeError as error:
                raise MalformedMultipartError(f"part '{part.name}' is not valid UTF-8") from error
            if "\x00" in finished.text:
                raise InvalidRequestError(NUL_MESSAGE)
        else:
            return
        replaced = self._form.parts.pop(part.name, None)
        if isinstance(replaced, BinaryPart):
            replaced.close()
        self._form.parts[part.name] = finished

    def _on_end(self) -> None:
        self._ended = True

    def _binary_sink(self, name: str) -> PartSink:
        new_sink = self._limits.streamed_part_sink
        if name == self._streamed_field and new_sink is not None:
            return new_sink(self._new_spool)
        return self._new_spool()

    def _new_spool(self) -> Spool:
        return Spool(
            self._limits.spool_memory_bytes,
            self._limits.open_spool_file,
            write_through=self._write_through,
        )

    def _discard_current(self) -> None:
        if _is_binary(self._sink):
            self._sink.close()
        self._part, self._sink = None, _DiscardSink()


def _is_binary(sink: _Sink | PartSink) -> TypeGuard[PartSink]:
    return not isinstance(sink, (_TextSink, _DiscardSink))


# Control characters other than HTAB (header_values.has_control_characters), and the
# surrogates that stand for undecodable bytes: one search instead of a loop per character.
_UNUSABLE_IN_HEADERS = re.compile(f"[{CONTROL_CHARACTERS}\udc80-\udcff]")


def _unusable(header_values: Iterable[str]) -> bool:
    """Invalid UTF-8 (kept as surrogates) or control characters in a part's headers."""
    return any(_UNUSABLE_IN_HEADERS.search(value) is not None for value in header_values)


def boundary_of(content_type: str | None) -> bytes:
    """The boundary parameter of a multipart ``Content-Type``, or a 400."""
    try:
        boundary = parse_header_value(content_type or "").params.get("boundary")
    except HeaderValueError as error:
        raise MalformedMultipartError("the Content-Type header cannot be read") from error
    if boundary is None:
        raise MalformedMultipartError("the Content-Type header has no boundary")
    if not boundary or len(boundary) > 200 or not boundary.isascii():
        raise MalformedMultipartError(
            "the boundary in the Content-Type header is empty, longer than 200 characters "
            "or not ASCII"
        )
    return boundary.encode("ascii")
