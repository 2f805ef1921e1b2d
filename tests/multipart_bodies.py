"""Hand-built multipart bodies, so tests control every byte a client might send."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

BOUNDARY = "taskvars-test-boundary"


@dataclass
class Part:
    name: str
    content: bytes | str
    filename: str | None = None
    content_type: str | None = None
    extra_disposition: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def encode(self) -> bytes:
        disposition = f'form-data; name="{self.name}"'
        if self.filename is not None:
            escaped = self.filename.replace("\\", "\\\\").replace('"', '\\"')
            disposition += f'; filename="{escaped}"'
        disposition += self.extra_disposition
        lines = [f"Content-Disposition: {disposition}"]
        if self.content_type is not None:
            lines.append(f"Content-Type: {self.content_type}")
        lines += [f"{name}: {value}" for name, value in self.headers]
        # surrogateescape lets a test put raw bytes (invalid UTF-8) into a header.
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
        content = self.content.encode("utf-8") if isinstance(self.content, str) else self.content
        return head + content


def multipart_body(*parts: Part, boundary: str = BOUNDARY) -> bytes:
    delimiter = f"--{boundary}".encode()
    body = b""
    for part in parts:
        body += delimiter + b"\r\n" + part.encode() + b"\r\n"
    return body + delimiter + b"--\r\n"


def content_type(boundary: str = BOUNDARY) -> str:
    return f"multipart/form-data; boundary={boundary}"


def in_pieces(body: bytes, size: int) -> Iterator[bytes]:
    """The body as a generator: httpx sends it with ``Transfer-Encoding: chunked``."""
    for start in range(0, len(body), size):
        yield body[start : start + size]
