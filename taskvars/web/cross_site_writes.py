"""Writes sent by a browser from another site or origin are refused (403).

A browser holding the task list's Basic credentials sends them with any request to this
server, a form another site submits included: without this, any page its user visits
could deploy models or replace files as that user (cross-site request forgery). Without
``--auth-file`` the same page could write to a server on the user's own machine. The
server answers no CORS preflight, so no other origin's script has a legitimate reason to
write here.

Browsers say where a request comes from: ``Sec-Fetch-Site`` (every current browser), and
``Origin`` on every POST; a write is refused when the first names another site or origin,
or, without it, when the second is not this server's own. Clients other than browsers
(curl, generated SDKs, workers) send neither and are not affected. Reads are left alone:
another origin's script cannot read their answers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.errors import CrossSiteWriteError

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests the user made on this server's own pages or by hand.
_OWN_SITE = frozenset({"same-origin", "none"})


class CrossSiteWriteMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in READ_METHODS:
            refusal = _refusal(scope["headers"])
            if refusal is not None:
                raise CrossSiteWriteError(refusal)
        await self.app(scope, receive, send)


def _refusal(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Why a write with these headers is refused, or ``None``."""
    found = {name.decode(): value.decode("latin-1") for name, value in headers if name in _NAMES}
    site = found.get("sec-fetch-site")
    if site is not None:
        if site.strip().lower() in _OWN_SITE:
            return None
        return f"A write from another site is refused (Sec-Fetch-Site: {site})"
    origin = found.get("origin")
    if origin is None:
        return None
    host = found.get("host", "")
    own = urlsplit(origin.strip()).netloc.lower() == host.strip().lower()
    if origin.strip().lower() != "null" and own:
        return None
    return f"A write from another origin is refused (Origin: {origin})"


_NAMES = frozenset({b"sec-fetch-site", b"origin", b"host"})
