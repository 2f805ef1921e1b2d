"""How many writes each database commit carried, and how many ran again after losing a
lock: the observers of the group commit and of the database's writes."""

from __future__ import annotations

from taskvars.metrics.instruments import COMMIT_WRITES, WRITE_RETRIES
from taskvars.persistence.unit_of_work import Database


def watch_commits(database: Database) -> None:
    database.group_commit.on_commit = COMMIT_WRITES.observe
    database.on_write_retry = WRITE_RETRIES.inc
