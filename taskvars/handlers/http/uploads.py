"""A parsed multipart form as the services take it: plain values."""

from __future__ import annotations

from taskvars.persistence.postgres_upload import CopySpool
from taskvars.persistence.values import BinarySource
from taskvars.services.binary_upload import DataPart, UploadedParts
from taskvars.web.multipart import BinaryPart, MultipartForm, TextPart


def uploaded_parts(form: MultipartForm) -> UploadedParts:
    """The parts the spec declares. It requires ``data`` and makes it binary, so
    the form has it as a spooled part."""
    data = form.get("data")
    assert isinstance(data, BinaryPart), "the spec requires a binary data part"
    return UploadedParts(
        data=DataPart(binary_source(data), filename=data.filename, content_type=data.content_type),
        value_type=text_of(form, "valueType"),
        type_name=text_of(form, "type"),
    )


def binary_source(part: BinaryPart) -> BinarySource:
    """A spooled part as content to store: the store adopts its file, or the content
    streamed into the database as it arrived, where it can."""
    spool = part.spool
    streamed = spool.streamed if isinstance(spool, CopySpool) else None
    return BinarySource(spool.chunks, spool.size, spool.digest, file=spool.file, streamed=streamed)


def binary_part_source(form: MultipartForm, name: str) -> BinarySource | None:
    part = form.get(name)
    return binary_source(part) if isinstance(part, BinaryPart) else None


def text_of(form: MultipartForm, name: str) -> str | None:
    part = form.get(name)
    return part.text if isinstance(part, TextPart) else None
