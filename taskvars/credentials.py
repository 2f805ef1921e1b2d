"""Users and bcrypt password hashes for HTTP Basic authentication, from an auth file.

The file holds one ``user:hash`` per line (``#`` starts a comment), the format Apache's
``htpasswd -B`` writes; ``taskvars hash-password`` prints a hash too. Checking a bcrypt
hash takes about a quarter of a second by design, too long for every request: a
credential that was checked once is remembered, under an HMAC with a key that lives only
in this process, so that neither the password nor a fast hash of it is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from pathlib import Path

import bcrypt

BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
REMEMBERED_CREDENTIALS = 1024


class AuthFileError(ValueError):
    """The auth file cannot be used; the message names the file and the line."""


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


class Credentials:
    def __init__(self, hashes: dict[str, bytes]) -> None:
        self._hashes = hashes
        self._key = secrets.token_bytes(32)
        self._verified: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path) -> Credentials:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise AuthFileError(f"cannot read the auth file {path}: {error}") from None
        hashes: dict[str, bytes] = {}
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, separator, password_hash = line.partition(":")
            if not separator or not user or not password_hash.startswith(BCRYPT_PREFIXES):
                raise AuthFileError(
                    f"{path}, line {number}: expected user:bcrypt-hash (see taskvars hash-password)"
                )
            if user in hashes:
                raise AuthFileError(f"{path}, line {number}: user {user!r} appears twice")
            hashes[user] = password_hash.encode()
        if not hashes:
            raise AuthFileError(f"the auth file {path} names no user")
        return cls(hashes)

    def remembered(self, user: str, password: str) -> bool:
        """Whether the credential was verified before (and still is remembered): quick,
        so that a request need not wait for a thread to be told so."""
        if user not in self._hashes:
            return False
        token = self._token(user, password)
        with self._lock:
            if token in self._verified:
                self._verified.move_to_end(token)
                return True
        return False

    def verify(self, user: str, password: str) -> bool:
        """Blocking (bcrypt) the first time a credential is seen; call from a thread."""
        if self.remembered(user, password):
            return True
        password_hash = self._hashes.get(user)
        if password_hash is None or not bcrypt.checkpw(password.encode(), password_hash):
            return False
        token = self._token(user, password)
        with self._lock:
            self._verified[token] = None
            if len(self._verified) > REMEMBERED_CREDENTIALS:
                self._verified.popitem(last=False)
        return True

    def _token(self, user: str, password: str) -> bytes:
        return hmac.new(self._key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
