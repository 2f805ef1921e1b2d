"""The server's metrics. Created once per process, when this module is first imported:
with several workers that is after :mod:`.multiprocess` has named the directory, so
that each one writes its values there.

Gauges whose value belongs to a live process (uploads in progress, connections) are
``livesum``: the sum over processes still running.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

# No "_created" series beside every counter: a timestamp per label set that scrapes would
# carry for nothing (the multiprocess mode leaves them out anyway).
disable_created_metrics()  # type: ignore[no-untyped-call]

# Ours alone: a scrape shows these, not the client library's default process collectors
# (which the multiprocess mode cannot add up across processes anyway).
REGISTRY = CollectorRegistry(auto_describe=True)

# A request that matched no operation (the documentation, the spec, a 404, or one refused
# before routing, such as a 401 or 413).
NO_OPERATION = "none"

REQUESTS = Counter(
    "taskvars_requests",
    "Requests answered, by operationId and status.",
    ["operation", "status"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "taskvars_request_duration_seconds",
    "From the request's arrival to the last byte of its answer, by operationId.",
    ["operation"],
    # From a cached read (about a millisecond) to a gigabyte upload (seconds).
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
RECEIVED_BYTES = Counter(
    "taskvars_received_bytes",
    "Request body bytes received, by operationId (uploads: the multipart body).",
    ["operation"],
    registry=REGISTRY,
)
SENT_BYTES = Counter(
    "taskvars_sent_bytes",
    "Response body bytes sent, by operationId (downloads: the value's bytes).",
    ["operation"],
    registry=REGISTRY,
)
UPLOADS_IN_PROGRESS = Gauge(
    "taskvars_uploads_in_progress",
    "Binary uploads whose body is being received or stored.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
DATABASE_CONNECTIONS = Gauge(
    "taskvars_database_connections",
    "Database connections held by the servers' pools: open, and in use by a request.",
    ["state"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
WRITE_RETRIES = Counter(
    "taskvars_write_retries",
    "Writes run again after PostgreSQL failed them over a lock (a deadlock among the "
    "writers of shared commits, or a row that stayed locked too long); nothing of the "
    "failed attempt was stored.",
    registry=REGISTRY,
)
COMMIT_WRITES = Histogram(
    "taskvars_commit_writes",
    "Writes that shared one database commit (group commit; 1: a write committed alone).",
    buckets=(1, 2, 4, 8, 16, 32),
    registry=REGISTRY,
)
