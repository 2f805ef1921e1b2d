"""The reference for one connection's transfer speed: a loopback HTTP server that only
reads and discards a request body, or sends N bytes, and does nothing else.

    python -m bench.sink PORT
"""

from __future__ import annotations

import asyncio
import sys

BLOCK = b"\x5a" * (1024 * 1024)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in header_lines if line)
            }
            if method == "POST":
                remaining = int(headers.get("content-length", "0"))
                while remaining:
                    chunk = await reader.read(min(remaining, 1024 * 1024))
                    if not chunk:
                        return
                    remaining -= len(chunk)
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            else:  # GET /<size>: send that many bytes
                size = int(path.rsplit("/", 1)[1])
                writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
                while size:
                    block = BLOCK[: min(size, len(BLOCK))]
                    writer.write(block)
                    await writer.drain()
                    size -= len(block)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop  # the event loop uvicorn runs taskvars on, when installed
    except ImportError:
        asyncio.run(main(int(sys.argv[1])))
    else:
        uvloop.run(main(int(sys.argv[1])))
