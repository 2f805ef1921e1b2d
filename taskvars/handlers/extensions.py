"""Operations tagged `Extensions`: not Camunda's, marked as ours in the spec."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.runtime import runtime
from taskvars.services import scopes


def create_process_instance(body: dict[str, Any]) -> dict[str, Any]:
    app = runtime()
    with app.database.unit_of_work(write=True) as uow:
        created = scopes.create_process_instance(
            uow.store, body, chunk_bytes=app.settings.chunk_bytes
        )
        uow.commit()
    return created
