"""Jobs run by type: each handler type (Camunda's ``JobHandler.getType()``) has one
function, registered with :func:`handles`; :func:`run_job` dispatches to it.

The executor calls :func:`run_job` in a unit of work after locking the job; the handler
does the work and removes its job (or moves a timer cycle's due date on) without
committing; the executor commits (or rolls back and records the failure)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from taskvars.persistence.models import Job
from taskvars.persistence.unit_of_work import UnitOfWork

JobHandler = Callable[[UnitOfWork, Job], None]

# The modules that register handlers, imported when a job first runs (a module not
# there yet is skipped).
_HANDLER_MODULES = ("taskvars.engine.timer_jobs", "taskvars.engine.async_continuations")

_HANDLERS: dict[str, JobHandler] = {}
_loaded = False


def handles(handler_type: str) -> Callable[[JobHandler], JobHandler]:
    def register(handler: JobHandler) -> JobHandler:
        _HANDLERS[handler_type] = handler
        return handler

    return register


def run_job(uow: UnitOfWork, job: Job) -> None:
    _load()
    handler = _HANDLERS.get(job.handler_type)
    if handler is None:
        raise LookupError(f"no handler for jobs of type {job.handler_type}")
    handler(uow, job)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for module in _HANDLER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
    _loaded = True
