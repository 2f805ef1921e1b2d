"""HTTP Basic authentication in front of every path, when an auth file is configured."""

from __future__ import annotations

import base64
import binascii

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.credentials import Credentials
from taskvars.errors import NotAuthorizedError

REALM = "taskvars"
# Request state key: the user the request signed in as (who wrote a comment, say).
AUTHENTICATED_USER = "authenticated_user"


class BasicAuthMiddleware:
    """Every request needs valid credentials: routing, validation and the body come
    after, so nothing is read or revealed to a client without them."""

    def __init__(self, app: ASGIApp, *, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            user = await self._authenticate(_authorization(scope["headers"]))
            scope.setdefault("state", {})[AUTHENTICATED_USER] = user
        await self.app(scope, receive, send)

    async def _authenticate(self, header: str | None) -> str:
        """The user the valid credentials name."""
        if header is None:
            raise _unauthorized("Authentication required: send HTTP Basic credentials")
        user_password = _basic_credentials(header)
        if user_password is None:
            raise _unauthorized("The Authorization header is not valid HTTP Basic")
        # A credential checked before is known at once; bcrypt's check blocks a thread.
        valid = self.credentials.remembered(*user_password) or await anyio.to_thread.run_sync(
            self.credentials.verify, *user_password
        )
        if not valid:
            raise _unauthorized("Unknown user or wrong password")
        return user_password[0]


def _authorization(headers: list[tuple[bytes, bytes]]) -> str | None:
    """As Starlette's ``Headers.get("authorization")``: the first, decoded as latin-1."""
    for name, value in headers:
        if name == b"authorization":
            return value.decode("latin-1")
    return None


def _unauthorized(message: str) -> NotAuthorizedError:
    return NotAuthorizedError(message, headers={"WWW-Authenticate": f'Basic realm="{REALM}"'})


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None
