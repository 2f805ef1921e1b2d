"""Load-independent costs of a small write, for comparing two versions of the write path:

- SQL statements per 1 KiB upload, by kind (in-process, one upload after another);
- server CPU (utime + stime of the ``taskvars serve`` process) and thread switches
  (voluntary + involuntary context switches of all its threads) per upload, with
  ``--clients`` concurrent clients doing ``--uploads`` uploads in all;
- the same for the persistence layer alone (no HTTP): ``Database.write`` from
  ``--clients`` threads, and ``Database.write_async`` from as many coroutines.

    python -m bench.writer_costs [--uploads 2000] [--clients 8] [--database-url URL]

Wall-clock numbers are left out on purpose: on a shared machine they are noise.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, event

from taskvars.persistence.migrate import upgrade
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import BinarySource, NewValue
from tests.e2e.server import running_server
from tests.multipart_bodies import Part, content_type, multipart_body

BODY = multipart_body(Part("data", b"x" * 1024, filename="one-kib"))
HEADERS = {"Content-Type": content_type()}


def count_statements() -> Iterator[collections.Counter[str]]:
    seen: collections.Counter[str] = collections.Counter()

    def record(_c: Any, _cu: Any, statement: str, *_: Any) -> None:
        seen[statement.split(None, 1)[0].upper()] += 1

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def statements_per_upload(database_url: str, uploads: int) -> dict[str, float]:
    from taskvars.app import create_app
    from taskvars.settings import Settings

    app = create_app(Settings(database_url=database_url, no_job_executor=True))
    with app.test_client() as client:
        client.post("/engine-rest/task/create", json={"id": "statements"})
        path = "/engine-rest/task/statements/localVariables/v{}/data"
        client.post(path.format(0), content=BODY, headers=HEADERS)
        counting = count_statements()
        seen = next(counting)
        for n in range(uploads):
            answer = client.post(path.format(n % 10), content=BODY, headers=HEADERS)
            assert answer.status_code == 204
        counting.close()
    return {kind: count / uploads for kind, count in sorted(seen.items())}


def process_costs(pid: int) -> tuple[float, int]:
    """(CPU seconds, context switches of every thread) of process ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    switches = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as status:
                for line in status:
                    if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")):
                        switches += int(line.split()[1])
        except FileNotFoundError:
            continue
    return cpu, switches


def server_costs(database_url: str, uploads: int, clients: int) -> tuple[float, float]:
    """Server CPU ms and thread switches per upload, ``clients`` at a time."""
    with tempfile.TemporaryDirectory() as logs, running_server(database_url, Path(logs)) as server:
        base = server.base_url
        with httpx.Client(base_url=base) as client:
            for c in range(clients):
                assert client.post("/task/create", json={"id": f"t{c}"}).status_code == 204
                client.post(f"/task/t{c}/localVariables/w/data", content=BODY, headers=HEADERS)
        remaining = iter(range(uploads))
        lock = threading.Lock()

        def client_loop(c: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                while True:
                    with lock:
                        n = next(remaining, None)
                    if n is None:
                        return
                    answer = client.post(
                        f"/task/t{c}/localVariables/v{n % 10}/data", content=BODY, headers=HEADERS
                    )
                    assert answer.status_code == 204, answer.text

        pid = server.process.pid
        cpu0, switches0 = process_costs(pid)
        threads = [threading.Thread(target=client_loop, args=(c,)) for c in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu1, switches1 = process_costs(pid)
    return (cpu1 - cpu0) * 1000 / uploads, (switches1 - switches0) / uploads


def set_bytes(name: str) -> Callable[[UnitOfWork], None]:
    def work(uow: UnitOfWork) -> None:
        from taskvars.persistence.models import IdSpace

        chain = uow.store.scopes.chain(IdSpace.TASK, "layer")
        value = NewValue(type="Bytes", content=BinarySource.of_bytes(b"x" * 1024))
        uow.store.variables.set(chain, name, value, local=True)
        uow.commit()

    return work


def layer_costs(
    database_url: str, writes: int, clients: int, modes: tuple[str, ...] = ("threads", "async")
) -> dict[str, tuple[float, float]]:
    """CPU ms and thread switches per write of the persistence layer alone."""
    database = Database(database_url)
    upgrade(database.engine)
    from datetime import UTC, datetime

    with database.unit_of_work(write=True) as uow:
        uow.store.tasks.add("layer", None, {"created": datetime.now(UTC)})
        uow.commit()
    results = {}

    def measured(run: Callable[[], None]) -> tuple[float, float]:
        group = database.group_commit
        batches, committed = group.batches_committed, group.writes_committed
        counting = count_statements()
        seen = next(counting)
        before = resource.getrusage(resource.RUSAGE_SELF)
        cpu0 = time.process_time()
        run()
        cpu1 = time.process_time()
        after = resource.getrusage(resource.RUSAGE_SELF)
        counting.close()
        per_batch = (group.writes_committed - committed) / max(group.batches_committed - batches, 1)
        statements = " ".join(f"{k}={v / writes:.2f}" for k, v in sorted(seen.items()))
        print(f"  {per_batch:.1f} writes per commit; statements per write: {statements}")
        switches = (after.ru_nvcsw + after.ru_nivcsw) - (before.ru_nvcsw + before.ru_nivcsw)
        return (cpu1 - cpu0) * 1000 / writes, switches / writes

    def threads() -> None:
        remaining = iter(range(writes))
        lock = threading.Lock()

        def loop() -> None:
            while True:
                with lock:
                    n = next(remaining, None)
                if n is None:
                    return
                database.write(set_bytes(f"v{n % 10}"))

        running = [threading.Thread(target=loop) for _ in range(clients)]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()

    if "threads" in modes:
        results["Database.write, threads"] = measured(threads)
    if "to_thread" in modes:
        # What a sync handler does today: the loop hands each write to a worker thread.
        import anyio.to_thread

        async def worker_threads() -> None:
            remaining = iter(range(writes))

            async def loop() -> None:
                for n in remaining:
                    await anyio.to_thread.run_sync(database.write, set_bytes(f"v{n % 10}"))

            await asyncio.gather(*(loop() for _ in range(clients)))

        results["Database.write in worker threads, coroutines"] = measured(
            lambda: asyncio.run(worker_threads())
        )
    if "async" in modes and hasattr(database, "write_async"):

        async def coroutines() -> None:
            remaining = iter(range(writes))

            async def loop() -> None:
                for n in remaining:
                    await database.write_async(set_bytes(f"v{n % 10}"))

            await asyncio.gather(*(loop() for _ in range(clients)))

        results["Database.write_async, coroutines"] = measured(lambda: asyncio.run(coroutines()))
    database.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--database-url")
    parser.add_argument("--layer-only", action="store_true", help="no HTTP server")
    parser.add_argument("--modes", default="threads,to_thread,async", help="of the layer's writes")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        if not arguments.layer_only:
            url = arguments.database_url or f"sqlite:///{directory}/statements.db"
            print("SQL statements per 1 KiB upload (sequential):")
            for kind, count in statements_per_upload(url, 200).items():
                print(f"  {kind:10} {count:.2f}")
            url = arguments.database_url or f"sqlite:///{directory}/server.db"
            cpu, switches = server_costs(url, arguments.uploads, arguments.clients)
            print(
                f"server, {arguments.clients} clients, {arguments.uploads} uploads: "
                f"{cpu:.3f} ms CPU and {switches:.1f} thread switches per upload"
            )
        url = arguments.database_url or f"sqlite:///{directory}/layer.db"
        modes = tuple(arguments.modes.split(","))
        costs = layer_costs(url, arguments.uploads, arguments.clients, modes)
        for name, (cpu, switches) in costs.items():
            print(f"{name}: {cpu:.3f} ms CPU and {switches:.1f} thread switches per write")


if __name__ == "__main__":
    main()
