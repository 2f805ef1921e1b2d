"""``taskvars`` on the command line: clear refusals, and ``db upgrade`` on real databases."""

from __future__ import annotations

import importlib.metadata
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from taskvars.cli import banner, main
from taskvars.credentials import Credentials
from taskvars.settings import Settings


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


def test_version_is_the_installed_packages(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"taskvars {importlib.metadata.version('taskvars')}\n"


def test_a_sqlite_database_in_a_missing_directory_is_refused_and_nothing_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no" / "such"
    for argv in (["db", "upgrade"], ["serve"], ["seed", str(tmp_path / "any.yaml")]):
        assert main([*argv, "--database-url", f"sqlite:///{missing / 'x.db'}"]) == 2
        error = capsys.readouterr().err
        assert (
            error == f"taskvars: the directory of the SQLite database does not exist: {missing}\n"
        )
    assert list(tmp_path.iterdir()) == []


def test_the_banner_says_where_the_api_and_the_data_are(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'tasks.db'}", port=9000)
    assert banner(settings) == [
        f"taskvars {importlib.metadata.version('taskvars')}: Camunda's REST API at "
        "http://127.0.0.1:9000/engine-rest",
        "  docs: http://127.0.0.1:9000/engine-rest/docs/ (Swagger UI)",
        "  spec: http://127.0.0.1:9000/engine-rest/openapi.json (and /openapi.yaml)",
        f"  database: sqlite:///{tmp_path / 'tasks.db'}",
        f"  content files: {tmp_path / 'tasks.db-content'}",
    ]
    on_postgres = Settings(database_url="postgresql://ann:secret@db.example/tasks", workers=4)
    lines = banner(on_postgres)
    assert lines[3] == "  database: postgresql://ann:***@db.example/tasks"
    assert lines[4] == "  4 server processes"
    assert "secret" not in "\n".join(lines)


# Starlette's test client warns when httpx2 is missing, as on a plain `pip install .`
# (httpx2 is only in the test extra): this hides the package from a fresh interpreter.
WITHOUT_HTTPX2 = "import sys; sys.modules['httpx2'] = None; from taskvars.cli import main; "


@pytest.mark.parametrize("command", ["--help", "seed --help", "seed", "db upgrade"])
def test_no_command_prints_a_warning_the_user_did_not_cause(tmp_path: Path, command: str) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("tasks:\n  - id: t1\n")
    argv = command.split()
    if "--help" not in argv:
        argv += [str(seed)] if argv == ["seed"] else []
        argv += ["--database-url", f"sqlite:///{tmp_path / 't.db'}"]
    # Python's own warning filters, as a user's shell has them
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    finished = subprocess.run(
        [sys.executable, "-c", f"{WITHOUT_HTTPX2}sys.exit(main({argv!r}))"],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
