"""Every error leaves as Camunda's error JSON: never problem+json, HTML or a traceback.

Every middleware and handler raises its errors, so each error answer is made here, and
logged here once: at warning level with the operationId, the path and the message the
client gets (never a request's content); an unexpected one at error level with its
traceback.

The handlers are coroutines: connexion runs a plain function in the worker-thread pool,
so every error answer (a refused body, a 404) took a thread, and waited for one while
all were busy, say with requests queued for the database. Rendering is a few
microseconds of work; it runs on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from taskvars.errors import ApiError, MalformedMultipartError, error_body
from taskvars.web.allowed_methods import AllowedMethods
from taskvars.web.framework import operation_id
from taskvars.web.request_observation import request_id_of

ErrorHandler = Callable[[ConnexionRequest, Exception], Awaitable[ConnexionResponse]]

logger = logging.getLogger("taskvars.errors")

# What JAX-RS, under Camunda, names the HTTP errors it raises before any Camunda code runs.
_HTTP_EXCEPTION_TYPES = {
    404: ("NotFoundException", "HTTP 404 Not Found"),
    405: ("NotAllowedException", "HTTP 405 Method Not Allowed"),
    406: ("NotAcceptableException", "HTTP 406 Not Acceptable"),
    415: ("NotSupportedException", "HTTP 415 Unsupported Media Type"),
}


def render(
    request: ConnexionRequest,
    status: int,
    type_: str,
    message: str,
    code: int | None = None,
    headers: dict[str, str] | None = None,
    *,
    logged: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> ConnexionResponse:
    """The error answer; logged at warning level unless ``logged`` already."""
    if not logged:
        _log(logging.WARNING, request, status, f"{type_}: {message}")
    return ConnexionResponse(
        status_code=status,
        mimetype="application/json",
        content_type="application/json",
        body=error_body(type_, message, code, extra),
        headers=headers or {},
    )


def _log(
    level: int,
    request: ConnexionRequest,
    status: int,
    said: str,
    exc_info: BaseException | None = None,
) -> None:
    """One line per error answer: operation, method, path, status and what was said."""
    logger.log(
        level,
        "%s %s %s -> %d %s",
        operation_id(request.scope) or "-",
        request.method,
        request.scope.get("path", ""),
        status,
        said,
        exc_info=exc_info,
        extra={"request_id": request_id_of(request.scope)},
    )


async def api_error(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    assert isinstance(error, ApiError)
    return render(
        request,
        error.status,
        error.type,
        error.message,
        error.code,
        error.headers,
        extra=error.extra,
    )


async def problem(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """connexion's own errors: validation (400), unsupported media types (415), routing."""
    assert isinstance(error, ProblemException)
    status = error.status or 500
    headers = dict(error.headers or {})
    if status in _HTTP_EXCEPTION_TYPES and status != 400:
        type_, message = _HTTP_EXCEPTION_TYPES[status]
        return render(request, status, type_, error.detail or message, None, headers)
    if status >= 500:
        _log(logging.ERROR, request, status, f"{error.title}: {error.detail}")
        return render(
            request,
            status,
            type(error).__name__,
            "An unexpected error occurred",
            None,
            headers,
            logged=True,
        )
    return render(
        request, status, "InvalidRequestException", str(error.detail or error.title), None, headers
    )


def http_error(allowed_methods: AllowedMethods) -> ErrorHandler:
    async def handle(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        assert isinstance(error, HTTPException)
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = allowed_methods.for_path(request.url.path) or headers.get(
                "Allow", ""
            )
        type_, message = _HTTP_EXCEPTION_TYPES.get(
            error.status_code, ("RestException", f"HTTP {error.status_code}")
        )
        return render(request, error.status_code, type_, message, None, headers)

    return handle


async def malformed_multipart(request: ConnexionRequest, _error: Exception) -> ConnexionResponse:
    error = MalformedMultipartError()
    return render(request, error.status, error.type, error.message, error.code)


async def unexpected(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    _log(logging.ERROR, request, 500, "unexpected error", exc_info=error)
    # Camunda's error type is the exception's class name; the log has the rest.
    message = "An unexpected error occurred; see the server log"
    return render(request, 500, type(error).__name__, message, logged=True)


def register_error_handlers(app: AsyncApp, allowed_methods: AllowedMethods) -> None:
    app.add_error_handler(ApiError, api_error)
    app.add_error_handler(ProblemException, problem)
    app.add_error_handler(HTTPException, http_error(allowed_methods))
    app.add_error_handler(MultiPartException, malformed_multipart)
    app.add_error_handler(Exception, unexpected)
