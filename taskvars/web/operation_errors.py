"""Errors said as Camunda says them for the operation that raised them.

Camunda reports most errors of an operation under what it was doing ("Cannot put task
variable x: task t doesn't exist: task is null"). The spec declares that prefix per
operation (``x-camunda-error-prefix``), and errors with ``prefixed = True`` get it here,
after routing and around validation and the handler: the one place prefixes are applied.

Here too, in one place, a write that lost a race or waited too long for other writers
(the store's :class:`ConcurrentModificationError`) becomes Camunda's optimistic-locking
conflict, which clients retry; and a database that went away or a full disk, however
deep in a library it was noticed, becomes a 503 or a 507 instead of a 500.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.errors import (
    ApiError,
    DatabaseUnavailableError,
    InsufficientStorageError,
    OptimisticLockingError,
)
from taskvars.persistence.failures import StorageFullError, storage_failure
from taskvars.persistence.values import ConcurrentModificationError
from taskvars.web.framework import operation_id


class OperationErrorsMiddleware:
    def __init__(self, app: ASGIApp, *, prefixes: Mapping[str, str]) -> None:
        self.app = app
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            template = self.prefixes.get(operation_id(scope) or "", "")
            said = said_for_operation(error, template, scope.get("path_params", {}))
            if said is error:
                raise
            raise said from (error if said.__cause__ is error else None)


def said_for_operation(
    error: Exception, prefix_template: str, path_parameters: Mapping[str, str]
) -> Exception:
    """What the client is told of ``error``, raised by the operation whose
    ``x-camunda-error-prefix`` is ``prefix_template``: ``error`` itself when nothing
    changes. (Also the fast path's, :mod:`taskvars.web.fast_path`.)"""
    prefix = prefix_template.format_map(defaultdict(str, path_parameters))
    if isinstance(error, ConcurrentModificationError):
        return OptimisticLockingError(str(error)).with_prefix(prefix)
    if isinstance(error, ApiError):
        return error.with_prefix(prefix) if error.prefixed else error
    failure = storage_failure(error)
    if failure is None:
        return error
    said: Exception
    if isinstance(failure, StorageFullError):
        said = InsufficientStorageError(str(failure))
    else:
        said = DatabaseUnavailableError(str(failure))
    said.__cause__ = error  # the log's traceback goes on to what the storage said
    return said
