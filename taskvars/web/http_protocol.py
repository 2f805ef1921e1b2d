"""uvicorn's HTTP protocol, answering requests it cannot parse in Camunda's error JSON.

A request that is not HTTP (broken chunked framing, a bad request line, bytes after a
body shorter than its ``Content-Length`` claimed) never reaches the application: uvicorn
answers it itself, in plain text. This subclass keeps uvicorn's behaviour (400, then the
connection is closed) and only changes the body.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol


class CamundaErrorHttpProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps(
            {"type": "InvalidRequestException", "message": f"{msg}", "code": None}
        ).encode()
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
