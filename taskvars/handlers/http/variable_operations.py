"""The seven variable operations, for any variable resource: HTTP in, one call of the
variables service in one unit of work, HTTP out."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import connexion
from connexion import NoContent
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response

from taskvars import content_digest
from taskvars.handlers.http.download_headers import binary_headers
from taskvars.handlers.http.ranges import ByteRange, requested_range
from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.uploads import uploaded_parts
from taskvars.header_values import none_match, strong_etag
from taskvars.persistence.postgres_upload import StreamedContent
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import FileSpan, StoredValue
from taskvars.services import variables
from taskvars.services.binary_upload import BinaryUpload, interpret_upload
from taskvars.services.variables import VariableResource
from taskvars.web.closing_stream import ClosingStreamingResponse
from taskvars.web.file_span_response import FileSpanResponse
from taskvars.web.multipart import MultipartForm

# Contents up to this size are read whole in the handler and answered in one piece:
# streaming them would cost a task group and a worker-thread hop per chunk, several
# times the read itself for a small value (docs/benchmarks.md, 1 KiB downloads).
WHOLE_ANSWER_BYTES = 64 * 1024
NO_CONTENT = (NoContent, 204)
# Stores an upload another way (True: done), given it and the full store's work.
StoredOtherwise = Callable[[BinaryUpload, Callable[[UnitOfWork], None]], Awaitable[bool]]


def upload_binary(
    resource: VariableResource, scope_id: str, name: str, form: MultipartForm
) -> tuple[Any, int]:
    store_upload(database(), resource, scope_id, name, form)
    return NO_CONTENT


def store_upload(
    db: Database, resource: VariableResource, scope_id: str, name: str, form: MultipartForm
) -> None:
    """The upload's work, for this handler (in a worker thread)."""
    with form:  # releases the spooled parts, and any file the store did not adopt
        upload = interpret_upload(uploaded_parts(form))
        db.write(
            _storing(resource, scope_id, name, upload),
            content_bytes=upload.content_bytes,
            streamed=_streamed_content(upload),
        )


async def store_upload_async(
    db: Database,
    resource: VariableResource,
    scope_id: str,
    name: str,
    form: MultipartForm,
    *,
    stored_otherwise: StoredOtherwise | None = None,
) -> None:
    """:func:`store_upload` for the event loop (the fast path, :mod:`taskvars.web.fast_path`):
    the write is queued by :meth:`Database.write_async`, with no worker thread waiting for
    it (on SQLite the writer thread wakes the loop once per batch). ``stored_otherwise``:
    stores the upload another way if it can (``True``: done), with the form still open;
    given the full store's work too, which it may run in its stead."""
    with form:
        parts = uploaded_parts(form)
        if parts.type_name is None:
            upload = interpret_upload(parts)  # headers and text parts only: no I/O
        else:
            # The deprecated serialized-object form parses its content, maybe from a file.
            upload = await anyio.to_thread.run_sync(interpret_upload, parts)
        storing = _storing(resource, scope_id, name, upload)
        if stored_otherwise is not None and await stored_otherwise(upload, storing):
            return
        await db.write_async(
            storing,
            content_bytes=upload.content_bytes,
            streamed=_streamed_content(upload),
        )


def _streamed_content(upload: BinaryUpload) -> StreamedContent | None:
    """The upload's content, if it was stored as it arrived: the write joins its
    transaction. (A serialized object's was only read: it is rolled back with the form.)"""
    content = upload.value.content if upload.value is not None else None
    return content.streamed if content is not None else None


def _storing(
    resource: VariableResource, scope_id: str, name: str, upload: BinaryUpload
) -> Callable[[UnitOfWork], None]:
    return lambda uow: variables.set_upload(uow, resource, scope_id, name, upload)


def put_variable(
    resource: VariableResource, scope_id: str, name: str, dto: dict[str, Any]
) -> tuple[Any, int]:
    database().write(lambda uow: variables.put(uow, resource, scope_id, name, dto))
    return NO_CONTENT


def delete_variable(resource: VariableResource, scope_id: str, name: str) -> tuple[Any, int]:
    database().write(lambda uow: variables.delete(uow, resource, scope_id, name))
    return NO_CONTENT


def modify_variables(
    resource: VariableResource, scope_id: str, patch: dict[str, Any]
) -> tuple[Any, int]:
    database().write(
        lambda uow: variables.modify(
            uow, resource, scope_id, patch.get("modifications"), patch.get("deletions")
        )
    )
    return NO_CONTENT


def get_variable(
    resource: VariableResource, scope_id: str, name: str, deserialize: bool
) -> dict[str, Any]:
    return read_variable(database(), resource, scope_id, name, deserialize)


def read_variable(
    db: Database,
    resource: VariableResource,
    scope_id: str,
    name: str,
    deserialize: bool,
    found: StoredValue | None = None,
) -> dict[str, Any]:
    """The read's work, for this handler and the fast path (:mod:`taskvars.web.fast_path`);
    ``found``: the variable as the fast path's own read found it (``variables.get``)."""
    return db.read(
        lambda uow: variables.get(
            uow, resource, scope_id, name, deserialize=deserialize, found=found
        )
    )


def get_variables(resource: VariableResource, scope_id: str, deserialize: bool) -> dict[str, Any]:
    return database().read(
        lambda uow: variables.get_all(uow, resource, scope_id, deserialize=deserialize)
    )


@dataclass(frozen=True)
class _Download:
    """What a download answers, prepared in its read snapshot: one of ``whole`` (a small
    content), ``span`` (a content file, sent without reading it) or ``chunks``; none of
    them when the client has this version already (304)."""

    stored: StoredValue
    etag: str
    byte_range: ByteRange | None
    whole: bytes | None = None
    span: FileSpan | None = None
    chunks: Iterator[bytes] | None = None

    @property
    def not_modified(self) -> bool:
        return self.whole is None and self.span is None and self.chunks is None


def download_binary(resource: VariableResource, scope_id: str, name: str) -> Response:
    return binary_download(database(), connexion.request.headers, resource, scope_id, name)


def binary_download(
    db: Database,
    request_headers: Mapping[str, str],
    resource: VariableResource,
    scope_id: str,
    name: str,
    found: StoredValue | None = None,
) -> Response:
    """The download's work, for this handler and the fast path (:mod:`taskvars.web.fast_path`);
    ``found``: the variable as the fast path's own read found it (``variables.binary``)."""
    return binary_response(
        db,
        request_headers,
        lambda uow: variables.binary(uow, resource, scope_id, name, found=found),
    )


def stream_binary(find: Callable[[UnitOfWork], StoredValue]) -> Response:
    return binary_response(database(), connexion.request.headers, find)


def binary_response(
    db: Database, request_headers: Mapping[str, str], find: Callable[[UnitOfWork], StoredValue]
) -> Response:
    """Stream the binary value ``find`` names (or the requested range of it) out of one
    read snapshot, closed when the stream ends; 304 when the client has it already.
    ``request_headers``: case-insensitive (Starlette's ``Headers``)."""

    def prepare(uow: UnitOfWork) -> _Download:
        stored = find(uow)
        etag, byte_range, not_modified = _requested(request_headers, stored)
        if not_modified:
            return _Download(stored, etag, None)
        bounds = (byte_range.start, byte_range.end) if byte_range else None
        length = byte_range.length if byte_range else stored.content_size or 0
        if length <= WHOLE_ANSWER_BYTES:
            whole = b"".join(variables.content(uow, stored, bounds))
            return _Download(stored, etag, byte_range, whole=whole)
        span = variables.content_file_span(uow, stored, bounds)
        if span is not None:
            return _Download(stored, etag, byte_range, span=span)
        return _Download(stored, etag, byte_range, chunks=variables.content(uow, stored, bounds))

    uow, download = db.open_read(prepare)
    if download.not_modified:
        uow.close()
        return _not_modified(download.etag)
    status, headers = _status_and_headers(download)
    if download.whole is not None:
        uow.close()
        return Response(download.whole, status_code=status, headers=headers)
    if download.span is not None:
        # The open file is the snapshot: the unit of work can go now.
        uow.close()
        return FileSpanResponse(download.span, status_code=status, headers=headers)
    assert download.chunks is not None
    return ClosingStreamingResponse(
        _stream_then_close(uow, download.chunks), status_code=status, headers=headers
    )


def inline_binary_response(
    request_headers: Mapping[str, str], stored: StoredValue
) -> Response | None:
    """:func:`binary_response`'s answer for ``stored`` when it needs no more of the
    database: its bytes came with it (``inline_content``) and are answered whole, or the
    client has them (304); ``None`` otherwise."""
    etag, byte_range, not_modified = _requested(request_headers, stored)
    if not_modified:
        return _not_modified(etag)
    length = byte_range.length if byte_range else stored.content_size or 0
    if length > WHOLE_ANSWER_BYTES:
        return None
    whole = b""
    if stored.content_pk is not None:
        if stored.inline_content is None:
            return None
        # As BinaryContents.chunks and .slice give an inline content.
        whole = stored.inline_content
        if byte_range is not None:
            whole = whole[byte_range.start : byte_range.end + 1]
    status, headers = _status_and_headers(_Download(stored, etag, byte_range, whole=whole))
    return Response(whole, status_code=status, headers=headers)


def _requested(
    request_headers: Mapping[str, str], stored: StoredValue
) -> tuple[str, ByteRange | None, bool]:
    """The value's ETag, the range asked for, and whether the client has it already."""
    etag = strong_etag(stored.content_digest or content_digest.EMPTY)
    if none_match(request_headers.get("if-none-match"), etag):
        return etag, None, True
    byte_range = requested_range(
        request_headers.get("range"),
        request_headers.get("if-range"),
        etag,
        stored.content_size or 0,
    )
    return etag, byte_range, False


def _not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "X-Content-Type-Options": "nosniff"})


def _status_and_headers(download: _Download) -> tuple[int, dict[str, str]]:
    headers = {**binary_headers(download.stored), "ETag": download.etag, "Accept-Ranges": "bytes"}
    status = 200
    if download.byte_range is not None:
        status = 206
        headers["Content-Range"] = download.byte_range.content_range(
            download.stored.content_size or 0
        )
        headers["Content-Length"] = str(download.byte_range.length)
    return status, headers


async def _stream_then_close(
    uow: UnitOfWork, chunks: Iterator[bytes]
) -> AsyncGenerator[bytes, None]:
    """``chunks``, each read in a worker thread; then, however the stream ended (a client
    that went away or stalled included), ``chunks`` and the unit of work are closed in a
    worker thread too. Closing a half-read PostgreSQL ``COPY`` cancels it and waits for
    the server: left to the garbage collector, that wait could fall on the event loop."""
    try:
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_close, chunks, uow)


def _close(chunks: Iterator[bytes], uow: UnitOfWork) -> None:
    try:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    finally:
        uow.close()
