"""The digest stored with every binary value: what ``taskvars check`` recomputes to find
damaged content, what tells one stored row from another that took its key, and the
download's ``ETag``.

It is written ``algorithm:hex``. New content gets XXH3-128 (``xxh3-128:``, the
``xxhash`` package, the hash ``xxhsum -H2`` prints); content stored before migration
0021 keeps the SHA-256 it was stored with (``sha256:``), and is checked against it.

Why not SHA-256 for new content: none of these uses needs a hash an attacker cannot
collide (nothing is looked up or shared by its digest; whoever could craft a collision
can write the value anyway), and SHA-256 was the largest single cost of a large upload:
0.55 s of CPU a GiB here with the CPU's SHA instructions, against 0.03 s for XXH3-128,
whose 128 bits make an accidental match as unlikely as it is for SHA-256 in practice.
On 2 cores a 1 GiB upload went from 1.75x the disk's own write and sync of the same
bytes to 1.2-1.4x (docs/benchmarks.md, "Measurements behind design decisions").
"""

from __future__ import annotations

import hashlib
from typing import Protocol

import xxhash

ALGORITHM = "xxh3-128"
_LEGACY_ALGORITHM = "sha256"
_NAMES = {ALGORITHM: "XXH3-128", _LEGACY_ALGORITHM: "SHA-256"}


class Hasher(Protocol):
    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...
    def hexdigest(self) -> str: ...


def new_hasher() -> Hasher:
    """A hasher for new content; :func:`stored_form` of its ``hexdigest`` is stored."""
    return xxhash.xxh3_128()


def stored_form(hexdigest: str) -> str:
    """What is stored for new content whose :func:`new_hasher` gave ``hexdigest``."""
    return f"{ALGORITHM}:{hexdigest}"


def digest_of(data: bytes | bytearray | memoryview) -> str:
    """The stored digest of ``data`` as new content."""
    hasher = new_hasher()
    hasher.update(data)
    return stored_form(hasher.hexdigest())


EMPTY = digest_of(b"")


class UnknownDigestError(ValueError):
    """A stored digest names no algorithm this version knows."""


def hasher_for(stored: str) -> Hasher:
    """A hasher of the algorithm ``stored`` was made with, to compute it again."""
    algorithm, _, _ = stored.partition(":")
    if algorithm == ALGORITHM:
        return new_hasher()
    if algorithm == _LEGACY_ALGORITHM:
        return hashlib.sha256()
    raise UnknownDigestError(f"the stored digest {stored!r} names no known algorithm")


def recomputed(stored: str, hasher: Hasher) -> str:
    """What ``hasher`` (from :func:`hasher_for`) gives, in ``stored``'s form."""
    algorithm, _, _ = stored.partition(":")
    return f"{algorithm}:{hasher.hexdigest()}"


def described(stored: str) -> str:
    """``stored`` for a person: the algorithm's usual name, then the hex digits."""
    algorithm, _, hexdigest = stored.partition(":")
    return f"{_NAMES.get(algorithm, algorithm)} {hexdigest}"
