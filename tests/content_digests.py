"""The digest taskvars should store for given bytes, computed here on its own (xxhash
directly), so that a test compares what taskvars did with what it should have done."""

from __future__ import annotations

import xxhash


def expected_digest(data: bytes) -> str:
    """``xxh3-128:`` and the XXH3-128 of ``data`` in hex, as ``xxhsum -H2`` prints it."""
    return f"xxh3-128:{xxhash.xxh3_128(data).hexdigest()}"
