"""A parsed multipart form as the upload service takes it: plain values."""

from __future__ import annotations

from taskvars.persistence.values import BinarySource
from taskvars.services.binary_upload import DataPart, UploadedParts
from taskvars.web.multipart import BinaryPart, MultipartForm, TextPart


def uploaded_parts(form: MultipartForm) -> UploadedParts:
    """The parts the spec declares. It requires ``data`` and makes it binary, so
    the form has it as a spooled part."""
    data = form.get("data")
    assert isinstance(data, BinaryPart), "the spec requires a binary data part"
    spool = data.spool
    content = BinarySource(spool.chunks, spool.size, spool.sha256, file=spool.file)
    return UploadedParts(
        data=DataPart(content, filename=data.filename, content_type=data.content_type),
        value_type=_text(form, "valueType"),
        type_name=_text(form, "type"),
    )


def _text(form: MultipartForm, name: str) -> str | None:
    part = form.get(name)
    return part.text if isinstance(part, TextPart) else None
