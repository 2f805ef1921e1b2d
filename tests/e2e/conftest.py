from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_client import Api
from tests.e2e.server import Server, running_server


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    with running_server(db_url, tmp_path) as server:
        yield server


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def remote(http: httpx.Client) -> Api:
    return Api(http, base="")
