"""The PostgreSQL reference for large values: the same bytes written by psycopg's
``COPY ... FROM STDIN`` (binary) into a fresh table of 1 MiB ``bytea`` rows stored
without compression, committed, then read back by ``COPY ... TO STDOUT``. What
PostgreSQL itself needs to take and give back those bytes, from a client on the same
machine; taskvars' PostgreSQL upload and download are judged against it.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

MIB = 1024**2


def libpq_url(database_url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://...``) as psycopg takes it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def copy_seconds(
    database_url: str, size: int, before_write: Callable[[], None] = lambda: None
) -> tuple[float, float]:
    """(write and commit, read back), in seconds, for ``size`` bytes; ``before_write``
    runs right before the write is timed."""
    block = hashlib.sha256(b"reference").digest() * (MIB // 32)
    table = f"copy_reference_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(database_url)) as connection:
        connection.execute(f"CREATE TABLE {table} (seq int4 PRIMARY KEY, data bytea NOT NULL)")
        connection.execute(f"ALTER TABLE {table} ALTER COLUMN data SET STORAGE EXTERNAL")
        connection.commit()
        try:
            before_write()
            started = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} (seq, data) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                copy.set_types(["int4", "bytea"])
                written = seq = 0
                while written < size:
                    piece = block[: min(MIB, size - written)]
                    copy.write_row((seq, piece))
                    written += len(piece)
                    seq += 1
            connection.commit()
            write_seconds = time.perf_counter() - started
            started = time.perf_counter()
            received = 0
            with (
                connection.cursor() as cursor,
                cursor.copy(
                    f"COPY (SELECT data FROM {table} ORDER BY seq) TO STDOUT (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["bytea"])
                for (data,) in copy.rows():
                    received += len(data)
            read_seconds = time.perf_counter() - started
            connection.commit()
            if received != size:
                raise SystemExit(f"the COPY reference read {received} bytes of {size}")
        finally:
            connection.execute(f"DROP TABLE {table}")
            connection.commit()
    return write_seconds, read_seconds
