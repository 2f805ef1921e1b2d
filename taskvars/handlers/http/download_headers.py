"""Response headers for a binary download, safe whatever was stored."""

from __future__ import annotations

from taskvars.header_values import (
    HeaderValueError,
    attachment_disposition,
    is_token,
    parse_media_type,
)
from taskvars.persistence.values import StoredValue

OCTET_STREAM = "application/octet-stream"


def binary_headers(stored: StoredValue) -> dict[str, str]:
    headers = {
        "Content-Type": OCTET_STREAM,
        "Content-Length": str(stored.content_size or 0),
        "X-Content-Type-Options": "nosniff",
    }
    if stored.type == "File":
        headers["Content-Type"] = file_content_type(stored.mime_type, stored.encoding)
        headers["Content-Disposition"] = attachment_disposition(stored.filename or "")
    return headers


def file_content_type(mime_type: str | None, encoding: str | None) -> str:
    """The stored media type, plus ``charset`` when an encoding is stored.

    Anything that is not a plain ``type/subtype`` (or a charset that is not a token)
    falls back to a safe value instead of reaching the header.
    """
    try:
        media_type = parse_media_type(mime_type or OCTET_STREAM).value
    except HeaderValueError:
        media_type = OCTET_STREAM
    if encoding and is_token(encoding):
        return f"{media_type}; charset={encoding}"
    return media_type
