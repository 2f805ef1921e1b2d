"""Upload and download speed and peak memory of File values, beside the loopback sink.

For each size, one value goes up and comes back down through a real ``taskvars serve``
and through the sink (bench/sink.py), over one connection from the same client. Prints
wall time, MB/s, the ratio to the sink, and how far the server's peak RSS rose above its
resident size before the transfer. Peak RSS is the kernel's high-water mark (``VmHWM``),
reset before each transfer through ``/proc/PID/clear_refs``: exact, not sampled. Linux
only.

    python -m bench.transfer --sizes 1KiB,1MiB,64MiB,1GiB [--database-url URL]

Exits 1 when a transfer raised the server's peak RSS by more than ``--max-growth-mib``.
"""

from __future__ import annotations

import argparse
import hashlib
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


def upload(client: httpx.Client, pid: int, url: str, size: int) -> Transfer:
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


def measure_taskvars(
    sizes: list[int], database_url: str, directory: Path
) -> dict[int, tuple[Transfer, Transfer]]:
    results = {}
    extra = ["--max-upload-bytes", str(max(sizes) + MIB)]
    with running_server(database_url, directory, *extra) as server:
        pid = server.process.pid
        with httpx.Client(base_url=server.base_url, timeout=3600) as client:
            client.post("/task/create", json={"id": "bench"}).raise_for_status()
            upload(client, pid, "/task/bench/localVariables/warm/data", MIB)  # warm up
            for size in sizes:
                url = f"/task/bench/localVariables/v{size}/data"
                results[size] = (upload(client, pid, url, size), download(client, pid, url, size))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1KiB,1MiB,64MiB,1GiB")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--max-growth-mib", type=float, default=64)
    arguments = parser.parse_args(argv)
    sizes = [parse_size(text) for text in arguments.sizes.split(",")]
    with tempfile.TemporaryDirectory() as directory:
        url = arguments.database_url or f"sqlite:///{directory}/bench.db"
        sink = measure_sink(sizes)
        taskvars = measure_taskvars(sizes, url, Path(directory))
    print(f"File values, one connection, {url.split(':', 1)[0]}; reference: loopback sink")
    columns = ("taskvars s", "MB/s", "sink s", "MB/s", "x sink", "RSS +MiB")
    print(f"{'size':>8} {'direction':<9} " + " ".join(f"{c:>10}" for c in columns))
    for size in sizes:
        for index, direction in enumerate(("upload", "download")):
            ours, reference = taskvars[size][index], sink[size][index]
            values = (
                f"{ours.seconds:.3f}",
                f"{ours.megabytes_per_second:.1f}",
                f"{reference.seconds:.3f}",
                f"{reference.megabytes_per_second:.1f}",
                f"{ours.seconds / reference.seconds:.2f}",
                f"{ours.growth_mib:.1f}",
            )
            print(f"{label(size):>8} {direction:<9} " + " ".join(f"{v:>10}" for v in values))
    worst = max(t.growth_mib for pair in taskvars.values() for t in pair)
    if worst > arguments.max_growth_mib:
        print(f"peak RSS rose by {worst:.1f} MiB, over the target of {arguments.max_growth_mib}")
        return 1
    print(f"peak RSS growth within the target of {arguments.max_growth_mib} MiB at every size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
