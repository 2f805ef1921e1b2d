"""What a job does, by its ``handler_type`` (Camunda's ``JobHandler`` registry of the
process engine configuration): handler modules register with :func:`handles`, the job
executor calls :func:`run_job`.

Contract: ``run_job`` runs inside the executor's unit of work with the job locked; the
handler does the work and removes the job (or, for a timer cycle, moves its due date
on) without committing; the executor commits. A handler that raises leaves nothing: the
executor rolls back and records the failure (retries, exception, incident)."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

from taskvars.persistence.models import Job
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.incidents import FAILED_JOB, resolve_incidents

logger = logging.getLogger(__name__)

JobHandler = Callable[[UnitOfWork, Job], None]

# Modules that register handlers, imported on first use; one that does not exist (yet)
# is skipped.
_HANDLER_MODULES = ("taskvars.engine.timer_jobs", "taskvars.engine.async_continuations")

_handlers: dict[str, JobHandler] = {}
_loaded = False
_loading = threading.Lock()


class NoJobHandlerError(Exception):
    """A job of a type nothing handles: it fails as any job does (retries, incident)."""


def handles(handler_type: str) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated function for jobs of ``handler_type``."""

    def register(handler: JobHandler) -> JobHandler:
        _handlers[handler_type] = handler
        return handler

    return register


def run_job(uow: UnitOfWork, job: Job) -> None:
    _load_handler_modules()
    handler = _handlers.get(job.handler_type)
    if handler is None:
        raise NoJobHandlerError(f"No job handler for job type '{job.handler_type}'")
    if job.retries == 0:
        # Run anyway (POST /job/{id}/execute): its failedJob incident is resolved, as
        # Camunda's JobEntity.execute ends with delete(true); a failure rolls this back.
        resolve_incidents(uow, FAILED_JOB, job.id)
    handler(uow, job)


def _load_handler_modules() -> None:
    global _loaded
    with _loading:
        if _loaded:
            return
        for name in _HANDLER_MODULES:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as error:
                if error.name != name:  # the module exists but an import of its failed
                    raise
                logger.debug("no job handler module %s", name)
        _loaded = True
