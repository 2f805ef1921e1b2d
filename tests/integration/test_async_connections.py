"""The fast path's PostgreSQL connections (taskvars.persistence.async_postgres): at most
CONNECTIONS at once; a request past them waits for one to come back, and fails with the
pool's timeout if none does in time. On a real server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from taskvars.persistence import async_postgres
from taskvars.persistence.async_postgres import CONNECTIONS, AsyncConnections
from taskvars.persistence.database import postgres_connect_arguments

pytestmark = pytest.mark.postgres


@pytest.fixture
def connections(db_url: str, database_kind: str) -> AsyncConnections:
    if database_kind != "postgresql":
        pytest.skip("connections of PostgreSQL's")
    return AsyncConnections(postgres_connect_arguments(make_url(db_url)))


async def hold_all(connections: AsyncConnections, release: asyncio.Event) -> list[Any]:
    """The tasks holding every connection until ``release``."""
    held: list[int] = []
    ready = asyncio.Event()

    async def hold() -> None:
        async with connections.connection() as connection:
            cursor = await connection.execute("SELECT pg_backend_pid()")
            held.append((await cursor.fetchone())[0])
            if len(held) == CONNECTIONS:
                ready.set()
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(CONNECTIONS)]
    await ready.wait()
    return tasks


def test_a_request_past_the_limit_waits_for_a_connection_to_come_back(
    connections: AsyncConnections,
) -> None:
    async def scenario() -> int:
        release = asyncio.Event()
        holders = await hold_all(connections, release)

        async def one_more() -> int:
            async with connections.connection() as connection:
                cursor = await connection.execute("SELECT 1")
                return int((await cursor.fetchone())[0])

        waiting = asyncio.create_task(one_more())
        await asyncio.sleep(0.1)
        assert not waiting.done()
        release.set()
        await asyncio.gather(*holders)
        answer = await waiting
        await connections.close()
        return answer

    assert asyncio.run(asyncio.wait_for(scenario(), 60)) == 1


def test_a_request_that_gets_no_connection_in_time_fails_with_the_pools_timeout(
    connections: AsyncConnections, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(async_postgres, "WAIT_SECONDS", 0.05)

    async def scenario() -> None:
        release = asyncio.Event()
        holders = await hold_all(connections, release)
        try:
            with pytest.raises(PoolTimeoutError):
                async with connections.connection():
                    pass
        finally:
            release.set()
            await asyncio.gather(*holders)
            await connections.close()

    asyncio.run(asyncio.wait_for(scenario(), 60))
