"""``taskvars`` on the command line: clear refusals, and ``db upgrade`` on real databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from taskvars.cli import main


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
