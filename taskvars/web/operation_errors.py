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
        except ConcurrentModificationError as conflict:
            raise self._said_for(scope, OptimisticLockingError(str(conflict))) from None
        except ApiError as error:
            if not error.prefixed:
                raise
            raise self._said_for(scope, error) from None
        except Exception as error:
            failure = storage_failure(error)
            if failure is None:
                raise
            if isinstance(failure, StorageFullError):
                raise InsufficientStorageError(str(failure)) from error
            raise DatabaseUnavailableError(str(failure)) from error

    def _said_for(self, scope: Scope, error: ApiError) -> ApiError:
        template = self.prefixes.get(operation_id(scope) or "", "")
        path_parameters = defaultdict(str, scope.get("path_params", {}))
        return error.with_prefix(template.format_map(path_parameters))
