"""Peak server memory for one large File upload and its download.

Starts a real ``taskvars serve`` on a fresh SQLite file (or ``--database-url``), streams
a File value of ``--size-mib`` up and back down, and prints, for each direction, the
wall time and how far the server's peak RSS rose above its resident size before the
transfer. Peak RSS is the kernel's high-water mark (``VmHWM``), reset before each phase
through ``/proc/PID/clear_refs``: exact, not sampled. Linux only.

    python -m bench.memory --size-mib 256

Exits 1 when either growth is over ``--max-growth-mib`` (default 64).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.e2e.server import Server, running_server

MIB = 1024 * 1024
BOUNDARY = "taskvars-bench"


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # "5": reset the peak RSS (VmHWM)


def block(index: int) -> bytes:
    """1 MiB of deterministic, incompressible-looking bytes."""
    return hashlib.sha256(index.to_bytes(8, "big")).digest() * (MIB // 32)


def multipart(size_mib: int) -> tuple[Iterator[bytes], int, str]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="valueType"\r\n\r\nFile\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    digest = hashlib.sha256()

    def body() -> Iterator[bytes]:
        yield head
        for index in range(size_mib):
            data = block(index)
            digest.update(data)
            yield data
        yield tail

    length = len(head) + size_mib * MIB + len(tail)
    return body(), length, digest


def measure(server: Server, size_mib: int) -> dict[str, float]:
    pid = server.process.pid
    with httpx.Client(base_url=server.base_url, timeout=600) as client:
        client.post("/task/create", json={"id": "bench"}).raise_for_status()
        # Warm up: the first request loads code paths and connections.
        client.post(
            "/task/bench/variables/warm/data",
            files={"data": ("w.bin", b"w" * MIB)},
            data={"valueType": "File"},
        ).raise_for_status()

        body, length, sent_digest = multipart(size_mib)
        before = status_kib(pid, "VmRSS")
        reset_peak(pid)
        started = time.perf_counter()
        response = client.post(
            "/task/bench/variables/big/data",
            content=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(length),
            },
        )
        upload_seconds = time.perf_counter() - started
        response.raise_for_status()
        upload_growth = (status_kib(pid, "VmHWM") - before) / 1024

        before = status_kib(pid, "VmRSS")
        reset_peak(pid)
        received = hashlib.sha256()
        started = time.perf_counter()
        with client.stream("GET", "/task/bench/variables/big/data") as download:
            download.raise_for_status()
            for chunk in download.iter_bytes(MIB):
                received.update(chunk)
        download_seconds = time.perf_counter() - started
        download_growth = (status_kib(pid, "VmHWM") - before) / 1024

    if received.digest() != sent_digest.digest():
        raise SystemExit("the download differs from the upload")
    return {
        "upload_seconds": upload_seconds,
        "upload_growth_mib": upload_growth,
        "download_seconds": download_seconds,
        "download_growth_mib": download_growth,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--max-growth-mib", type=float, default=64)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    arguments = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as directory:
        url = arguments.database_url or f"sqlite:///{directory}/bench.db"
        extra = ["--max-upload-bytes", str((arguments.size_mib + 1) * MIB)]
        with running_server(url, Path(directory), *extra) as server:
            result = measure(server, arguments.size_mib)

    size = arguments.size_mib
    print(f"File value of {size} MiB, {url.split(':', 1)[0]}, one server process")
    print(f"{'direction':<10}{'seconds':>10}{'MB/s':>10}{'peak RSS growth (MiB)':>24}")
    for direction in ("upload", "download"):
        seconds = result[f"{direction}_seconds"]
        growth = result[f"{direction}_growth_mib"]
        print(f"{direction:<10}{seconds:>10.2f}{size * MIB / 1e6 / seconds:>10.1f}{growth:>24.1f}")
    over = [
        d for d in ("upload", "download") if result[f"{d}_growth_mib"] > arguments.max_growth_mib
    ]
    if over:
        print(f"over the target of {arguments.max_growth_mib} MiB: {', '.join(over)}")
        return 1
    print(f"both within the target of {arguments.max_growth_mib} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
