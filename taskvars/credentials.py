"""Users and bcrypt password hashes for HTTP Basic authentication, from an auth file.

The file holds one ``user:hash`` per line (``#`` starts a comment), the format Apache's
``htpasswd -B`` writes; ``taskvars hash-password`` prints a hash too. A third field,
``user:hash:group1,group2``, names the user's groups, as candidate groups name them (a
bcrypt hash holds no colon, so the fields stay apart).

Checking a bcrypt hash takes about a quarter of a second by design, too long for every
request: a credential that was checked once is remembered, under an HMAC with a key that
lives only in this process, so that neither the password nor a fast hash of it is kept.
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
    def __init__(
        self, hashes: dict[str, bytes], groups: dict[str, tuple[str, ...]] | None = None
    ) -> None:
        self._hashes = hashes
        self._groups = groups or {}
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
        groups: dict[str, tuple[str, ...]] = {}
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, separator, rest = line.partition(":")
            password_hash, has_groups, group_list = rest.partition(":")
            if not separator or not user or not password_hash.startswith(BCRYPT_PREFIXES):
                raise AuthFileError(
                    f"{path}, line {number}: expected user:bcrypt-hash or"
                    " user:bcrypt-hash:group1,group2 (see taskvars hash-password)"
                )
            if user in hashes:
                raise AuthFileError(f"{path}, line {number}: user {user!r} appears twice")
            hashes[user] = password_hash.encode()
            if has_groups:
                try:
                    groups[user] = _group_ids(group_list)
                except ValueError as error:
                    raise AuthFileError(f"{path}, line {number}: {error}") from None
        if not hashes:
            raise AuthFileError(f"the auth file {path} names no user")
        return cls(hashes, groups)

    def groups_of(self, user: str) -> tuple[str, ...]:
        """The user's groups, in the auth file's order; none for an unknown user."""
        return self._groups.get(user, ())

    def members_of(self, group: str) -> list[str]:
        return [user for user, groups in self._groups.items() if group in groups]

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


def _group_ids(group_list: str) -> tuple[str, ...]:
    """``group1,group2`` -> its ids; spaces around a comma are allowed, an empty or
    repeated id is not (a stray comma would otherwise silently name no group)."""
    ids = tuple(group.strip() for group in group_list.split(","))
    for group in ids:
        if not group:
            raise ValueError(f"the group list {group_list!r} has an empty group name")
        if any(character.isspace() for character in group):
            raise ValueError(f"the group name {group!r} contains a space")
    repeated = sorted({group for group in ids if ids.count(group) > 1})
    if repeated:
        raise ValueError(f"the group list {group_list!r} names {repeated[0]!r} twice")
    return ids
