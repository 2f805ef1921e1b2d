"""The pipeline that hashes and stores an upload's blocks in a thread of its own."""

from __future__ import annotations

import asyncio
import threading

from taskvars.hashed_blocks import HashedBlocks
from tests.content_digests import expected_digest


def test_blocks_are_hashed_and_stored_in_the_order_submitted() -> None:
    blocks = [bytes([n]) * (1000 + n) for n in range(50)]
    stored: list[bytes] = []
    reused: list[int] = []
    pipeline = HashedBlocks("test-store", max_in_flight_bytes=4000)

    async def run() -> None:
        for n, block in enumerate(blocks):
            view = memoryview(block)
            pipeline.submit([view[:10], view[10:]], lambda b=block: stored.append(b))
            pipeline.submit([], lambda: None, lambda n=n: reused.append(n))
            await pipeline.drain()
            assert pipeline.in_flight_bytes <= 4000
        await pipeline.wait_all()

    asyncio.run(run())
    pipeline.shutdown(wait=True)
    assert stored == blocks
    assert reused == list(range(50))
    assert pipeline.stored_digest() == expected_digest(b"".join(blocks))


def test_work_in_the_storing_thread_runs_after_the_blocks_before_it() -> None:
    order: list[str] = []
    pipeline = HashedBlocks("test-store", max_in_flight_bytes=1 << 20)
    pipeline.submit([memoryview(b"abc")], lambda: order.append("block"))
    finished = pipeline.in_storing_thread(
        lambda: order.append("end") or threading.current_thread().name
    )
    assert finished.result(timeout=10).startswith("test-store")
    pipeline.shutdown(wait=True)
    assert order == ["block", "end"]


def test_content_hashed_on_the_callers_thread_has_the_same_digest() -> None:
    pipeline = HashedBlocks("test-store", max_in_flight_bytes=1 << 20)
    pipeline.hash_now(bytearray(b"small value"))
    assert pipeline.stored_digest() == expected_digest(b"small value")


def test_waiting_for_blocks_already_stored_does_not_wake_the_event_loop() -> None:
    pipeline = HashedBlocks("test-store", max_in_flight_bytes=0)
    wake_ups: list[object] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        call_soon_threadsafe = loop.call_soon_threadsafe

        def counted(*arguments: object, **keywords: object) -> object:
            wake_ups.append(arguments[0])
            return call_soon_threadsafe(*arguments, **keywords)  # type: ignore[arg-type]

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        for n in range(20):
            pipeline.submit([memoryview(bytes([n]) * 100)], lambda: None)
            pipeline.in_storing_thread(lambda: None).result(timeout=10)  # stored by now
            await pipeline.drain()
        await pipeline.wait_all()

    asyncio.run(run())
    pipeline.shutdown(wait=True)
    assert wake_ups == []
