"""A real ``taskvars serve`` process on a free loopback port: the pytest plugin's, which
users' tests start the same way."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taskvars.pytest_plugin import ServerProcess, free_port, serving

Server = ServerProcess
__all__ = ["Server", "free_port", "running_server"]


@contextmanager
def running_server(
    database_url: str,
    log_dir: Path,
    *extra_args: str,
    startup_seconds: float = 30,
    env: dict[str, str] | None = None,
    client_ssl: ssl.SSLContext | None = None,
) -> Iterator[Server]:
    with serving(
        database_url,
        log_dir,
        extra_args,
        env=env,
        startup_seconds=startup_seconds,
        client_ssl=client_ssl,
    ) as server:
        yield server
