"""A pytest plugin for testing your own clients against a real taskvars server.

Installed with the package (the ``pytest11`` entry point ``taskvars``) and inert until a
test asks for one of its fixtures: it imports only the standard library and pytest, and
starts nothing by itself. ``-p no:taskvars`` turns it off.

- ``taskvars_server``: a ``taskvars serve`` process of its own for the test, on a free
  loopback port, with a new SQLite database in a temporary directory; yields the base
  URL, ``http://127.0.0.1:PORT/engine-rest``, and stops the process after the test. Each
  test starts empty: nothing one test stores is seen by another.
- ``@pytest.mark.taskvars(seed="scenario.yaml", args=["--strict-params"])`` on a test
  (or module, or class): load a scenario file first (a path relative to the test file),
  and pass more ``taskvars serve`` options; ``stand_ins="stand-ins.toml"`` (relative to
  the test file too) says what stands in for the Java code of the models it deploys.
- ``taskvars_clock``: the clock of the test's ``taskvars_server`` (started with
  ``--test-clock`` then): ``now()``, ``set(instant)``, ``advance("PT1H")`` or
  ``advance(milliseconds=...)``; setting or advancing answers once the jobs (timers)
  due by the new time have run.
- ``taskvars_server_factory``: for servers shared by several tests (a module- or
  session-scoped fixture of your own); ``factory(seed=None, args=())`` starts one and
  returns its base URL; all are stopped at the end of the session.

The server is the one installed beside pytest (``python -m taskvars``), so it is the
version your project pins. :func:`serving` is the same thing for any database URL and
options, as taskvars' own end-to-end tests use it.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

MARKER = "taskvars"
CLOCK_FIXTURE = "taskvars_clock"
STARTUP_SECONDS = 60
# What uvicorn logs once its socket is bound, and when another process has the port.
LISTENING = b"Uvicorn running on "
ADDRESS_IN_USE = "address already in use"
PORT_ATTEMPTS = 5  # a new free port after a lost race for one
ServerFactory = Callable[..., str]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(seed=None, args=(), stand_ins=None): how taskvars_server starts: a "
        "scenario file to load first and a stand-ins file (both relative to the test "
        "file), and more `taskvars serve` options",
    )


@pytest.fixture
def taskvars_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real taskvars server for this test alone, with an empty SQLite database (or
    the marker's scenario); its base URL, ``http://127.0.0.1:PORT/engine-rest``."""
    marker = request.node.get_closest_marker(MARKER)
    seed = marker.kwargs.get("seed") if marker else None
    args = tuple(marker.kwargs.get("args", ())) if marker else ()
    stand_ins = marker.kwargs.get("stand_ins") if marker else None
    if stand_ins:
        args = ("--stand-ins", str(Path(request.path).parent / stand_ins), *args)
    if CLOCK_FIXTURE in request.fixturenames and "--test-clock" not in args:
        args = (*args, "--test-clock")
    seed_path = Path(request.path).parent / seed if seed else None
    with _running_server(tmp_path_factory.mktemp("taskvars"), seed_path, args) as url:
        yield url


class TestClock:
    """The clock of a server started with ``--test-clock`` (``GET``/``PUT
    /test-clock``, ``POST /test-clock/advance``). Setting or advancing it answers once
    the jobs due by the new time ran or failed; each returns whether they all did."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def now(self) -> str:
        """The server's time, in Camunda's format."""
        time_text = str(self._call("GET", "/test-clock")["time"])
        return time_text

    def set(self, instant: str | None, *, wait_seconds: float = 10) -> bool:
        """``instant`` in Camunda's format or ISO 8601; ``None``: the system's clock."""
        body = {"time": instant, "waitSeconds": wait_seconds}
        return bool(self._call("PUT", "/test-clock", body)["jobsSettled"])

    def advance(
        self,
        duration: str | None = None,
        *,
        milliseconds: int | None = None,
        wait_seconds: float = 10,
    ) -> bool:
        """By an ISO 8601 ``duration`` (``"PT5M"``) or by ``milliseconds``."""
        body: dict[str, object] = {"waitSeconds": wait_seconds}
        if duration is not None:
            body["duration"] = duration
        if milliseconds is not None:
            body["milliseconds"] = milliseconds
        return bool(self._call("POST", "/test-clock/advance", body)["jobsSettled"])

    def _call(self, method: str, path: str, body: object = None) -> dict[str, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        with urllib.request.urlopen(request, timeout=330) as response:
            answer: dict[str, object] = json.loads(response.read())
            return answer


@pytest.fixture
def taskvars_clock(taskvars_server: str) -> TestClock:
    """The clock of this test's ``taskvars_server``, which then runs with
    ``--test-clock``: ``taskvars_clock.advance("PT1H")`` fires the timers due within the
    hour before it returns."""
    return TestClock(taskvars_server)


@pytest.fixture(scope="session")
def taskvars_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """``factory(seed=None, args=())`` starts a server, with a database of its own, and
    returns its base URL; every one is stopped when the session ends."""
    with ExitStack() as servers:

        def start(seed: str | os.PathLike[str] | None = None, args: Sequence[str] = ()) -> str:
            directory = tmp_path_factory.mktemp("taskvars")
            seed_path = Path(seed) if seed is not None else None
            return servers.enter_context(_running_server(directory, seed_path, tuple(args)))

        yield start


@dataclass(frozen=True)
class ServerProcess:
    """A running ``taskvars serve``: where it answers, the process, and its output."""

    base_url: str  # http://127.0.0.1:PORT/engine-rest
    process: subprocess.Popen[bytes]
    log: Path


class _PortTakenError(RuntimeError):
    """Another process bound the server's port first."""


@contextmanager
def serving(
    database_url: str,
    log_dir: Path,
    args: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    startup_seconds: float = STARTUP_SECONDS,
    client_ssl: ssl.SSLContext | None = None,
) -> Iterator[ServerProcess]:
    """``taskvars serve`` on a free loopback port until the block ends; its output goes
    to ``log_dir/server-PORT.log``. ``TASKVARS_*`` variables of this process are not
    passed on (the arguments say everything); ``env`` adds variables. ``client_ssl``: the
    server speaks HTTPS (``args`` name its certificate), trusted by this context."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TASKVARS_")}
    environment.update(env or {})
    scheme = "https" if client_ssl is not None else "http"
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        command = [sys.executable, "-m", "taskvars", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--database-url", database_url, *args]
        log = log_dir / f"server-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, env=environment
            )
        server = ServerProcess(f"{scheme}://127.0.0.1:{port}/engine-rest", process, log)
        try:
            _wait_until_serving(
                server, startup_seconds, client_ssl, says_listening=_logs_info(args, environment)
            )
        except _PortTakenError:
            if attempt == PORT_ATTEMPTS - 1:
                raise
            continue
        except BaseException:
            _stop(process)
            raise
        break
    try:
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def _running_server(directory: Path, seed: Path | None, args: tuple[str, ...]) -> Iterator[str]:
    database_url = f"sqlite:///{directory / 'taskvars.db'}"
    seeding = ("--seed", str(seed)) if seed is not None else ()
    with serving(database_url, directory, (*seeding, *args)) as server:
        yield server.base_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(
    server: ServerProcess,
    seconds: float,
    client_ssl: ssl.SSLContext | None = None,
    *,
    says_listening: bool = True,
) -> None:
    """Returns once the server answers on its port and (``says_listening``: unless its
    log level hides the line) has said that it listens there: between :func:`free_port`
    and the server's bind, another process may take the port (another test's server,
    under pytest-xdist), and what answers there is not ours."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = server.log.read_text(errors="replace")
            if ADDRESS_IN_USE in output:
                raise _PortTakenError(output)
            raise RuntimeError(f"taskvars serve exited with {server.process.returncode}:\n{output}")
        if _answers(server, client_ssl) and (
            not says_listening or LISTENING in server.log.read_bytes()
        ):
            return
        time.sleep(0.05)
    server.process.kill()
    server.process.wait()
    output = server.log.read_text(errors="replace")
    raise RuntimeError(f"taskvars serve did not answer in {seconds} s:\n{output}")


def _logs_info(args: Sequence[str], environment: Mapping[str, str]) -> bool:
    """Whether the server logs at info level (uvicorn's line saying it listens)."""
    level = environment.get("TASKVARS_LOG_LEVEL", "info")
    for index, arg in enumerate(args):
        if arg == "--log-level" and index + 1 < len(args):
            level = args[index + 1]
        elif arg.startswith("--log-level="):
            level = arg.split("=", 1)[1]
    return level.lower() in ("debug", "info")


def _answers(server: ServerProcess, client_ssl: ssl.SSLContext | None) -> bool:
    try:
        with urllib.request.urlopen(f"{server.base_url}/health", timeout=1, context=client_ssl):
            return True
    except urllib.error.HTTPError as error:
        return error.code == 401  # serving, behind --auth-file
    except OSError:  # not listening yet
        return False
