"""Operations tagged `Engine`."""

from __future__ import annotations

from typing import Any

from taskvars.web.named_engine import DEFAULT_ENGINE


def get_process_engine_names() -> list[dict[str, Any]]:
    return [{"name": DEFAULT_ENGINE}]
