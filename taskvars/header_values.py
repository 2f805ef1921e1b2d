"""Parsing and building of header values with parameters (RFC 9110 §5.6.6, RFC 8187).

Written by hand because no maintained parser does what this API needs: python-multipart
drops ``filename*`` on purpose (RFC 7578 forbids it, yet clients send it), and both the
standard library's ``email`` package and werkzeug let whichever parameter comes last win
and silently replace undecodable bytes, where we want ``filename*`` to win and bad
encodings to be refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote_to_bytes

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"^({_TOKEN})/({_TOKEN})$")
_WHOLE_TOKEN = re.compile(rf"^{_TOKEN}$")
_PARAMETER = re.compile(
    rf"""\s*;\s*(?P<name>{_TOKEN})\s*=\s*(?:
        "(?P<quoted>(?:[^"\\]|\\.)*)"(?=\s*(?:;|$))  # an RFC 9110 quoted-string
      | "(?P<literal>.*?)"(?=\s*(?:;|$))  # WHATWG form encoding: backslashes are not escapes
      | (?P<token>[^;\s"]*)
    )\s*""",
    re.DOTALL | re.VERBOSE,
)
_EXTENDED_VALUE = re.compile(r"^(?P<charset>[!#$%&+^_`{}~0-9A-Za-z-]+)'[^']*'(?P<value>.*)$")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
# A regular expression's character range: the control characters but HTAB, which is
# allowed in header values.
CONTROL_CHARACTERS = r"\x00-\x08\x0a-\x1f\x7f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")


class HeaderValueError(ValueError):
    """A header value does not follow the grammar."""


@dataclass(frozen=True)
class HeaderValue:
    """``value; name=param; ...`` with parameter names lower-cased."""

    value: str
    params: dict[str, str] = field(default_factory=dict)


def parse_header_value(header: str) -> HeaderValue:
    """Split ``value; a=1; b="two"`` into its value and parameters.

    An RFC 8187 extended parameter (``name*=UTF-8''...``) wins over its plain twin,
    whatever their order. Repeated plain parameters: the last one wins.
    """
    value, _, rest = header.partition(";")
    rest = ";" + rest if rest or header.endswith(";") else ""
    plain: dict[str, str] = {}
    extended: dict[str, str] = {}
    position = 0
    while position < len(rest):
        if rest[position:].strip(" \t;") == "":
            break
        match = _PARAMETER.match(rest, position)
        if match is None:
            raise HeaderValueError(f"cannot parse parameters of {header!r}")
        position = match.end()
        name = match["name"].lower()
        if match["quoted"] is not None:
            text = match["quoted"]
            if "\\" in text:  # only then a quoted pair to undo (re.sub costs even so)
                text = _QUOTED_PAIR.sub(r"\1", text)
        elif match["literal"] is not None:
            text = match["literal"]
        else:
            text = match["token"]
        if name.endswith("*"):
            extended[name[:-1]] = _decode_extended(text)
        else:
            plain[name] = text
    return HeaderValue(value.strip(), {**plain, **extended})


def _decode_extended(text: str) -> str:
    match = _EXTENDED_VALUE.match(text)
    if match is None:
        raise HeaderValueError(f"malformed extended parameter {text!r}")
    charset = match["charset"].lower()
    if charset not in ("utf-8", "iso-8859-1"):
        raise HeaderValueError(f"unsupported charset {charset!r} in extended parameter")
    try:
        return unquote_to_bytes(match["value"]).decode(charset)
    except UnicodeDecodeError as error:
        raise HeaderValueError(f"extended parameter is not valid {charset}") from error


def parse_media_type(header: str) -> HeaderValue:
    """A media type with its parameters; the type itself lower-cased and checked."""
    parsed = parse_header_value(header)
    if not _MEDIA_TYPE.match(parsed.value):
        raise HeaderValueError(f"not a media type: {parsed.value!r}")
    return HeaderValue(parsed.value.lower(), parsed.params)


def is_token(text: str) -> bool:
    """Whether ``text`` may stand unquoted as a header parameter value."""
    return _WHOLE_TOKEN.match(text) is not None


def has_control_characters(text: str) -> bool:
    """Control characters other than horizontal tab (NUL, CR, LF, ...)."""
    return _CONTROL.search(text) is not None


def attachment_disposition(filename: str) -> str:
    """``Content-Disposition`` for a download that no filename can break or inject into.

    The quoted ``filename`` is an ASCII approximation (for old clients); the exact name
    travels percent-encoded in ``filename*``.
    """
    fallback = "".join("_" if ord(char) > 126 or ord(char) < 32 else char for char in filename)
    fallback = fallback.replace("\\", "\\\\").replace('"', '\\"')
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def strong_etag(digest: str) -> str:
    return f'"{digest}"'


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names the current ``etag`` (weak comparison, RFC 9110
    §13.1.2), so that the answer is a 304."""
    if if_none_match is None:
        return False
    candidates = [candidate.strip() for candidate in if_none_match.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)
