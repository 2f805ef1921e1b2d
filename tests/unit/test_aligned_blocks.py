"""The shelf of page-aligned blocks that uploads' O_DIRECT writes reuse."""

from __future__ import annotations

import mmap

from taskvars.web.aligned_blocks import BlockShelf


def test_a_block_given_back_is_taken_again_empty() -> None:
    shelf = BlockShelf(mmap.PAGESIZE, keep=2)
    block = shelf.take()
    block.append(memoryview(b"abc"))
    shelf.give_back(block)
    again = shelf.take()
    assert again is block
    assert again.used == 0
    assert shelf.waiting == 0


def test_the_shelf_keeps_no_more_blocks_than_it_was_told() -> None:
    shelf = BlockShelf(mmap.PAGESIZE, keep=2)
    blocks = [shelf.take() for _ in range(3)]
    for block in blocks:
        shelf.give_back(block)
    assert shelf.waiting == 2
    assert {id(shelf.take()), id(shelf.take())} <= {id(block) for block in blocks}
    assert shelf.take() not in blocks  # the shelf was empty: a new one


def test_a_block_starts_page_aligned_and_fills_up_to_its_size() -> None:
    shelf = BlockShelf(2 * mmap.PAGESIZE, keep=1)
    block = shelf.take()
    assert block._start.value % mmap.PAGESIZE == 0
    assert block.append(memoryview(b"x" * (3 * mmap.PAGESIZE))) == 2 * mmap.PAGESIZE
    assert block.full
    assert bytes(block.view()) == b"x" * (2 * mmap.PAGESIZE)
