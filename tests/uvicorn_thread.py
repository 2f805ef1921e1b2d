"""A real uvicorn server with taskvars's HTTP protocol, in a thread of the test's process:
for tests that need the protocol's own behaviour on a real socket and want to reach into
the server (its state, a wrapped function) as well."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from taskvars.web.framework import BufferedHttpProtocol

PATIENCE_SECONDS = 20.0


@dataclass
class ServerThread:
    server: uvicorn.Server
    thread: threading.Thread
    port: int


@contextmanager
def uvicorn_in_thread(app: Any, **config: Any) -> Iterator[ServerThread]:
    """``app`` served on a free port of 127.0.0.1 until the block ends (``config``: more
    of uvicorn.Config's settings)."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            ws="none",
            http=BufferedHttpProtocol,  # as taskvars serve runs uvicorn
            **config,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield ServerThread(server, thread, server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(PATIENCE_SECONDS)
