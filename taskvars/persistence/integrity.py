"""The integrity check behind ``taskvars check``: every stored binary value read back and
hashed against the digest stored with it (``content_digest``), and the storage around
the values inspected for what nothing names (orphans) and what is named but gone.

Safe while servers use the database: the values are read in one snapshot, and whatever
looks wrong only because a writer moved on meanwhile (a file removed after its value was
replaced, a file committed after the snapshot) is looked at again in a later snapshot
before it is reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import CompoundSelect, delete, select, union_all

from taskvars import content_digest
from taskvars.persistence.backup import remove_stale_staging
from taskvars.persistence.content_files import ContentReplacedError
from taskvars.persistence.models import (
    BinaryChunk,
    BinaryContent,
    HistoricProcessInstance,
    HistoricVariable,
    Scope,
    TaskAttachment,
    Variable,
)
from taskvars.persistence.unit_of_work import Database, UnitOfWork

# Content rows read at a time.
_PAGE_ROWS = 1000
ORPHAN_SETTLE_SECONDS = 0.5


class Kind(StrEnum):
    CORRUPT = "corrupt"
    UNREADABLE = "unreadable"
    MISSING_FILE = "missing file"
    ORPHANED_FILE = "orphaned file"
    ORPHANED_CONTENT = "orphaned content"
    ORPHANED_CHUNKS = "orphaned chunks"

    @property
    def is_orphan(self) -> bool:
        return self.name.startswith("ORPHANED")


@dataclass(frozen=True)
class Finding:
    kind: Kind
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


@dataclass
class IntegrityReport:
    values: int = 0
    bytes: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def damage(self) -> list[Finding]:
        """Stored values that are not what was stored: the check cannot mend these."""
        return [finding for finding in self.findings if not finding.kind.is_orphan]

    @property
    def orphans(self) -> list[Finding]:
        """Storage nothing names: ``--repair`` removes it."""
        return [finding for finding in self.findings if finding.kind.is_orphan]


@dataclass(frozen=True)
class _Content:
    pk: int
    size: int
    digest: str
    file_name: str | None
    owner: str | None  # the variable holding it, said for a person


def check(database: Database) -> IntegrityReport:
    report = IntegrityReport()
    gone: list[_Content] = []

    def in_one_snapshot(uow: UnitOfWork) -> set[str]:
        for content in _contents(uow):
            if content.owner is None:
                # Nothing can read it, whole or not: it is only in the way.
                report.findings.append(
                    Finding(
                        Kind.ORPHANED_CONTENT,
                        f"content {content.pk}",
                        "no variable or attachment names it",
                    )
                )
                continue
            report.values += 1
            report.bytes += content.size
            try:
                finding = _verify(uow, content)
            except ContentReplacedError:
                gone.append(content)
                continue
            if finding is not None:
                report.findings.append(finding)
        report.findings.extend(_loose_chunks(uow))
        return uow.store.contents.referenced_files()

    referenced = database.read(in_one_snapshot)
    unclaimed = database.content_files.unclaimed(referenced) if database.content_files else {}
    # Looked at again now: a file may have been removed, or committed, after the snapshot.
    now = database.read(_file_names_by_content)
    for content in gone:
        if now.get(content.pk) == content.file_name:
            report.findings.append(
                Finding(Kind.MISSING_FILE, _described(content), f"{content.file_name} is not there")
            )
    named_now = set(now.values())
    candidates = {name for name in unclaimed if name not in named_now}
    if candidates and database.content_files is not None:
        # A replaced value's file goes right after the commit that unnamed it: one that
        # is still there, and still nobody's, a moment later is an orphan.
        time.sleep(ORPHAN_SETTLE_SECONDS)
        candidates &= set(database.content_files.unclaimed(named_now))
    for name in sorted(candidates):
        report.findings.append(
            Finding(Kind.ORPHANED_FILE, name, f"{unclaimed[name]} bytes that no value names")
        )
    return report


def repair(database: Database) -> dict[Kind, int]:
    """Remove orphans only (never a value, whole or not); returns how many of each.
    Also what a killed ``taskvars backup`` left (see :mod:`.backup`)."""
    if database.content_files is not None:
        remove_stale_staging(database.content_files.directory)
    files = database.sweep_content_files()
    with database.unit_of_work(write=True) as uow:
        session = uow.store.contents.session
        removed_contents = session.scalars(
            delete(BinaryContent)
            .where(~BinaryContent.pk.in_(_named_contents()))
            .returning(BinaryContent.file_name)
        ).all()
        uow.store.contents.remove_files_after_commit(removed_contents)
        # Chunks of the contents just removed went with them (ON DELETE CASCADE).
        removed_chunks = len(
            session.scalars(
                delete(BinaryChunk)
                .where(~BinaryChunk.content_pk.in_(select(BinaryContent.pk)))
                .returning(BinaryChunk.seq)
            ).all()
        )
        uow.commit()
    return {
        Kind.ORPHANED_FILE: files,
        Kind.ORPHANED_CONTENT: len(removed_contents),
        Kind.ORPHANED_CHUNKS: removed_chunks,
    }


def _named_contents() -> CompoundSelect[int | None]:
    """Content rows a variable holds, a historic variable (a finished process
    instance's final value), or a task's attachment."""
    return union_all(
        select(Variable.content_pk).where(Variable.content_pk.is_not(None)),
        select(HistoricVariable.content_pk).where(HistoricVariable.content_pk.is_not(None)),
        select(TaskAttachment.content_pk).where(TaskAttachment.content_pk.is_not(None)),
    )


def _contents(uow: UnitOfWork) -> Iterator[_Content]:
    """Every content row of the snapshot, a page at a time: memory stays flat however
    many values there are, and no cursor is left open while a value's chunks are read."""
    after = 0
    while True:
        rows = uow.store.contents.session.execute(
            select(
                BinaryContent.pk,
                BinaryContent.size,
                BinaryContent.digest,
                BinaryContent.file_name,
                Variable.name,
                Scope.kind,
                Scope.external_id,
                HistoricVariable.name,
                HistoricProcessInstance.id,
                TaskAttachment.id,
                TaskAttachment.task_id,
            )
            .outerjoin(Variable, Variable.content_pk == BinaryContent.pk)
            .outerjoin(Scope, Scope.pk == Variable.scope_pk)
            .outerjoin(HistoricVariable, HistoricVariable.content_pk == BinaryContent.pk)
            .outerjoin(
                HistoricProcessInstance,
                HistoricProcessInstance.pk == HistoricVariable.process_instance_pk,
            )
            .outerjoin(TaskAttachment, TaskAttachment.content_pk == BinaryContent.pk)
            .where(BinaryContent.pk > after)
            .order_by(BinaryContent.pk)
            .limit(_PAGE_ROWS)
        ).all()
        if not rows:
            return
        for row in rows:
            # Outer joins: a content row is a variable's, a historic variable's, an
            # attachment's, or nobody's.
            pk, size, digest, file_name = row[0], row[1], row[2], row[3]
            owners: tuple[Any, ...] = tuple(row[4:])
            name, kind, scope_id, past_name, past_id, attachment_id, task_id = owners
            owner = None
            if name is not None:
                owner = f"variable {name!r} of {str(kind).replace('_', ' ')} {scope_id!r}"
            elif past_name is not None:
                owner = f"historic variable {past_name!r} of process instance {past_id!r}"
            elif attachment_id is not None:
                owner = f"attachment {attachment_id!r} of task {task_id!r}"
            yield _Content(pk, size, digest, file_name, owner)
        after = rows[-1].pk


def _verify(uow: UnitOfWork, content: _Content) -> Finding | None:
    """A finding if the bytes are not what was stored; raises ``ContentReplacedError``
    if the content's file is not there."""
    try:
        hasher = content_digest.hasher_for(content.digest)
    except content_digest.UnknownDigestError as error:
        return Finding(Kind.CORRUPT, _described(content), str(error))
    size = 0
    try:
        for chunk in uow.store.contents.content_chunks(content.pk, content.file_name):
            hasher.update(chunk)
            size += len(chunk)
    except ContentReplacedError:
        raise
    except OSError as error:
        # The disk would not give the bytes back (EIO, a permission): damage, told as such.
        return Finding(Kind.UNREADABLE, _described(content), f"{error.strerror or error}")
    actual = content_digest.recomputed(content.digest, hasher)
    if size == content.size and actual == content.digest:
        return None
    return Finding(
        Kind.CORRUPT,
        _described(content),
        f"{size} bytes with {content_digest.described(actual)}, stored as {content.size} "
        f"bytes with {content_digest.described(content.digest)}",
    )


def _described(content: _Content) -> str:
    where = f"file {content.file_name}" if content.file_name else "chunk rows"
    return f"{content.owner or 'no variable'} (content {content.pk}, {where})"


def _loose_chunks(uow: UnitOfWork) -> list[Finding]:
    rows = uow.store.contents.session.execute(
        select(BinaryChunk.content_pk, BinaryChunk.seq).where(
            ~BinaryChunk.content_pk.in_(select(BinaryContent.pk))
        )
    ).all()
    by_content: dict[int, int] = {}
    for content_pk, _seq in rows:
        by_content[content_pk] = by_content.get(content_pk, 0) + 1
    return [
        Finding(Kind.ORPHANED_CHUNKS, f"content {pk}", f"{count} chunk rows of no content")
        for pk, count in sorted(by_content.items())
    ]


def _file_names_by_content(uow: UnitOfWork) -> dict[int, str]:
    rows = uow.store.contents.session.execute(
        select(BinaryContent.pk, BinaryContent.file_name).where(
            BinaryContent.file_name.is_not(None)
        )
    )
    return {pk: name for pk, name in rows if name is not None}
