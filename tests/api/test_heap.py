"""A started server leaves its startup objects out of the garbage collector's full
collections (taskvars.heap): they held the event loop for up to 120 ms each."""

from __future__ import annotations

import gc

from tests.api_client import Api


def test_a_started_server_has_frozen_what_it_started_with(api: Api) -> None:
    api.client.get("/engine-rest/version")  # served: the app's lifespan has started
    assert gc.get_freeze_count() > 10_000
