from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.api_client import Api
from tests.e2e.browser import chromium
from tests.e2e.server import Server, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def session_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Server]]:
    """A real server process per database, started when a test first asks for it.
    Servers keep nothing but the database, which is emptied before each test, so one
    serves every test of the session; one that died is started again."""
    yield from _servers_by_database(tmp_path_factory)


@pytest.fixture(scope="session")
def second_session_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], Server]]:
    """Another process per database, beside ``session_server``'s (PostgreSQL: two
    processes over one database)."""
    yield from _servers_by_database(tmp_path_factory)


def _servers_by_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], Server]]:
    servers: dict[str, tuple[Server, ExitStack]] = {}

    def serving(db_url: str) -> Server:
        if db_url in servers and servers[db_url][0].process.poll() is None:
            return servers[db_url][0]
        stack = ExitStack()
        # No job executor: these processes outlive the test that started them, and the
        # database they serve is emptied and reused by the tests that follow, whose jobs
        # are theirs to run (a test that wants an executor starts a server of its own).
        server = stack.enter_context(
            running_server(db_url, tmp_path_factory.mktemp("server"), "--no-job-executor")
        )
        servers[db_url] = (server, stack)
        return server

    yield serving
    for _, stack in servers.values():
        stack.close()


@pytest.fixture
def server(db_url: str, session_server: Callable[[str], Server]) -> Server:
    return session_server(db_url)


@pytest.fixture
def servers_over_one_database(
    db_url: str,
    database_kind: str,
    session_server: Callable[[str], Server],
    second_session_server: Callable[[str], Server],
) -> list[Server]:
    """One server process on SQLite; two over the one database on PostgreSQL."""
    if database_kind == "sqlite":
        return [session_server(db_url)]
    return [session_server(db_url), second_session_server(db_url)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the machine's packages (tests/e2e/browser.py), one per test
    module; a module that needs other flags defines its own."""
    with chromium() as browser:
        yield browser


@pytest.fixture(autouse=True)
def _pages_closed_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test's pages closed when it ends: left open in the module's browser, a page
    would go on polling (the task list refreshes itself) a server that is gone, or the
    next test's on a reused port."""
    yield
    if "browser" in request.fixturenames:
        browser: Browser = request.getfixturevalue("browser")
        for context in browser.contexts:
            context.close()


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def remote(http: httpx.Client) -> Api:
    return Api(http, base="")
