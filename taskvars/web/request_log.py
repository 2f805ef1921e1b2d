"""One line per request, at info level, on the logger ``taskvars.requests``.

As text: ``<operationId> <METHOD> <path template> <status> in=<bytes> out=<bytes>
<ms>ms id=<request id>``; as JSON (``--log-format json``) the same fields as keys, from
the record's extra attributes (see :mod:`taskvars.log_config`). Never a request's content.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from taskvars.web.request_observation import ObservedRequest

logger = logging.getLogger("taskvars.requests")
FORMAT = "%s %s %s %d in=%d out=%d %.1fms id=%s"


def enabled() -> bool:
    """Whether a line would be written: if not, the request need not be described."""
    return logger.isEnabledFor(logging.INFO)


def write(observed: ObservedRequest) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    milliseconds = round(observed.seconds * 1000, 1)
    # logger.info() less the search of the stack for the caller's file and line, which
    # no format of ours shows (the record says "(unknown file)", as with logging._srcfile
    # unset): every request's line is written from here.
    logger.handle(
        logger.makeRecord(
            logger.name,
            logging.INFO,
            "(unknown file)",
            0,
            FORMAT,
            (
                observed.operation_id or "-",
                observed.method,
                observed.path_template or observed.path,
                observed.status,
                observed.bytes_in,
                observed.bytes_out,
                milliseconds,
                observed.request_id,
            ),
            None,
            "(unknown function)",
            {
                "request_id": observed.request_id,
                "operation_id": observed.operation_id,
                "method": observed.method,
                "path": observed.path,
                "path_template": observed.path_template,
                "status": observed.status,
                "bytes_in": observed.bytes_in,
                "bytes_out": observed.bytes_out,
                "duration_ms": milliseconds,
            },
        )
    )
