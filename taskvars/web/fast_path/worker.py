"""Where the fast path hands a blocking database read to a worker thread: a read that
needs a snapshot of its own (on SQLite in a file, a read of one statement runs on the
reading thread instead: :mod:`.reads`; uploads await :meth:`Database.write_async`,
which needs no thread of theirs). Worker
threads are the ones connexion runs its synchronous handlers on (anyio's default limiter,
as Starlette's ``run_in_threadpool``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple, Unpack

import anyio.to_thread

T = TypeVar("T")
Arguments = TypeVarTuple("Arguments")


async def run_blocking(function: Callable[[Unpack[Arguments]], T], *arguments: *Arguments) -> T:
    return await anyio.to_thread.run_sync(function, *arguments)
