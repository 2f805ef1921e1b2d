"""Errors that leave the server as Camunda's error JSON: ``{"type", "message", "code"}``.

Handlers and the HTTP layer raise these; one error handler renders them
(see :mod:`taskvars.web.error_rendering`). ``code`` is ``None`` for errors of the
REST layer, ``0`` for errors Camunda raises in its engine, ``1`` for optimistic locking.
"""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    status: int = 500
    type: str = "RestException"
    code: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, object]:
        return {"type": self.type, "message": self.message, "code": self.code}


class InvalidRequestError(ApiError):
    status = 400
    type = "InvalidRequestException"


class RestError(ApiError):
    status = 400
    type = "RestException"


class IdTakenError(RestError):
    """[ours] 409 where Camunda fails on its database's unique constraint with a 500."""

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


class EngineError(ApiError):
    """An error Camunda raises inside its engine (``code`` 0)."""

    status = 500
    code = 0


class NullValueError(EngineError):
    type = "NullValueException"


class OptimisticLockingError(ApiError):
    status = 409
    type = "OptimisticLockingException"
    code = 1
