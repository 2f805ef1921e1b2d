"""Server settings, read once from the environment or given by the caller."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

GIB = 1024**3
MIB = 1024**2
KIB = 1024

ENV_PREFIX = "TASKVARS_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told. Field names map to ``TASKVARS_<NAME>``."""

    host: str = "127.0.0.1"
    port: int = 8080
    # Server processes; several share the database (PostgreSQL for real concurrency).
    workers: int = 1
    database_url: str = "sqlite:///taskvars.db"
    # Any request body larger than this is refused with 413 before anything is stored.
    max_upload_bytes: int = GIB
    # Multipart limits: a client that exceeds one gets a 400 and nothing is stored.
    max_form_parts: int = 100
    max_part_header_bytes: int = 16 * KIB
    max_text_part_bytes: int = 64 * KIB
    # An uploaded binary stays in memory up to this size, then spools to a temporary file.
    spool_memory_bytes: int = MIB
    # Binary values are stored and streamed in chunks of this size.
    chunk_bytes: int = MIB
    # The log level; "info" logs every request, "warning" and above do not.
    log_level: str = "info"
    # "text" lines, or "json": one JSON object a line (taskvars.log_config).
    log_format: str = "text"
    # How long the server waits for a client that stalls: for the next part of a request
    # body (then 408, nothing stored), or to take the next part of a response (then the
    # connection is closed).
    client_timeout_seconds: int = 60
    # An idle keep-alive connection is closed after this long (uvicorn's timeout_keep_alive).
    keep_alive_seconds: int = 5
    # HTTP Basic authentication: users and bcrypt hashes, one "user:hash" a line. Empty:
    # no authentication, as in Camunda's default.
    auth_file: str = ""
    # TLS: a PEM certificate (chain) and its private key; both or neither. Empty: plain HTTP.
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    # Refuse query parameters an operation does not declare (400), where Camunda, and by
    # default this server, ignores them.
    strict_params: bool = False
    # Keep no history of the process instances deployed models run (GET /history/...
    # then finds what was kept before, and nothing new).
    no_history: bool = False
    # Fetch-and-lock requests that wait for tasks at once (long polling), per server
    # process; one more is refused as Camunda refuses it (500). Camunda queues at most 200
    # new ones per round of its handler thread (fetch-and-lock-queue-capacity) but
    # bounds the waiting ones by nothing. Each costs a connection and a few KiB here, no
    # thread; 1000 leaves the process room within a default 1024 open files.
    max_parked_fetches: int = 1000
    # How often a waiting fetch-and-lock request tries again when nothing told it to:
    # the safety net for changes no announcement reports (Camunda: 30 s).
    fetch_recheck_seconds: int = 30
    # A TOML or YAML file saying what stands in for the Java code models call
    # (taskvars.engine.stand_ins). Empty: none, and such code fails as Camunda's would
    # without the class.
    stand_ins: str = ""
    # Run no job executor in this process (timers and asynchronous continuations then
    # wait for another process's, or for POST /job/{id}/execute).
    no_job_executor: bool = False
    # How long an executor holds the jobs it acquired before another may take them
    # (Camunda's lockTimeInMillis, 5 minutes): how late a killed process's jobs run.
    job_lock_millis: int = 5 * 60 * 1000
    # Let clients read, set and advance the server's clock (/test-clock): for tests only.
    test_clock: bool = False
    # Serve every request through the full pipeline, the hot operations included, instead
    # of the fast path compiled from the spec for them (taskvars.web.fast_path).
    no_fast_path: bool = False

    def to_env(self) -> dict[str, str]:
        """These settings as ``TASKVARS_*`` variables, for processes started from here."""
        return {ENV_PREFIX + f.name.upper(): str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, overridden by ``TASKVARS_*`` variables, overridden by ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = _convert(field.name, field.type, raw)
        settings = replace(cls(), **values)
        given = {name: value for name, value in overrides.items() if value is not None}
        return replace(settings, **given)

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.type == "int" and value <= 0 and field.name != "port":
                raise ValueError(f"{field.name} must be a positive number, got {value}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
        if self.log_format not in LOG_FORMATS:
            raise ValueError(
                f"log_format must be one of {', '.join(LOG_FORMATS)}, got {self.log_format!r}"
            )
        if self.test_clock and self.workers > 1:
            # Each process has its own clock: requests would see times days apart, and
            # each executor would read the others' locks by its own clock.
            raise ValueError("--test-clock moves one process's clock: serve with --workers 1")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise ValueError("--ssl-certfile and --ssl-keyfile go together: give both or neither")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(
                f"log_level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}"
            )

    @property
    def tls(self) -> bool:
        return bool(self.ssl_certfile)


def _convert(name: str, type_name: Any, raw: str) -> Any:
    if type_name == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        variable = ENV_PREFIX + name.upper()
        raise ValueError(f"{variable} must be true or false, got {raw!r}")
    if type_name == "int":
        try:
            return int(raw)
        except ValueError:
            variable = ENV_PREFIX + name.upper()
            raise ValueError(f"{variable} must be a whole number, got {raw!r}") from None
    return raw
