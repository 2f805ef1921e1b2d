"""Every error a client can be told about, and the one JSON body they all leave as.

Camunda answers ``{"type": ..., "message": ..., "code": ...}``: ``type`` is its exception
name, ``code`` is ``None`` for errors of the REST layer, ``0`` for errors its engine
raises, ``1`` for optimistic locking. Services and the HTTP layer raise these classes;
:mod:`taskvars.web.error_rendering` renders them, and the HTTP protocol's own 400s use
:func:`error_body` too.

Operations whose errors Camunda prefixes with what they were doing ("Cannot put task
variable x: ...") declare that prefix in the spec (``x-camunda-error-prefix``); errors
with ``prefixed = True`` get it, in one place (:mod:`taskvars.web.operation_errors`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def error_body(
    type_: str, message: str, code: int | None = None, extra: Mapping[str, Any] | None = None
) -> bytes:
    """Camunda's error JSON; ``extra`` has the fields of an exception's own DTO."""
    return json.dumps({"type": type_, "message": message, "code": code, **(extra or {})}).encode()


class ApiError(Exception):
    status: int = 500
    type: str = "RestException"
    code: int | None = None
    # Whether the operation's error prefix (see the module docstring) goes before the message.
    prefixed: bool = False
    # Fields of the exception's own DTO beside type, message and code.
    extra: Mapping[str, Any] = {}

    def __init__(
        self,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        prefixed: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})
        if prefixed is not None:
            self.prefixed = prefixed

    def with_prefix(self, prefix: str) -> ApiError:
        """The same error, its message after ``prefix``."""
        if not prefix:
            return self
        prefixed = type(self).__new__(type(self))
        prefixed.__dict__.update(self.__dict__)
        prefixed.message = prefix + self.message
        prefixed.args = (prefixed.message,)
        prefixed.prefixed = False
        return prefixed


# The REST layer's errors (code None)


class InvalidRequestError(ApiError):
    status = 400
    type = "InvalidRequestException"


class InvalidValueError(InvalidRequestError):
    """A value in the request cannot be used: a schema violation of a JSON body, or a
    typed value that cannot become its type. Camunda reports it under the operation."""

    prefixed = True


class NotFoundError(InvalidRequestError):
    """Camunda's 404s for a missing task, variable or process instance."""

    status = 404


class ForbiddenError(InvalidRequestError):
    """Camunda's 403 ``InvalidRequestException``: comments and attachments written while
    history is off (``TaskCommentResourceImpl.ensureHistoryEnabled``)."""

    status = 403


class RestError(ApiError):
    status = 400
    type = "RestException"


class RestNotFoundError(RestError):
    """404s Camunda's resources raise as a plain ``RestException`` (a process definition
    looked up by key)."""

    status = 404


class ConflictError(RestError):
    """409 where Camunda fails with a 500: an id taken, a task moved into a cycle
    (docs/compatibility.md, "Existing ids", "Moving tasks with PUT /task/{id}")."""

    status = 409


class MalformedMultipartError(RestError):
    MESSAGE = "multipart/form-data cannot be processed"

    def __init__(self, detail: str | None = None) -> None:
        # Camunda's exact text for broken framing; our own limits add what was exceeded.
        super().__init__(f"{self.MESSAGE}: {detail}" if detail else self.MESSAGE)


class PayloadTooLargeError(RestError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body exceeds the configured limit of {limit} bytes")


class RequestTimeoutError(RestError):
    status = 408

    @classmethod
    def body_stalled(cls, seconds: float) -> RequestTimeoutError:
        return cls(f"The client sent no part of the body for {seconds:g} s; nothing was stored")


class ClientDisconnectedError(RestError):
    def __init__(self) -> None:
        super().__init__("The client disconnected before the body was complete")


class RangeNotSatisfiableError(RestError):
    status = 416

    def __init__(self, size: int) -> None:
        super().__init__(
            f"The requested range is not within the value's {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        )


class NotAuthorizedError(ApiError):
    """JAX-RS's name for a 401, as Camunda reports its other HTTP-level errors."""

    status = 401
    type = "NotAuthorizedException"


class DatabaseUnavailableError(ApiError):
    """The database did not answer (docs/compatibility.md, "When the database goes away")."""

    status = 503


class InsufficientStorageError(ApiError):
    """The disk or the database is full (docs/compatibility.md, "A full disk")."""

    status = 507


# The engine's errors (code 0)


class EngineError(ApiError):
    """An error Camunda raises inside its engine, reported under the operation."""

    status = 500
    code = 0
    prefixed = True


class NullValueError(EngineError):
    """Camunda's bare ``NullValueException``, which it reports without a prefix."""

    type = "NullValueException"
    prefixed = False


class NullArgumentError(NullValueError):
    """A command's argument the client left out (``EnsureUtil.ensureNotNull``: "workerId
    is null"). Camunda answers 500; it is the client's to fix, so a 400 here."""

    status = 400


class ProcessEngineError(EngineError):
    """The engine's plain ``ProcessEngineException``, reported without a prefix."""

    type = "ProcessEngineException"
    prefixed = False


class SuspendedEntityError(EngineError):
    """Camunda's ``SuspendedEntityInteractionException``: a command that would change a
    task of a suspended process instance (``TaskEntity.ensureTaskActive``)."""

    type = "SuspendedEntityInteractionException"

    def __init__(self, noun: str, entity_id: str) -> None:
        super().__init__(f"{noun} with id '{entity_id}' is suspended.")


class ModelRunError(EngineError):
    """A deployed model could not move on: a condition over variables the request did not
    set, say. Camunda answers 500; it is the client's to fix, so a 400 here."""

    status = 400
    type = "ProcessEngineException"


class DefinitionInUseError(ProcessEngineError):
    """A deployment deleted without ``cascade`` while its process instances run. Camunda
    answers 500; it is a conflict with what runs, so a 409 here."""

    status = 409


class TaskAlreadyClaimedError(EngineError):
    type = "TaskAlreadyClaimedException"
    prefixed = False


class ModelParseError(ApiError):
    """A deployed model this server cannot run: Camunda's ``ParseException``, a 400."""

    status = 400
    type = "ParseException"
    code = 0

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        # ParseExceptionDto.details: resource name -> ResourceReportDto.
        self.extra = {"details": dict(details or {})}


class BadUserRequestError(ApiError):
    """The engine's ``BadUserRequestException``, which Camunda answers with a 400."""

    status = 400
    type = "BadUserRequestException"
    code = 0


class EngineNotFoundError(ApiError):
    """The engine's ``NotFoundException``, a ``BadUserRequestException``, which Camunda's
    REST layer answers with a 400 (``ExceptionHandlerHelper.getStatus``)."""

    status = 400
    type = "NotFoundException"
    code = 0


class OptimisticLockingError(ApiError):
    """409 for a write that lost a race it cannot resolve, where Camunda answers 500
    (docs/compatibility.md, "Concurrent writes to one variable")."""

    status = 409
    type = "OptimisticLockingException"
    code = 1
    prefixed = True

    def __init__(self, reason: str) -> None:
        super().__init__(f"{reason}; nothing was changed, retry")


class EngineInputError(EngineError):
    """A command's argument Camunda's engine refuses (``EnsureUtil``: "lockTime is not
    greater than 0"), with its type and message. Camunda answers 500; it is the client's
    to fix, so a 400 here."""

    status = 400
    type = "ProcessEngineException"
    prefixed = False


class CrossSiteWriteError(ApiError):
    """JAX-RS's name for a 403: a write sent by a browser from another site or origin
    (:mod:`taskvars.web.cross_site_writes`)."""

    status = 403
    type = "ForbiddenException"
