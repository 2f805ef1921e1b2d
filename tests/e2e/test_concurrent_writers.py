"""32 clients write, overwrite, delete and create the same and different variables at
once: two server processes on one PostgreSQL database, one process on SQLite. Nothing
may be lost, torn or duplicated."""

from __future__ import annotations

import hashlib
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from taskvars.persistence.database import content_files_for
from taskvars.persistence.models import BinaryChunk, BinaryContent, ScopeKind, Variable
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import ScopeRef
from tests.content_digests import expected_digest
from tests.e2e.server import Server, running_server
from tests.multipart_bodies import Part, content_type, multipart_body

pytestmark = pytest.mark.e2e

CLIENTS = 32
OPERATIONS_PER_CLIENT = 25
SHARED_NAMES = ["s-0", "s-1", "s-2"]  # written by everyone through task t1 (non-local)
LOCAL_NAMES = ["l-0", "l-1"]  # written by everyone on task t2 (local)
FRESH = "fresh"  # created by all clients at the same moment, existing nowhere before
MIB = 1024 * 1024


@pytest.fixture
def servers(db_url: str, database_kind: str, tmp_path: Path) -> Iterator[list[Server]]:
    count = 2 if database_kind == "postgresql" else 1
    with ExitStack() as stack:
        yield [stack.enter_context(running_server(db_url, tmp_path)) for _ in range(count)]


class Ledger:
    """Every value written to every name (by SHA-256), and every answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.written: dict[str, set[str]] = defaultdict(set)
        self.answers: Counter[str] = Counter()
        self.wrong: list[str] = []
        # Each client's own variable (only it writes there): the last content acknowledged,
        # and every answer it got.
        self.own_acknowledged: dict[str, str] = {}
        self.own_answers: dict[str, list[int]] = defaultdict(list)

    def wrote(self, name: str, content: bytes) -> None:
        with self.lock:
            self.written[name].add(hashlib.sha256(content).hexdigest())

    def answered(self, what: str, response: httpx.Response, allowed: tuple[int, ...]) -> None:
        with self.lock:
            self.answers[f"{what} {response.status_code}"] += 1
            if response.status_code == 409:
                body = response.json()
                if body.get("type") != "OptimisticLockingException" or body.get("code") != 1:
                    self.wrong.append(f"{what}: 409 {body}")
            elif response.status_code not in allowed:
                self.wrong.append(f"{what}: {response.status_code} {response.text[:300]}")


def random_content(generator: random.Random) -> bytes:
    size = generator.choice([0, 10, 1000, 100_000, 2 * MIB])  # 2 MiB: past memory, into files
    return generator.randbytes(size)


def upload(client: httpx.Client, path: str, content: bytes) -> httpx.Response:
    body = multipart_body(Part("data", content))
    return client.post(path, content=body, headers={"Content-Type": content_type()})


def client_work(
    number: int, servers: list[Server], ledger: Ledger, barrier: threading.Barrier
) -> None:
    generator = random.Random(number)
    base = servers[number % len(servers)].base_url
    with httpx.Client(base_url=base, timeout=120) as client:
        content = random_content(generator)
        ledger.wrote(FRESH, content)
        barrier.wait()  # everyone creates the same new variable at once
        ledger.answered(
            "create race", upload(client, f"/task/t1/variables/{FRESH}/data", content), (204,)
        )
        own = f"own-{number}"
        for _ in range(OPERATIONS_PER_CLIENT):
            action = generator.choice(["upload", "upload", "put", "delete", "read", "own"])
            if action in ("upload", "own"):
                if action == "own":
                    name, path = own, f"/task/t2/localVariables/{own}/data"
                elif generator.random() < 0.5:
                    name = generator.choice(SHARED_NAMES)
                    path = f"/task/t1/variables/{name}/data"
                else:
                    name = generator.choice(LOCAL_NAMES)
                    path = f"/task/t2/localVariables/{name}/data"
                content = random_content(generator)
                ledger.wrote(name, content)
                response = upload(client, path, content)
                ledger.answered("upload", response, (204,))
                if action == "own":
                    with ledger.lock:
                        ledger.own_answers[own].append(response.status_code)
                        if response.status_code == 204:
                            ledger.own_acknowledged[own] = hashlib.sha256(content).hexdigest()
            elif action == "put":
                name = generator.choice(SHARED_NAMES)
                content = generator.randbytes(20).hex().encode()
                ledger.wrote(name, content)
                response = client.put(
                    f"/process-instance/pi/variables/{name}",
                    json={"type": "String", "value": content.decode()},
                )
                ledger.answered("put", response, (204,))
            elif action == "delete":
                name = generator.choice(SHARED_NAMES + LOCAL_NAMES)
                path = (
                    f"/task/t1/variables/{name}"
                    if name.startswith("s-")
                    else f"/task/t2/localVariables/{name}"
                )
                ledger.answered("delete", client.delete(path), (204,))
            else:
                name = generator.choice(SHARED_NAMES)
                response = client.get(f"/task/t1/variables/{name}/data")
                ledger.answered("read", response, (200, 400, 404))  # 400: a String, not binary
                if response.status_code == 200:
                    digest = hashlib.sha256(response.content).hexdigest()
                    with ledger.lock:
                        if digest not in ledger.written[name]:
                            ledger.wrong.append(f"read {name}: a value nobody wrote")


def stored_values(url: str) -> list[tuple[int, str, str, bytes]]:
    """(scope, name, type, content) of every variable, content read whole."""
    database = Database(url)
    try:
        with database.unit_of_work(write=False) as uow:
            rows = uow.store.session.execute(
                select(
                    Variable.scope_pk,
                    Variable.name,
                    Variable.type,
                    Variable.text_value,
                    Variable.content_pk,
                )
            ).all()
            result = []
            for scope_pk, name, value_type, text_value, content_pk in rows:
                if content_pk is None:
                    result.append((scope_pk, name, value_type, (text_value or "").encode()))
                    continue
                # The scope's kind and id do not matter to a lookup by pk.
                stored = uow.store.variables.visible([ScopeRef(scope_pk, ScopeKind.TASK, "")], name)
                assert stored is not None
                content = b"".join(uow.store.contents.chunks(stored))
                assert expected_digest(content) == stored.content_digest, name
                result.append((scope_pk, name, value_type, content))
            return result
    finally:
        database.dispose()


def orphans(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            unreferenced = connection.scalar(
                select(func.count())
                .select_from(BinaryContent)
                .where(
                    ~BinaryContent.pk.in_(
                        select(Variable.content_pk).where(Variable.content_pk.is_not(None))
                    )
                )
            )
            loose_chunks = connection.scalar(
                select(func.count())
                .select_from(BinaryChunk)
                .where(~BinaryChunk.content_pk.in_(select(BinaryContent.pk)))
            )
            referenced_files = set(
                connection.scalars(
                    select(BinaryContent.file_name).where(BinaryContent.file_name.is_not(None))
                )
            )
    finally:
        database.dispose()
    files = content_files_for(url)
    on_disk = {path.name for path in files.directory.iterdir()} if files is not None else set()
    return {
        "content rows without a variable": unreferenced or 0,
        "chunks without content": loose_chunks or 0,
        "files without a row": len(on_disk - referenced_files),
        "rows without a file": len(referenced_files - on_disk),
    }


def test_concurrent_writers_lose_tear_and_duplicate_nothing(
    servers: list[Server], db_url: str
) -> None:
    with httpx.Client(base_url=servers[0].base_url, timeout=30) as client:
        created = client.post(
            "/process-instance/create",
            json={"id": "pi", "tasks": [{"id": "t1"}]},
        )
        assert created.status_code == 200, created.text
        assert client.post("/task/create", json={"id": "t2"}).status_code == 204
    ledger = Ledger()
    barrier = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(CLIENTS) as pool:
        for future in [
            pool.submit(client_work, n, servers, ledger, barrier) for n in range(CLIENTS)
        ]:
            future.result()

    assert ledger.wrong == []
    assert sum(ledger.answers.values()) == CLIENTS * (OPERATIONS_PER_CLIENT + 1)
    values = stored_values(db_url)
    keys = [(scope, name) for scope, name, _, _ in values]
    assert len(keys) == len(set(keys)), "a variable is stored twice in one scope"
    for _, name, value_type, content in values:
        assert hashlib.sha256(content).hexdigest() in ledger.written[name], (name, value_type)
    names = {name for _, name, _, _ in values}
    assert FRESH in names
    # Nobody else writes a client's own variable: whatever the others do at the same
    # time (on PostgreSQL, in shared commits of two processes that can deadlock), its
    # every write succeeds, and the last one is what is stored.
    own_stored = {
        name: hashlib.sha256(content).hexdigest()
        for _, name, _, content in values
        if name.startswith("own-")
    }
    assert {
        name: answers for name, answers in ledger.own_answers.items() if set(answers) != {204}
    } == {}
    assert own_stored == ledger.own_acknowledged
    assert len(own_stored) == CLIENTS
    assert orphans(db_url) == {
        "content rows without a variable": 0,
        "chunks without content": 0,
        "files without a row": 0,
        "rows without a file": 0,
    }
    print(f"{len(servers)} server(s), {CLIENTS} clients: {dict(sorted(ledger.answers.items()))}")
