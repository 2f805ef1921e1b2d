"""``taskvars serve``, ``taskvars db upgrade``, ``taskvars check-model`` and the other
commands."""

from __future__ import annotations

import argparse
import getpass
import importlib.metadata
import logging
import logging.config
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from taskvars.check_model_command import check_model_files
from taskvars.credentials import Credentials, hash_password
from taskvars.log_config import BANNER_LOGGER
from taskvars.persistence.database import create_database_engine
from taskvars.services.seeding import SeedError
from taskvars.settings import LOG_FORMATS, LOG_LEVELS, Settings
from taskvars.tls import check_certificate, is_loopback


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taskvars",
        description="Camunda 7's task-variable REST API on SQLite or PostgreSQL.",
    )
    parser.add_argument("--version", action="version", version=f"taskvars {version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="apply migrations and serve the API under /engine-rest",
        description="Every option may also be set as TASKVARS_<OPTION> in the environment.",
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    _add_database_url(serve)
    serve.add_argument(
        "--workers", type=int, help="server processes sharing the database (default 1)"
    )
    serve.add_argument(
        "--max-upload-bytes",
        type=int,
        help="largest request body accepted; larger ones get 413 (default 1 GiB)",
    )

    serve.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        help="info (the default) logs every request; warning logs only problems",
    )
    serve.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        help="text lines (the default), or json: one JSON object a line",
    )
    serve.add_argument(
        "--client-timeout-seconds",
        type=int,
        help="how long a stalled client may keep a request waiting (default 60)",
    )
    serve.add_argument(
        "--auth-file",
        metavar="FILE",
        help="require HTTP Basic authentication; FILE holds user:bcrypt-hash lines",
    )
    serve.add_argument(
        "--ssl-certfile", metavar="FILE", help="serve HTTPS with this PEM certificate (chain)"
    )
    serve.add_argument(
        "--ssl-keyfile", metavar="FILE", help="the private key of --ssl-certfile (PEM)"
    )
    serve.add_argument(
        "--strict-params",
        action="store_true",
        default=None,
        help="refuse query parameters an operation does not declare (default: ignore them, "
        "as Camunda does)",
    )
    serve.add_argument(
        "--no-history",
        action="store_true",
        default=None,
        help="keep no history of the process instances deployed models run",
    )
    serve.add_argument(
        "--no-fast-path",
        action="store_true",
        default=None,
        help="serve the hot operations (binary variable uploads and downloads) through the "
        "full request pipeline too",
    )
    serve.add_argument(
        "--no-job-executor",
        action="store_true",
        default=None,
        help="run no job executor in this server (timers wait for another server's)",
    )
    serve.add_argument(
        "--job-lock-millis",
        type=int,
        help="how long an executor holds the jobs it took before another may take them "
        "(default 300000)",
    )
    serve.add_argument(
        "--test-clock",
        action="store_true",
        default=None,
        help="let clients read, set and advance the server's clock (/test-clock; tests only)",
    )
    serve.add_argument(
        "--seed", type=Path, metavar="FILE", help="load this scenario file before serving"
    )
    serve.add_argument(
        "--stand-ins",
        metavar="FILE",
        help="what stands in for the Java classes, expressions and scripts models call "
        "(TOML or YAML; README, 'Stand-ins for Java code')",
    )

    seed = commands.add_parser(
        "seed",
        help="load process instances and tasks from a JSON or YAML file",
        description="The file holds processInstances (as POST /process-instance/create) and "
        "tasks (as POST /task/create). A file with any error loads nothing.",
    )
    seed.add_argument("file", type=Path, metavar="FILE")
    _add_database_url(seed)

    commands.add_parser(
        "hash-password",
        help="print a bcrypt hash for an auth file line (reads the password from stdin)",
    )

    backup = commands.add_parser(
        "backup",
        help="copy an SQLite database and its content files, consistently, while it serves",
        description="DEST is a new directory; the copy is served as it is with "
        "taskvars serve --database-url sqlite:///DEST/<database file>. For PostgreSQL use "
        "pg_dump.",
    )
    backup.add_argument("destination", type=Path, metavar="DEST")
    _add_database_url(backup)

    check = commands.add_parser(
        "check",
        help="read every binary value back and compare its digest; list orphans",
        description="Exits 1 when a value is damaged or missing, or anything is orphaned "
        "(and not repaired); safe while servers use the database.",
    )
    check.add_argument(
        "--repair",
        action="store_true",
        help="remove orphaned files and rows (never a value, damaged or not)",
    )
    _add_database_url(check)

    check_model = commands.add_parser(
        "check-model",
        help="say whether BPMN files would deploy, naming every problem (no server needed)",
        description="Exits 0 when every file would deploy, 1 when one would be refused, "
        "2 when a file cannot be read.",
    )
    check_model.add_argument("files", type=Path, nargs="+", metavar="FILE")
    check_model.add_argument(
        "--stand-ins",
        type=Path,
        metavar="FILE",
        help="the stand-ins file serve would use: says which code each stand-in covers",
    )

    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    upgrade = database_commands.add_parser("upgrade", help="apply all pending migrations")
    _add_database_url(upgrade)
    return parser


def _add_database_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL, sqlite:///PATH or postgresql://... (default sqlite:///taskvars.db)",
    )


def version() -> str:
    return importlib.metadata.version("taskvars")


def main(argv: Sequence[str] | None = None) -> int:
    # connexion imports Starlette's test client, which warns when httpx2 is not installed
    # (it is only in the test extra); no command uses the test client, and a warning the
    # user did not cause is noise.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    arguments = _parser().parse_args(argv)
    if arguments.command == "hash-password":
        return _hash_password()
    if arguments.command == "check-model":
        return check_model_files(arguments.files, stand_ins_file=arguments.stand_ins)
    if arguments.command == "backup":
        try:
            database_url = _settings(arguments).database_url
        except ValueError as error:
            print(f"taskvars: {error}", file=sys.stderr)
            return 2
        return _backup(database_url, arguments.destination)
    try:
        settings = _settings(arguments)
        # Refuse a database URL or auth file we cannot use now, with a sentence rather
        # than a traceback.
        create_database_engine(settings.database_url).dispose()
        if settings.auth_file:
            Credentials.from_file(Path(settings.auth_file))
        if settings.stand_ins:
            from taskvars.engine.stand_ins import load as load_stand_ins

            load_stand_ins(settings.stand_ins)
        if settings.tls:
            check_certificate(settings.ssl_certfile, settings.ssl_keyfile)
    except ValueError as error:
        print(f"taskvars: {error}", file=sys.stderr)
        return 2
    try:
        if arguments.command == "seed" or getattr(arguments, "seed", None):
            _seed(settings, arguments.file if arguments.command == "seed" else arguments.seed)
    except SeedError as error:
        print(f"taskvars: {error}", file=sys.stderr)
        return 2
    if arguments.command == "serve":
        return _serve(settings)
    if arguments.command == "db":
        return _upgrade(settings)
    if arguments.command == "check":
        return _check(settings, repair=arguments.repair)
    return 0


def _settings(arguments: argparse.Namespace) -> Settings:
    return Settings.from_env(
        host=getattr(arguments, "host", None),
        port=getattr(arguments, "port", None),
        database_url=arguments.database_url,
        max_upload_bytes=getattr(arguments, "max_upload_bytes", None),
        workers=getattr(arguments, "workers", None),
        log_level=getattr(arguments, "log_level", None),
        log_format=getattr(arguments, "log_format", None),
        auth_file=getattr(arguments, "auth_file", None),
        client_timeout_seconds=getattr(arguments, "client_timeout_seconds", None),
        strict_params=getattr(arguments, "strict_params", None),
        no_history=getattr(arguments, "no_history", None),
        ssl_certfile=getattr(arguments, "ssl_certfile", None),
        ssl_keyfile=getattr(arguments, "ssl_keyfile", None),
        stand_ins=getattr(arguments, "stand_ins", None),
        no_job_executor=getattr(arguments, "no_job_executor", None),
        job_lock_millis=getattr(arguments, "job_lock_millis", None),
        test_clock=getattr(arguments, "test_clock", None),
        no_fast_path=getattr(arguments, "no_fast_path", None),
    )


def banner(settings: Settings) -> list[str]:
    """What ``serve`` says before it starts: where the API is, what it serves from."""
    from sqlalchemy.engine import make_url

    from taskvars.app import BASE_PATH, DOCS_PATH
    from taskvars.persistence.database import content_files_for

    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    scheme = "https" if settings.tls else "http"
    base = f"{scheme}://{host}:{settings.port}{BASE_PATH}"
    lines = [
        f"taskvars {version()}: Camunda's REST API at {base}",
        f"  docs: {base}{DOCS_PATH}/ (Swagger UI)",
        f"  spec: {base}/openapi.json (and /openapi.yaml)",
        f"  database: {make_url(settings.database_url).render_as_string(hide_password=True)}",
    ]
    content_files = content_files_for(settings.database_url)
    if content_files is not None:
        lines.append(f"  content files: {content_files.directory}")
    if settings.workers > 1:
        lines.append(f"  {settings.workers} server processes")
    if settings.test_clock:
        lines.append("  test clock: on (/test-clock moves this server's time; tests only)")
    if settings.no_job_executor:
        lines.append("  job executor: off")
    if settings.stand_ins:
        lines.append(f"  stand-ins for Java code: {settings.stand_ins}")
    if settings.auth_file and not settings.tls and not is_loopback(settings.host):
        lines.append(
            f"  WARNING: --auth-file without TLS on {settings.host}: passwords cross the "
            "network readable by anyone on the way; add --ssl-certfile and --ssl-keyfile"
        )
    return lines


def _serve(settings: Settings) -> int:
    import uvicorn

    from taskvars.app import create_app
    from taskvars.log_config import logging_config
    from taskvars.metrics import multiprocess
    from taskvars.web.framework import BufferedHttpProtocol

    def run(app: Any, **options: Any) -> None:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            log_config=log_config,
            access_log=False,  # taskvars.web.request_log writes one line per request
            timeout_keep_alive=settings.keep_alive_seconds,
            timeout_graceful_shutdown=settings.client_timeout_seconds,
            # uvicorn calls it as it would a protocol class; its annotation wants one.
            http=BufferedHttpProtocol,  # type: ignore[arg-type]
            ssl_certfile=settings.ssl_certfile or None,
            ssl_keyfile=settings.ssl_keyfile or None,
            **options,
        )

    log_config = logging_config(settings.log_format, settings.log_level)
    if settings.log_format == "json":
        # Every line a JSON object, the banner's too, for whatever collects the log.
        logging.config.dictConfig(log_config)
        for line in banner(settings):
            logging.getLogger(BANNER_LOGGER).info(line.strip())
    else:
        print("\n".join(banner(settings)), file=sys.stderr, flush=True)
    if settings.workers == 1:
        run(create_app(settings))
        return 0
    # Migrate once here, so that the workers starting together find the schema ready.
    _upgrade(settings)
    os.environ.update(settings.to_env())
    with multiprocess.shared_directory():
        run("taskvars.app:app_from_environment", factory=True, workers=settings.workers)
    return 0


def _hash_password() -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("taskvars: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("taskvars: an empty password is not allowed", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


def _seed(settings: Settings, path: Path) -> None:
    """Migrate, then load ``path`` in one transaction (nothing of it when it fails)."""
    from taskvars.persistence.migrate import upgrade
    from taskvars.persistence.unit_of_work import Database
    from taskvars.resources import load_spec
    from taskvars.seed_files import read_seed_file
    from taskvars.services.seeding import load_seed

    document = read_seed_file(path, load_spec())
    database = Database(settings.database_url, chunk_bytes=settings.chunk_bytes)
    try:
        upgrade(database.engine)
        with database.unit_of_work(write=True) as uow:
            summary = load_seed(uow, path, document)
    finally:
        database.dispose()
    print(f"taskvars: loaded {summary} from {path}")


def _upgrade(settings: Settings) -> int:
    from taskvars.persistence.migrate import upgrade
    from taskvars.persistence.unit_of_work import Database

    database = Database(settings.database_url)
    try:
        upgrade(database.engine)
    finally:
        database.dispose()
    print(f"taskvars: {database.engine.url.render_as_string(hide_password=True)} is up to date")
    return 0


def _backup(database_url: str, destination: Path) -> int:
    from taskvars.persistence.backup import BackupError, backup

    try:
        summary = backup(database_url, destination)
    except BackupError as error:
        print(f"taskvars: {error}", file=sys.stderr)
        return 2
    print(
        f"taskvars: backed up {summary.database} with {summary.content_files} content files "
        f"({summary.content_bytes} bytes); serve it with: "
        f"taskvars serve --database-url sqlite:///{summary.database}"
    )
    return 0


def _check(settings: Settings, *, repair: bool) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from taskvars.persistence import integrity
    from taskvars.persistence.unit_of_work import Database
    from taskvars.persistence.values import DatabaseUnreachableError

    refusal = _sqlite_refusal(settings.database_url)
    if refusal:
        print(f"taskvars: {refusal}", file=sys.stderr)
        return 2
    database = Database(settings.database_url, chunk_bytes=settings.chunk_bytes)
    try:
        refusal = _schema_refusal(database.check_schema())
        if refusal:
            print(f"taskvars: {refusal}", file=sys.stderr)
            return 2
        report = integrity.check(database)
        for finding in report.findings:
            print(f"  {finding}")
        print(
            f"taskvars: checked {report.values} binary values ({report.bytes} bytes): "
            f"{len(report.damage)} damaged or missing, {len(report.orphans)} orphaned"
        )
        if repair and report.orphans:
            removed = integrity.repair(database)
            said = ", ".join(f"{kind}: {count}" for kind, count in removed.items())
            print(f"taskvars: removed {said}")
            return 1 if report.damage else 0
        return 1 if report.findings else 0
    except (DatabaseUnreachableError, SQLAlchemyError, OSError) as error:
        # The database went away, or the disk failed, during the check: not a finding.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"taskvars: the check could not finish: {reason}", file=sys.stderr)
        return 2
    finally:
        database.dispose()


def _schema_refusal(schema: str) -> str | None:
    from taskvars.persistence.migrate import latest_version

    if schema == latest_version():
        return None
    return (
        f"the database's schema is version {schema}, this taskvars {version()} knows "
        f"{latest_version()}: run taskvars db upgrade, or check it with the taskvars that "
        "wrote it"
    )


def _sqlite_refusal(database_url: str) -> str | None:
    """Why the SQLite file ``database_url`` names cannot be checked, found without
    changing anything (connecting to a missing file would create it, and opening a
    database of another version as the server does would set it up); ``None`` when it
    can be, or when the URL is not an SQLite file."""
    import sqlite3

    from sqlalchemy.engine import make_url

    from taskvars.persistence.content_files import content_directory
    from taskvars.persistence.migrate import sqlite_schema_version

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or content_directory(url.database) is None:
        return None
    assert url.database is not None
    path = Path(url.database).resolve()
    if not path.is_file():
        return f"there is no database at {path}"
    try:
        schema = sqlite_schema_version(path)
    except sqlite3.Error as error:
        return f"{path} cannot be read as an SQLite database: {error}"
    if schema is None:
        return f"{path} is not a taskvars database: it has no schema version"
    return _schema_refusal(schema)
