"""Deployed processes ready to run, built once per definition in each server process:
SpiffWorkflow's specs and the user tasks' Camunda attributes, from one parse of the
deployed file (definitions never change once deployed)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from taskvars.engine.adapter import CompiledProcess
from taskvars.engine.bpmn_xml import parse_bpmn
from taskvars.engine.user_tasks import UserTaskModel, user_task_models

# Definitions kept; the least recently run goes first.
CACHE_SIZE = 64


@dataclass(frozen=True)
class RunnableModel:
    compiled: CompiledProcess
    user_tasks: dict[str, UserTaskModel]


def runnable_model(
    definition_id: str, process_key: str, load: Callable[[], tuple[bytes, str]]
) -> RunnableModel:
    """The model of ``definition_id``; ``load`` gives its file and file name when it is
    not built yet in this server process."""
    with _LOCK:
        cached = _CACHE.get(definition_id)
        if cached is not None:
            _CACHE.move_to_end(definition_id)
            return cached
    xml, file_name = load()
    root = parse_bpmn(xml)
    model = RunnableModel(CompiledProcess(process_key, root, file_name), user_task_models(root))
    with _LOCK:
        _CACHE[definition_id] = model
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return model


_CACHE: OrderedDict[str, RunnableModel] = OrderedDict()
_LOCK = threading.Lock()
