"""The bytes of ``Bytes`` and ``File`` values: chunk rows, or content files on SQLite.

Written once per value, read in chunks, never joined whole except for JSON answers,
which carry ``Bytes`` values in Base64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, cast

from sqlalchemy import (
    Connection,
    LargeBinary,
    String,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session

from taskvars.persistence import postgres_copy, raw_statements
from taskvars.persistence.content_files import ContentFiles
from taskvars.persistence.models import BinaryChunk, BinaryContent, HistoricVariable
from taskvars.persistence.values import BinarySource, FileSpan, StoredValue

# Session.info key: callables to run once the session's transaction has committed.
AFTER_COMMIT = "taskvars_after_commit"
# Values up to this size (and one chunk) are written in one statement with their row
# on PostgreSQL, instead of a COPY after it: a COPY costs two round trips and a cursor
# of its own, more than its bytes for a small value.
SMALL_VALUE_BYTES = 256 * 1024


def small_value_bytes(chunk_bytes: int) -> int:
    """:attr:`BinaryContents.small_value_bytes` for chunks of ``chunk_bytes``."""
    return min(SMALL_VALUE_BYTES, chunk_bytes)


_CONTENT = cast(Table, BinaryContent.__table__)
_CHUNK = cast(Table, BinaryChunk.__table__)
# Public, as the next two, for the fast path's raw writes on SQLite (sqlite_small_values).
INSERT_CONTENT = insert(_CONTENT).returning(_CONTENT.c.pk)
INSERT_CHUNK = insert(_CHUNK)
_CHUNK_DATA = (
    select(_CHUNK.c.data)
    .where(_CHUNK.c.content_pk == bindparam("content_pk"))
    .order_by(_CHUNK.c.seq)
    .execution_options(yield_per=1)
)
# The content row a read found, still there: its pk alone is not enough, since SQLite
# hands a deleted newest row's pk out again (no AUTOINCREMENT); the same digest, size
# and file make it the same bytes in the same place.
_CONTENT_PRESENT = select(_CONTENT.c.pk).where(
    _CONTENT.c.pk == bindparam("content_pk"),
    _CONTENT.c.digest == bindparam("digest"),
    _CONTENT.c.size == bindparam("size"),
    _CONTENT.c.file_name.is_not_distinct_from(bindparam("file_name", type_=String)),
)
_DELETE_CONTENT = (
    delete(_CONTENT).where(_CONTENT.c.pk == bindparam("content_pk")).returning(_CONTENT.c.file_name)
)
_HISTORY = cast(Table, HistoricVariable.__table__)
# History's variables share content with the runtime ones (see models.HistoricVariable):
# asked in the DELETE itself, not in a query before it.
DELETE_UNLESS_HISTORY_HOLDS = _DELETE_CONTENT.where(
    ~exists().where(_HISTORY.c.content_pk == bindparam("content_pk"))
)
# PostgreSQL: the content row and its one chunk, in one data-modifying statement.
_NEW_CONTENT = (
    insert(_CONTENT)
    .values(size=bindparam("size"), digest=bindparam("digest"), file_name=null())
    .returning(_CONTENT.c.pk)
    .cte("new_content")
)
_INSERT_SMALL_CONTENT = (
    insert(_CHUNK)
    .from_select(
        ["content_pk", "seq", "data"],
        select(_NEW_CONTENT.c.pk, literal(0), bindparam("data", type_=LargeBinary)),
    )
    .returning(_CHUNK.c.content_pk)
)


class BinaryContents:
    def __init__(
        self, session: Session, content_files: ContentFiles | None, chunk_bytes: int
    ) -> None:
        self.session = session
        # SQLite keeps large content in files beside the database; PostgreSQL in rows.
        self._files = content_files
        self.chunk_bytes = chunk_bytes

    @property
    def _connection(self) -> Connection:
        return self.session.connection()

    def totals(self) -> tuple[int, int]:
        """How many binary values are stored, and their bytes (one content per value)."""
        values, size = self.session.execute(
            select(func.count(), func.coalesce(func.sum(_CONTENT.c.size), 0)).select_from(_CONTENT)
        ).one()
        return int(values), int(size)

    def after_commit(self, action: Callable[[], None]) -> None:
        self.session.info.setdefault(AFTER_COMMIT, []).append(action)

    def remove_files_after_commit(self, names: Iterable[str | None]) -> None:
        """Content files of rows this transaction deleted go once it has committed."""
        remove_after_commit(self._files, names, self.after_commit)

    def write(self, source: BinarySource) -> int:
        """Store ``source``; returns its content pk."""
        file_name: str | None = None
        if source.file is not None and self._files is not None and self._files.adopts(source.file):
            # Already in a content file (see content_files): only the row is new.
            file_name = source.file.path.name
            self.after_commit(source.file.keep)
        connection = self._connection
        if source.streamed is not None:
            return source.streamed.adopted_by(connection)
        postgresql = connection.dialect.name == "postgresql"
        if file_name is None and postgresql and 0 < source.size <= self.small_value_bytes:
            data = b"".join(source.read(self.chunk_bytes))
            return int(
                connection.execute(
                    _INSERT_SMALL_CONTENT,
                    {"size": source.size, "digest": source.digest, "data": data},
                ).scalar_one()
            )
        content_pk: int = raw_statements.run(
            connection,
            INSERT_CONTENT,
            {"size": source.size, "digest": source.digest, "file_name": file_name},
        ).scalar_one()
        if file_name is None:
            chunks = source.read(self.chunk_bytes)
            if postgresql:
                postgres_copy.copy_chunks_in(connection, content_pk, chunks)
            else:
                # One statement per chunk keeps memory at one chunk, whatever the size.
                for seq, chunk in enumerate(chunks):
                    raw_statements.run(
                        connection,
                        INSERT_CHUNK,
                        {"content_pk": content_pk, "seq": seq, "data": chunk},
                    )
        return content_pk

    @property
    def small_value_bytes(self) -> int:
        """Written in one statement on PostgreSQL, read with their variable: small, and
        one chunk row (seq 0)."""
        return small_value_bytes(self.chunk_bytes)

    def delete(self, content_pk: int) -> None:
        removed = raw_statements.run(
            self._connection, _DELETE_CONTENT, {"content_pk": content_pk}
        ).scalars()
        self.remove_files_after_commit(removed)

    def present(
        self, content_pk: int, digest: str | None, size: int | None, file: str | None
    ) -> bool:
        """Whether the content ``content_pk``, with that digest, size and content file,
        is there in this snapshot (not released, nor its pk reused since)."""
        row = raw_statements.run(
            self._connection,
            _CONTENT_PRESENT,
            {"content_pk": content_pk, "digest": digest, "size": size, "file_name": file},
        )
        return row.first() is not None

    def release(self, content_pk: int) -> None:
        """Delete content a runtime value let go of, unless history holds it, in one
        statement."""
        removed = raw_statements.run(
            self._connection, DELETE_UNLESS_HISTORY_HOLDS, {"content_pk": content_pk}
        ).scalars()
        self.remove_files_after_commit(removed)

    def referenced_files(self) -> set[str]:
        return set(
            self.session.scalars(
                select(BinaryContent.file_name).where(BinaryContent.file_name.is_not(None))
            )
        )

    def whole(self, values: Iterable[StoredValue]) -> dict[int, bytes]:
        """Whole contents of several values, by content pk, for JSON answers: the rows of
        all of them in one query, then any content files."""
        joined: dict[int, bytearray] = {}
        files: dict[int, str] = {}
        read_already: dict[int, bytes] = {}
        for value in values:
            if value.content_pk is None:
                continue
            if value.inline_content is not None:
                read_already[value.content_pk] = value.inline_content
                continue
            joined[value.content_pk] = bytearray()
            if value.content_file is not None:
                files[value.content_pk] = value.content_file
        in_rows = [pk for pk in joined if pk not in files]
        if in_rows:
            rows = self.session.execute(
                select(BinaryChunk.content_pk, BinaryChunk.data)
                .where(BinaryChunk.content_pk.in_(in_rows))
                .order_by(BinaryChunk.content_pk, BinaryChunk.seq)
            )
            for content_pk, data in rows:
                joined[content_pk] += data
        for content_pk, name in files.items():
            with self._open_file(name) as file:
                joined[content_pk] += file.read()
        return {**{pk: bytes(data) for pk, data in joined.items()}, **read_already}

    def chunks(self, stored: StoredValue) -> Iterator[bytes]:
        """``stored``'s content in order, a chunk at a time. A content file is opened
        before this returns."""
        if stored.content_pk is None:
            return iter(())
        if stored.inline_content is not None:
            return iter((stored.inline_content,) if stored.inline_content else ())
        return self.content_chunks(stored.content_pk, stored.content_file)

    def content_chunks(self, content_pk: int, file_name: str | None) -> Iterator[bytes]:
        """The content ``content_pk`` in order: from the file ``file_name``, opened before
        this returns, or from its chunk rows."""
        if file_name is not None:
            return _file_chunks(self._open_file(file_name), 0, None, self.chunk_bytes)
        return self._chunk_rows(content_pk)

    def slice(self, stored: StoredValue, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (inclusive) of ``stored``'s content, reading only
        what holds them. A content file is opened before this returns."""
        if stored.content_pk is None:
            return iter(())
        if stored.inline_content is not None:
            return iter((stored.inline_content[start : end + 1],))
        if stored.content_file is not None:
            return _file_chunks(
                self._open_file(stored.content_file), start, end + 1, self.chunk_bytes
            )
        return self._chunk_rows_slice(stored.content_pk, start, end)

    def file_span(self, stored: StoredValue, start: int, end: int) -> FileSpan | None:
        """Bytes ``start`` to ``end`` (inclusive) of ``stored``'s content file, opened
        now; ``None`` when its content is in rows."""
        if stored.content_file is None:
            return None
        return FileSpan(self._open_file(stored.content_file), start, end - start + 1)

    def _open_file(self, name: str) -> BinaryIO:
        """Raises ``ContentReplacedError`` if the file went after this snapshot began."""
        if self._files is None:
            raise RuntimeError(f"content file {name} named, but this database keeps none")
        return self._files.open(name)

    def _chunk_rows(self, content_pk: int) -> Iterator[bytes]:
        connection = self._connection
        if connection.dialect.name == "postgresql":
            yield from postgres_copy.copy_chunks_out(connection, content_pk)
            return
        # A Core statement on the connection: the ORM's execution path costs more than
        # the query for a small value.
        yield from connection.execute(_CHUNK_DATA, {"content_pk": content_pk}).scalars()

    def _chunk_rows_slice(self, content_pk: int, start: int, end: int) -> Iterator[bytes]:
        lengths = self.session.execute(
            select(BinaryChunk.seq, func.length(BinaryChunk.data))
            .where(BinaryChunk.content_pk == content_pk)
            .order_by(BinaryChunk.seq)
        ).all()
        offset, wanted = 0, []
        for seq, length in lengths:
            if offset + length > start and offset <= end:
                wanted.append((seq, offset))
            offset += length
        if not wanted:
            return
        offsets = dict(wanted)
        result = self.session.execute(
            select(BinaryChunk.seq, BinaryChunk.data)
            .where(
                BinaryChunk.content_pk == content_pk,
                BinaryChunk.seq.between(wanted[0][0], wanted[-1][0]),
            )
            .order_by(BinaryChunk.seq)
            .execution_options(yield_per=1)
        )
        for seq, data in result:
            chunk_start = offsets[seq]
            yield bytes(data[max(start - chunk_start, 0) : end - chunk_start + 1])


def _file_chunks(file: BinaryIO, start: int, end: int | None, chunk_bytes: int) -> Iterator[bytes]:
    """Bytes ``start`` up to ``end`` (exclusive; ``None``: to the end) of ``file``, which
    is closed when they have been read."""
    with file:
        file.seek(start)
        remaining = end - start if end is not None else None
        while remaining is None or remaining > 0:
            chunk = file.read(chunk_bytes if remaining is None else min(chunk_bytes, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def remove_after_commit(
    files: ContentFiles | None,
    names: Iterable[str | None],
    after_commit: Callable[[Callable[[], None]], None],
) -> None:
    """The content files ``names`` (of rows a transaction deleted; ``None``: no file)
    removed from ``files`` by what ``after_commit`` runs once that transaction has
    committed."""
    present = [name for name in names if name is not None]
    if present and files is not None:
        after_commit(lambda: files.remove(present))
