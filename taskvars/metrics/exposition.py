"""The text of one scrape: the instruments, added up over the worker processes when
there are several, then the stored binary values as the database counts them now."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from taskvars.metrics import multiprocess
from taskvars.metrics.instruments import REGISTRY

MEDIA_TYPE = CONTENT_TYPE_LATEST  # the Prometheus text format, version 0.0.4


class StoredBinaries(Collector):
    """Counted by the database, which every process shares: not a per-process value.
    ``totals`` is (values, bytes), or None when the database did not answer."""

    def __init__(self, totals: tuple[int, int] | None) -> None:
        self.totals = totals

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "taskvars_database_up",
            "1 when the database answered this scrape's query, else 0.",
            value=0 if self.totals is None else 1,
        )
        if self.totals is None:
            return
        values, size = self.totals
        yield GaugeMetricFamily(
            "taskvars_stored_binary_values", "Bytes and File values stored.", value=values
        )
        yield GaugeMetricFamily(
            "taskvars_stored_binary_bytes",
            "The size of every stored Bytes and File value, added up.",
            value=size,
        )


def scrape(stored_binaries: tuple[int, int] | None) -> bytes:
    instruments = multiprocess.collecting_registry() if multiprocess.enabled() else REGISTRY
    storage = CollectorRegistry()
    storage.register(StoredBinaries(stored_binaries))
    return generate_latest(instruments) + generate_latest(storage)
