"""Chunk rows in and out of PostgreSQL with ``COPY`` in binary format, through psycopg.

``COPY ... FROM STDIN`` streams every chunk of a value in one statement (an ``INSERT``
per chunk costs a round trip and a parse each), and ``COPY ... TO STDOUT`` streams them
back as the server produces them (a server-side cursor fetches each window with a round
trip). Binary format: no escaping of ``bytea`` either way. Both run on the unit of
work's own connection, inside its transaction, so a value is still written whole or not
at all, and read from the transaction's snapshot. Memory stays at about one chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from psycopg import sql
from sqlalchemy import Connection

_COPY_IN = "COPY binary_chunk (content_pk, seq, data) FROM STDIN (FORMAT BINARY)"
_COPY_OUT = sql.SQL(
    "COPY (SELECT data FROM binary_chunk WHERE content_pk = {} ORDER BY seq) "
    "TO STDOUT (FORMAT BINARY)"
)
# The columns' types as the schema declares them (binary COPY needs them exact).
_CHUNK_TYPES = ["int4", "int4", "bytea"]


def _psycopg(connection: Connection) -> Any:
    """The psycopg connection under SQLAlchemy's, in the same transaction."""
    return connection.connection.driver_connection


def copy_chunks_in(connection: Connection, content_pk: int, chunks: Iterable[bytes]) -> None:
    with driver_cursor(connection) as cursor, chunk_copy(cursor) as copy:
        for seq, chunk in enumerate(chunks):
            copy.write_row((content_pk, seq, chunk))


def driver_cursor(connection: Connection) -> AbstractContextManager[Any]:
    """A psycopg cursor on ``connection``, in its transaction."""
    return _psycopg(connection).cursor()  # type: ignore[no-any-return]


@contextmanager
def chunk_copy(cursor: Any) -> Iterator[Any]:
    """``COPY`` of chunk rows ``(content_pk, seq, data)`` in, on ``cursor``: ``write_row``
    each; the rows are in once the block ends (an exception cancels the ``COPY``)."""
    with cursor.copy(_COPY_IN) as copy:
        copy.set_types(_CHUNK_TYPES)
        yield copy


def copy_chunks_out(connection: Connection, content_pk: int) -> Iterator[bytes]:
    query = _COPY_OUT.format(sql.Literal(content_pk))
    with _psycopg(connection).cursor() as cursor, cursor.copy(query) as copy:
        copy.set_types(["bytea"])
        for (data,) in copy.rows():
            yield data
