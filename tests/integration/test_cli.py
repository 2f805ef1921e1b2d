"""``taskvars`` on the command line: clear refusals, and ``db upgrade`` on real databases."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from taskvars.cli import main
from taskvars.credentials import Credentials


def test_db_upgrade_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert "is up to date" in capsys.readouterr().out
    engine = create_engine(url)
    assert {"scope", "variable", "binary_chunk"} <= set(inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--database-url", "mysql://root@localhost/x"], "unsupported database 'mysql'"),
        (["db", "upgrade", "--database-url", "not a url"], "not a database URL"),
        (["serve", "--max-upload-bytes", "0"], "max_upload_bytes must be a positive number"),
    ],
)
def test_bad_settings_are_refused_with_a_sentence(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def test_environment_is_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TASKVARS_PORT", "eighty")
    assert main(["serve"]) == 2
    assert "TASKVARS_PORT must be a whole number, got 'eighty'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ann:plaintext\n", "line 1: expected user:bcrypt-hash"),
        ("# nobody\n", "names no user"),
        ("ann:$2b$04$abc\nann:$2b$04$abc\n", "line 2: user 'ann' appears twice"),
    ],
)
def test_an_unusable_auth_file_is_refused_with_a_sentence(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    auth_file = tmp_path / "users"
    auth_file.write_text(content)
    assert main(["serve", "--auth-file", str(auth_file)]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error


def test_a_missing_auth_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--auth-file", str(tmp_path / "absent")]) == 2
    assert "cannot read the auth file" in capsys.readouterr().err


def test_hash_password_prints_a_hash_the_auth_file_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert main(["hash-password"]) == 0
    password_hash = capsys.readouterr().out.strip()
    auth_file = tmp_path / "users"
    auth_file.write_text(f"ann:{password_hash}\n")
    credentials = Credentials.from_file(auth_file)
    assert credentials.verify("ann", "correct horse")
    assert credentials.verify("ann", "correct horse")  # remembered, same answer
    assert not credentials.verify("ann", "correct horse ")
    assert not credentials.verify("bob", "correct horse")
