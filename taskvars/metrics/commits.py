"""How many writes each database commit carried: the group commit's observer."""

from __future__ import annotations

from taskvars.metrics.instruments import COMMIT_WRITES
from taskvars.persistence.group_commit import GroupCommit


def watch_commits(group: GroupCommit) -> None:
    group.on_commit = COMMIT_WRITES.observe
