"""Upload and download speed and peak memory of File values, beside two references.

For each size, one value goes up and comes back down through a real ``taskvars serve``
and through the sink (bench/sink.py), over one connection from the same client. Prints
wall time, MB/s, the ratio to the sink, and how far the server's peak RSS rose above its
resident size before the transfer. Peak RSS is the kernel's high-water mark (``VmHWM``),
reset before each transfer through ``/proc/PID/clear_refs``: exact, not sampled. Linux
only.

The second reference is the disk: right before each upload, the same number of bytes is
written to a file beside the database and synced, as a stored upload must be. On this
machine's virtual disk that took from 0.3 to 4 s per GiB depending on what had been
written shortly before, so every transfer starts after ``os.sync()`` and the disk's own
time is printed beside it.

    python -m bench.transfer --sizes 1KiB,1MiB,64MiB,1GiB [--database-url URL]

Exits 1 when a transfer raised the server's peak RSS by more than ``--max-growth-mib``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.server import free_port, running_server

UNITS = {"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
MIB = 1024**2
BOUNDARY = "taskvars-bench"


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # "5": reset the peak RSS (VmHWM)


@dataclass(frozen=True)
class Transfer:
    size: int
    seconds: float
    growth_mib: float

    @property
    def megabytes_per_second(self) -> float:
        return self.size / 1e6 / self.seconds


def parse_size(text: str) -> int:
    for unit, factor in UNITS.items():
        if text.endswith(unit):
            return int(text[: -len(unit)]) * factor
    return int(text)


def label(size: int) -> str:
    for unit, factor in reversed(UNITS.items()):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


def body(size: int) -> tuple[bytes, bytes, int]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="valueType"\r\n\r\nFile\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="v.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + size + len(tail)


def stream(head: bytes, size: int, tail: bytes):
    yield head
    block = hashlib.sha256(b"bench").digest() * (MIB // 32)
    sent = 0
    while sent < size:
        piece = block[: min(MIB, size - sent)]
        sent += len(piece)
        yield piece
    yield tail


def disk_write_seconds(directory: Path, size: int) -> float:
    """Time to write ``size`` bytes to a new file in ``directory`` and sync it."""
    os.sync()
    block = hashlib.sha256(b"disk").digest() * (MIB // 32)
    path = directory / "disk-reference.bin"
    started = time.perf_counter()
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        written = 0
        while written < size:
            written += os.write(fd, block[: min(MIB, size - written)])
        os.fdatasync(fd)
    finally:
        os.close(fd)
    seconds = time.perf_counter() - started
    path.unlink()
    os.sync()
    return seconds


def upload(client: httpx.Client, pid: int, url: str, size: int) -> Transfer:
    os.sync()
    head, tail, length = body(size)
    before = status_kib(pid, "VmRSS")
    reset_peak(pid)
    started = time.perf_counter()
    response = client.post(
        url,
        content=stream(head, size, tail),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
        },
    )
    seconds = time.perf_counter() - started
    response.raise_for_status()
    return Transfer(size, seconds, (status_kib(pid, "VmHWM") - before) / 1024)


def download(client: httpx.Client, pid: int, url: str, size: int) -> Transfer:
    os.sync()
    before = status_kib(pid, "VmRSS")
    reset_peak(pid)
    received = 0
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_raw(MIB):
            received += len(chunk)
    seconds = time.perf_counter() - started
    if received != size:
        raise SystemExit(f"downloaded {received} bytes of {size}")
    return Transfer(size, seconds, (status_kib(pid, "VmHWM") - before) / 1024)


@dataclass(frozen=True)
class SizeResult:
    size: int
    upload: Transfer
    download: Transfer
    sink_upload: Transfer
    sink_download: Transfer
    disk_seconds: float

    @property
    def upload_vs_sink(self) -> float:
        return self.upload.seconds / self.sink_upload.seconds

    @property
    def download_vs_sink(self) -> float:
        return self.download.seconds / self.sink_download.seconds


def measure_taskvars(
    sizes: list[int], database_url: str, directory: Path
) -> dict[int, tuple[Transfer, Transfer, float]]:
    results = {}
    extra = ["--max-upload-bytes", str(max(sizes) + MIB)]
    with running_server(database_url, directory, *extra) as server:
        pid = server.process.pid
        with httpx.Client(base_url=server.base_url, timeout=3600) as client:
            client.post("/task/create", json={"id": "bench"}).raise_for_status()
            upload(client, pid, "/task/bench/localVariables/warm/data", MIB)  # warm up
            for size in sizes:
                url = f"/task/bench/localVariables/v{size}/data"
                disk = disk_write_seconds(directory, size)
                up = upload(client, pid, url, size)
                results[size] = (up, download(client, pid, url, size), disk)
    return results


def measure_sink(sizes: list[int]) -> dict[int, tuple[Transfer, Transfer]]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.sink", str(port)])
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/0", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        with httpx.Client(base_url=base, timeout=3600) as client:
            return {
                size: (
                    upload(client, process.pid, "/", size),
                    download(client, process.pid, f"/{size}", size),
                )
                for size in sizes
            }
    finally:
        process.terminate()
        process.wait()


def run(sizes: list[int], database_url: str | None = None) -> list[SizeResult]:
    """Every size through the sink, then through taskvars (a fresh SQLite file unless
    ``database_url`` is given)."""
    with tempfile.TemporaryDirectory() as directory:
        url = database_url or f"sqlite:///{directory}/bench.db"
        sink = measure_sink(sizes)
        taskvars = measure_taskvars(sizes, url, Path(directory))
    return [
        SizeResult(size, up, down, sink[size][0], sink[size][1], disk)
        for size in sizes
        for up, down, disk in [taskvars[size]]
    ]


def print_table(results: list[SizeResult], database: str) -> None:
    print(f"File values, one connection, {database}; references: loopback sink, disk")
    columns = ("taskvars s", "MB/s", "sink s", "disk s", "x sink", "RSS +MiB")
    print(f"{'size':>8} {'direction':<9} " + " ".join(f"{c:>10}" for c in columns))
    for result in results:
        for direction, ours, reference, disk in (
            ("upload", result.upload, result.sink_upload, f"{result.disk_seconds:.3f}"),
            ("download", result.download, result.sink_download, ""),
        ):
            values = (
                f"{ours.seconds:.3f}",
                f"{ours.megabytes_per_second:.1f}",
                f"{reference.seconds:.3f}",
                disk,
                f"{ours.seconds / reference.seconds:.2f}",
                f"{ours.growth_mib:.1f}",
            )
            print(f"{label(result.size):>8} {direction:<9} " + " ".join(f"{v:>10}" for v in values))


def worst_growth_mib(results: list[SizeResult]) -> float:
    return max(max(r.upload.growth_mib, r.download.growth_mib) for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1KiB,1MiB,64MiB,1GiB")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--max-growth-mib", type=float, default=64)
    arguments = parser.parse_args(argv)
    sizes = [parse_size(text) for text in arguments.sizes.split(",")]
    results = run(sizes, arguments.database_url)
    database = (arguments.database_url or "sqlite").split(":", 1)[0]
    print_table(results, database)
    worst = worst_growth_mib(results)
    if worst > arguments.max_growth_mib:
        print(f"peak RSS rose by {worst:.1f} MiB, over the target of {arguments.max_growth_mib}")
        return 1
    print(f"peak RSS growth within the target of {arguments.max_growth_mib} MiB at every size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
