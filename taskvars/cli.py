"""``taskvars serve`` and ``taskvars db upgrade``."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from taskvars.persistence.database import create_database_engine
from taskvars.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taskvars",
        description="Camunda 7's task-variable REST API on SQLite or PostgreSQL.",
    )
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
        "--max-upload-bytes",
        type=int,
        help="largest request body accepted; larger ones get 413 (default 1 GiB)",
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


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = _settings(arguments)
        # Refuse a database URL we cannot use now, with a sentence rather than a traceback.
        create_database_engine(settings.database_url).dispose()
    except ValueError as error:
        print(f"taskvars: {error}", file=sys.stderr)
        return 2
    if arguments.command == "serve":
        return _serve(settings)
    return _upgrade(settings)


def _settings(arguments: argparse.Namespace) -> Settings:
    return Settings.from_env(
        host=getattr(arguments, "host", None),
        port=getattr(arguments, "port", None),
        database_url=arguments.database_url,
        max_upload_bytes=getattr(arguments, "max_upload_bytes", None),
    )


def _serve(settings: Settings) -> int:
    # connexion imports Starlette's test client, which warns that httpx is deprecated there;
    # the server never uses it.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import uvicorn

    from taskvars.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
    return 0


def _upgrade(settings: Settings) -> int:
    from taskvars.persistence.migrate import upgrade
    from taskvars.persistence.unit_of_work import Database

    database = Database(settings.database_url)
    try:
        upgrade(database.engine)
    finally:
        database.dispose()
    print(f"taskvars: {database.engine.url.render_as_string()} is up to date")
    return 0
