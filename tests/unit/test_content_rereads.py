"""Reads whose content file was replaced under their snapshot run again."""

from __future__ import annotations

import pytest

from taskvars.errors import OptimisticLockingError
from taskvars.handlers.variables import CONTENT_READ_ATTEMPTS, reading_current_content
from taskvars.persistence.content_files import ContentReplacedError


def test_a_read_runs_again_after_its_content_was_replaced() -> None:
    attempts: list[int] = []

    @reading_current_content
    def read(value: str) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ContentReplacedError("gone")
        return value

    assert read("newer") == "newer"
    assert len(attempts) == 2


def test_a_value_replaced_under_every_attempt_is_a_conflict() -> None:
    attempts: list[int] = []

    @reading_current_content
    def read() -> None:
        attempts.append(1)
        raise ContentReplacedError("gone")

    with pytest.raises(OptimisticLockingError):
        read()
    assert len(attempts) == CONTENT_READ_ATTEMPTS
