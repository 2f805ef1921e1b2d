"""The floor of a durably stored upload on this machine: what a server that does nothing
but receive a body into a file and sync it takes, beside the sink and the disk.

``bench.transfer`` judges taskvars' SQLite upload against the slower of two references
that each do half of its work: the sink receives the bytes and keeps none, the disk
reference writes and syncs bytes it already holds. A stored upload does both, at once,
on the same cores. This measures two minimal servers that do only that, with no HTTP
framework, no multipart parsing, no database, one blocking thread per connection:

- **copy**: ``recv_into`` one preallocated 1 MiB buffer, ``write`` to a new file, flushed
  while it is written by taskvars' own early flush (``FLUSH_BYTES``, 8 MiB),
  a final ``fdatasync``; then the XXH3-128 digest and a search for a boundary over the
  file, mapped (taskvars does both while it receives);
- **splice**: the same, but the bytes go from the socket to the file through a pipe by
  ``splice``, never through user space.

Each round uploads through curl to the sink, the two servers and taskvars (SQLite, as
``bench.transfer`` runs it), in an order that turns from round to round, then times the
disk reference; each starts from the same supply of just-freed memory
(bench/page_cache.py). Medians and bests are printed, and each median against the
slower of the sink's and the disk's (the measure of issue 26's target); ``python -m
bench`` runs it too, at 64 MiB and 1 GiB. Linux only (``splice``).

    python -m bench.store_floor --size 64MiB --rounds 15
"""

from __future__ import annotations

import argparse
import fcntl
import mmap
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

import xxhash

from bench.page_cache import supply_warm_pages
from bench.transfer import (
    BOUNDARY,
    Server,
    curl_upload,
    disk_write_seconds,
    label,
    parse_size,
    running_module,
    running_sink,
    running_taskvars,
    write_body_file,
)
from taskvars.web.early_flush import EarlyFlush
from taskvars.web.spool import FLUSH_BYTES

MIB = 1024 * 1024
BUFFER_BYTES = MIB
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, named by Python 3.10+ on Linux only
MODES = ("copy", "splice")


def receive_by_copy(connection: socket.socket, fd: int, remaining: int, flush: EarlyFlush) -> int:
    buffer = memoryview(bytearray(BUFFER_BYTES))
    written = 0
    while remaining > 0:
        received = connection.recv_into(buffer[: min(BUFFER_BYTES, remaining)])
        if not received:
            raise ConnectionError("the client went away")
        write_all(fd, buffer[:received])
        written += received
        remaining -= received
        flush.written(written)
    return written


def write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def receive_by_splice(connection: socket.socket, fd: int, remaining: int, flush: EarlyFlush) -> int:
    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(write_end, F_SETPIPE_SZ, BUFFER_BYTES)
        written = 0
        while remaining > 0:
            moved = os.splice(connection.fileno(), write_end, min(BUFFER_BYTES, remaining))
            if not moved:
                raise ConnectionError("the client went away")
            left = moved
            while left:
                left -= os.splice(read_end, fd, left)
            written += moved
            remaining -= moved
            flush.written(written)
        return written
    finally:
        os.close(read_end)
        os.close(write_end)


RECEIVERS: dict[str, Callable[[socket.socket, int, int, EarlyFlush], int]] = {
    "copy": receive_by_copy,
    "splice": receive_by_splice,
}


def request_head(connection: socket.socket) -> tuple[int, bytes] | None:
    """The body's length and the bytes of it that came with the head; ``None`` at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value), rest
    return 0, rest


def store(connection: socket.socket, mode: str, directory: Path) -> None:
    while (head := request_head(connection)) is not None:
        length, rest = head
        path = directory / f"upload-{time.monotonic_ns()}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            flush = EarlyFlush(fd, FLUSH_BYTES)
            try:
                write_all(fd, rest)
                size = len(rest) + RECEIVERS[mode](connection, fd, length - len(rest), flush)
                os.fdatasync(fd)
                flush.raise_failure()
            finally:
                flush.close()
            with mmap.mmap(fd, size, prot=mmap.PROT_READ) as mapped:
                xxhash.xxh3_128(mapped).hexdigest()
                mapped.find(f"\r\n--{BOUNDARY}".encode())
        finally:
            os.close(fd)
        connection.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        # Replaced by the next upload, as taskvars replaces the value's file each round:
        # removed in a thread of its own after the answer, as taskvars removes it.
        threading.Thread(target=path.unlink).start()


def serve(port: int, mode: str, directory: Path) -> None:
    with socket.create_server(("127.0.0.1", port)) as server:
        while True:
            connection, _ = server.accept()
            threading.Thread(target=_serve_one, args=(connection, mode, directory)).start()


def _serve_one(connection: socket.socket, mode: str, directory: Path) -> None:
    with connection:
        store(connection, mode, directory)


def running_store_server(mode: str, directory: Path) -> AbstractContextManager[Server]:
    """One of the storing servers, in a process of its own, storing into ``directory``."""
    options = ["--serve", "--mode", mode, "--directory", str(directory)]
    return running_module(lambda port: ["bench.store_floor", str(port), *options], "/", "/")


def measure(size: int, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of each upload and of the disk reference, per round."""
    with (
        tempfile.TemporaryDirectory(prefix="taskvars-store-floor-") as scratch,
        ExitStack() as stack,
    ):
        directory = Path(scratch)
        body_file = write_body_file(directory / "body", size)
        targets = {"sink": stack.enter_context(running_sink())}
        for mode in MODES:
            (directory / mode).mkdir()
            targets[mode] = stack.enter_context(running_store_server(mode, directory / mode))
        (directory / "taskvars").mkdir()
        targets["taskvars"] = stack.enter_context(
            running_taskvars(f"sqlite:///{directory / 'taskvars.db'}", directory / "taskvars", size)
        )
        times: dict[str, list[float]] = {name: [] for name in [*targets, "disk"]}
        names = list(targets)
        for round_number in range(rounds):
            # Each round starts with the next one: none always follows the same neighbour.
            start = round_number % len(names)
            for name in names[start:] + names[:start]:
                server = targets[name]
                path = server.upload_path.format(size=size)
                upload = curl_upload(server.base_url, server.pid, path, size, body_file)
                times[name].append(upload.seconds * 1000)
            supply_warm_pages(directory, size)
            times["disk"].append(disk_write_seconds(directory, size) * 1000)
        return times


@dataclass(frozen=True)
class Floor:
    """One size's upload times (ms, one per round) through each server, and the disk's."""

    size: int
    rounds: int
    times: dict[str, list[float]]

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def vs_limit(self, name: str) -> float:
        """``name``'s median against the slower of the sink's and the disk's medians: the
        measure ``bench.report`` judges taskvars' SQLite upload by."""
        return self.median(name) / max(self.median("sink"), self.median("disk"))


def run(sizes: list[int], rounds: int) -> list[Floor]:
    """Each size's floor, measured over ``rounds`` rounds."""
    return [Floor(size, rounds, measure(size, rounds)) for size in sizes]


def print_floor(floor: Floor) -> None:
    print(f"Upload of {label(floor.size)} stored and synced, {floor.rounds} rounds, ms")
    print(f"{'':8} {'median':>8} {'best':>8} {'x sink (median)':>16} {'x limit':>8}")
    sink = floor.median("sink")
    for name, samples in floor.times.items():
        median = floor.median(name)
        print(
            f"{name:8} {median:8.1f} {min(samples):8.1f} {median / sink:16.2f} "
            f"{floor.vs_limit(name):8.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", nargs="?", type=int, help="with --serve: the port to serve on")
    parser.add_argument("--serve", action="store_true", help="be one of the storing servers")
    parser.add_argument("--mode", choices=MODES, default="copy")
    parser.add_argument("--directory", type=Path)
    parser.add_argument("--size", default="64MiB")
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args(argv)
    if arguments.serve:
        serve(arguments.port, arguments.mode, arguments.directory)
        return 0
    if shutil.which("curl") is None:
        # httpx, bench.transfer's fallback, costs more per megabyte than the servers do.
        raise SystemExit("bench.store_floor uploads through curl, which is not installed")
    (floor,) = run([parse_size(arguments.size)], arguments.rounds)
    print_floor(floor)
    return 0


if __name__ == "__main__":
    sys.exit(main())
