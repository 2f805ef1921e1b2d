"""A README block that ends in ``taskvars serve``, run on a free port (``TASKVARS_PORT``)
until the test is done with it.

Between :func:`free_port` and the server's bind another process may take the port (another
test's server under pytest-xdist, or a connection's local port), and what then answers
there is not this block's server. So, as the pytest plugin's ``serving`` does, the block
counts as serving once its own output says uvicorn listens; one whose server lost the
port is run again on another.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from taskvars.pytest_plugin import ADDRESS_IN_USE, LISTENING, PORT_ATTEMPTS, free_port


@contextmanager
def serving_block(
    script: str,
    cwd: Path,
    env: Mapping[str, str],
    *,
    startup_seconds: float = 60,
    undo: Callable[[], None] = lambda: None,
) -> Iterator[int]:
    """``bash -euo pipefail -c script`` in ``cwd`` with ``env`` and ``TASKVARS_PORT``, its
    output in ``cwd/serve-PORT.log``; yields the port once the server listens on it.
    ``undo``: removes what the block made before its server, so that it can run again."""
    for attempt in range(PORT_ATTEMPTS):
        if attempt:
            undo()
        port = free_port()
        log = cwd / f"serve-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=cwd,
                env={**env, "TASKVARS_PORT": str(port)},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: whatever the block starts
            )
        try:
            listening = wait_until_listening(process, log, startup_seconds)
            if not listening and attempt < PORT_ATTEMPTS - 1:
                continue
            assert listening, f"every port tried was taken:\n{log.read_text(errors='replace')}"
            yield port
            return
        finally:
            stop_group(process)


def wait_until_listening(process: subprocess.Popen[bytes], log: Path, seconds: float) -> bool:
    """True once the log says the server listens; False if the block ended because its
    port was taken; fails on any other end, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while LISTENING not in log.read_bytes():
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            if ADDRESS_IN_USE in output:
                return False
            raise AssertionError(f"the block ended with {process.returncode}:\n{output[-5000:]}")
        assert time.monotonic() < deadline, f"not serving after {seconds} s:\n{log.read_text()}"
        time.sleep(0.1)
    return True


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the block and whatever it started (its process group)."""
    with contextlib.suppress(ProcessLookupError):  # the whole group has ended
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)
