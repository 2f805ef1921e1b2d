"""taskvars.c_heap: glibc's malloc thresholds fixed once per server process, unless the
operator set them (the upload test in tests/e2e/test_upload_page_faults.py shows why)."""

from __future__ import annotations

import pytest

from taskvars import c_heap

pytestmark = pytest.mark.skipif(not c_heap.glibc_malloc(), reason="only glibc's malloc is tuned")


@pytest.fixture(autouse=True)
def untuned_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(c_heap, "_tuned", False)
    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)


def test_the_thresholds_are_set_once_per_process() -> None:
    assert c_heap.keep_transfer_buffers()
    assert not c_heap.keep_transfer_buffers()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MALLOC_TRIM_THRESHOLD_", "1048576"),
        ("MALLOC_MMAP_THRESHOLD_", "65536"),
        ("GLIBC_TUNABLES", "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536"),
    ],
)
def test_thresholds_the_operator_set_are_left_alone(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert not c_heap.keep_transfer_buffers()


def test_other_glibc_tunables_do_not_stop_the_tuning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    assert c_heap.keep_transfer_buffers()
