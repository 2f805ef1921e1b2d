"""The server's logging, as text or as JSON lines, handed to uvicorn as its ``log_config``
(which it applies in every worker process).

The standard library's logging with python-json-logger's formatter, rather than
structlog: uvicorn and every module here already log through the standard library, so one
formatter turns every line, uvicorn's included, into JSON, with no second logging system
to route through. uvicorn's access log is off: :mod:`taskvars.web.request_log` writes one
richer line per request instead.
"""

from __future__ import annotations

from typing import Any

# Where the server's start-up banner goes as JSON: shown whatever the level, as the text
# banner is.
BANNER_LOGGER = "taskvars.banner"

# uvicorn's records carry a colourised copy of their message, and Python 3.12's records
# the asyncio task's name; neither is worth a field in every line.
_DROPPED_FIELDS = ["color_message", "taskName"]


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    if log_format == "json":
        from pythonjsonlogger.core import RESERVED_ATTRS

        formatter: dict[str, Any] = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
            "reserved_attrs": [*RESERVED_ATTRS, *_DROPPED_FIELDS],
            "json_ensure_ascii": False,
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    ours = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": ours,
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "propagate": False},
            "taskvars": ours,
            BANNER_LOGGER: {"level": "INFO"},
        },
    }
