"""A large upload reuses the server's C heap instead of faulting in fresh pages for each
buffer (taskvars.c_heap): left to glibc's defaults, a 64 MiB upload cost 4,000-6,000
minor page faults, every page zeroed by the kernel; with the thresholds fixed, under 200."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import httpx
import pytest

from taskvars.c_heap import glibc_malloc
from tests.e2e.server import Server
from tests.multipart_bodies import Part, content_type, in_pieces, multipart_body

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
    pytest.mark.skipif(not glibc_malloc(), reason="only glibc's malloc is tuned"),
]

MIB = 1024 * 1024
SIZE = 64 * MIB
# The first upload into a fresh heap faults its pages in once (about 2,000 for 64 MiB).
MAX_FAULTS = 1000


def minor_faults(pid: int) -> int:
    """Minor page faults of the process, its threads' included (``man 5 proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[7])


def test_a_large_upload_reuses_the_servers_buffers(server: Server) -> None:
    pid = server.process.pid
    payload = hashlib.sha256(b"faults").digest() * (SIZE // 32)
    body = multipart_body(Part("data", payload, filename="v.bin"))
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        client.post("/task/create", json={"id": "faults"}).raise_for_status()
        faults = []
        for _ in range(3):
            before = minor_faults(pid)
            response = client.post(
                "/task/faults/localVariables/doc/data",
                content=in_pieces(body, MIB),  # streamed, as a client sends a file
                headers={"Content-Type": content_type()},
            )
            assert response.status_code == 204, response.text
            faults.append(minor_faults(pid) - before)
    assert min(faults[1:]) < MAX_FAULTS, faults
