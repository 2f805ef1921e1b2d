"""A shell script run in a terminal of its own (a pseudo-terminal), for README commands
that ask a person for a password: ``taskvars hash-password``, ``curl -u``."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path


class Terminal:
    """``bash -euo pipefail -c SCRIPT`` with the terminal as its stdin, stdout and stderr;
    :meth:`expect` waits for text on the screen, :meth:`type` types a line."""

    def __init__(self, script: str, cwd: Path, env: dict[str, str]) -> None:
        self._master, slave = pty.openpty()
        self.screen = ""
        # A session of its own: no controlling terminal, so getpass and curl read the
        # password from stdin (this terminal), with echo off, as from a person's.
        self.process = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=cwd,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)

    def _read(self, seconds: float) -> bool:
        ready, _, _ = select.select([self._master], [], [], seconds)
        if not ready:
            return False
        try:
            data = os.read(self._master, 65536)
        except OSError:  # the script ended and closed the terminal
            return False
        self.screen += data.decode(errors="replace")
        return bool(data)

    def expect(self, text: str, seconds: float = 30) -> None:
        self.expect_any((text,), seconds)

    def expect_any(self, texts: tuple[str, ...], seconds: float = 30) -> str:
        """The first of ``texts`` to be on the screen, once one is."""
        deadline = time.monotonic() + seconds
        while not (seen := [text for text in texts if text in self.screen]):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"none of {texts!r} appeared; the screen:\n{self.screen}"
            if not self._read(min(remaining, 0.5)) and self.process.poll() is not None:
                while self._read(0.1):  # what the script wrote before it ended
                    pass
                assert any(text in self.screen for text in texts), (
                    f"ended without any of {texts!r}:\n{self.screen}"
                )
        return min(seen, key=self.screen.index)

    def type(self, line: str) -> None:
        os.write(self._master, f"{line}\n".encode())

    def finish(self, seconds: float = 60) -> int:
        """Wait for the script to end, reading the screen meanwhile; its exit status."""
        deadline = time.monotonic() + seconds
        while self.process.poll() is None:
            assert time.monotonic() < deadline, f"the script did not end:\n{self.screen}"
            self._read(0.2)
        while self._read(0.1):
            pass
        return self.process.returncode

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        os.close(self._master)
