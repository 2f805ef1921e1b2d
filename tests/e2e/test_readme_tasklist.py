"""README.md's "Task list" commands, run as written against a real server behind an auth
file whose users name their groups: curl asks for the password, as it asks a person."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from tests import readme
from tests.e2e.server import Server, running_server
from tests.e2e.terminal import Terminal

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    cheap = bcrypt.gensalt(rounds=4)  # fast for tests
    users = tmp_path / "users"
    users.write_text(
        f"ann:{bcrypt.hashpw(PASSWORD.encode(), cheap).decode()}:accounting,sales\n"
        f"bob:{bcrypt.hashpw(b'other', cheap).decode()}:accounting\n"
    )
    database = f"sqlite:///{tmp_path / 'db'}"
    with running_server(database, tmp_path, "--auth-file", str(users)) as server:
        yield server


def test_the_identity_commands_name_the_signed_in_user_and_their_groups(
    server: Server, tmp_path: Path
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("the README's commands need curl")
    commands = Terminal(
        readme.snippet("tasklist-identity"), tmp_path, {**os.environ, "B": server.base_url}
    )
    try:
        commands.expect("Enter host password for user 'ann':")
        commands.type(PASSWORD)
        assert commands.finish() == 0
        screen = commands.screen
    finally:
        commands.close()
    # The two answers, one after the other on the screen, after the password prompt.
    answers = screen[screen.index("{") :].strip()
    current, end = json.JSONDecoder().raw_decode(answers)
    groups = json.loads(answers[end:])
    assert current["authenticatedUser"] == "ann"
    assert current["authenticated"] is True
    assert [group["id"] for group in groups["groups"]] == ["accounting", "sales"]
    assert [user["id"] for user in groups["groupUsers"]] == ["bob"]
