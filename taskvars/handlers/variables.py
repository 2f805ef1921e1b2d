"""Variable operations shared by tasks, process instances and executions.

Camunda's variable resources differ only in three things, held by
:class:`VariableResource`: the noun in their messages, which id space their ``{id}``
names, and whether they are local (read and write the scope itself only).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import connexion
from connexion import NoContent
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from taskvars.errors import (
    ApiError,
    InvalidRequestError,
    NullValueError,
    OptimisticLockingError,
    RestError,
)
from taskvars.handlers.runtime import runtime
from taskvars.persistence.content_files import ContentReplacedError
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import (
    ConcurrentModificationError,
    NewValue,
    ScopeNotFoundError,
    ScopeRef,
    StoredValue,
)
from taskvars.services.binary_upload import interpret_upload
from taskvars.services.typed_values import (
    ValueConversionError,
    is_transient,
    value_from_dto,
    value_to_dto,
)
from taskvars.web.download_headers import binary_headers
from taskvars.web.multipart import MultipartForm
from taskvars.web.ranges import ByteRange, none_match, requested_range, strong_etag

P = ParamSpec("P")
T = TypeVar("T")

BINARY_TYPES = frozenset({"Bytes", "File"})
CONTENT_READ_ATTEMPTS = 3
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@dataclass(frozen=True)
class VariableResource:
    noun: str
    id_space: IdSpace
    local: bool

    def chain(self, uow: UnitOfWork, scope_id: str) -> list[ScopeRef]:
        """The scopes whose variables this resource sees, nearest first."""
        chain = uow.store.scope_chain(self.id_space, scope_id)
        return chain[:1] if self.local else chain

    def engine_error(self, verb: str, name: str, error: Exception) -> ApiError:
        """Camunda wraps engine errors of single-variable operations like this."""
        return RestError(f"Cannot {verb} {self.noun} variable {name}: {error}", status=500, code=0)

    def variable_missing(self, name: str) -> ApiError:
        return InvalidRequestError(
            f"{self.noun} variable with name {name} does not exist", status=404
        )


TASK_VARIABLES = VariableResource("task", IdSpace.TASK, local=False)
TASK_LOCAL_VARIABLES = VariableResource("task", IdSpace.TASK, local=True)
PROCESS_INSTANCE_VARIABLES = VariableResource("process instance", IdSpace.EXECUTION, local=False)
EXECUTION_LOCAL_VARIABLES = VariableResource("execution", IdSpace.EXECUTION, local=True)


def upload_binary(
    resource: VariableResource, scope_id: str, name: str, form: MultipartForm
) -> tuple[Any, int]:
    app = runtime()
    with form:
        upload = interpret_upload(form, chunk_bytes=app.settings.chunk_bytes)
        if upload.value is None:
            return NoContent, 204  # a JSON null: Camunda stores nothing and asks nothing
        with app.database.unit_of_work(write=True) as uow:
            try:
                chain = uow.store.scope_chain(resource.id_space, scope_id)
            except ScopeNotFoundError as error:
                if upload.serialized:
                    raise NullValueError(str(error)) from None
                raise resource.engine_error("put", name, error) from None
            if upload.transient:
                return NoContent, 204
            with conflicts_as_409(f"Cannot put {resource.noun} variable {name}"):
                uow.store.set_variable(chain, name, upload.value, local=resource.local)
                uow.commit()
    return NoContent, 204


def put_variable(
    resource: VariableResource, scope_id: str, name: str, dto: dict[str, Any]
) -> tuple[Any, int]:
    app = runtime()
    try:
        value = value_from_dto(dto, chunk_bytes=app.settings.chunk_bytes)
    except ValueConversionError as error:
        raise InvalidRequestError(f"Cannot put {resource.noun} variable {name}: {error}") from None
    with app.database.unit_of_work(write=True) as uow:
        try:
            chain = uow.store.scope_chain(resource.id_space, scope_id)
        except ScopeNotFoundError as error:
            raise resource.engine_error("put", name, error) from None
        if is_transient(dto):
            return NoContent, 204
        with conflicts_as_409(f"Cannot put {resource.noun} variable {name}"):
            uow.store.set_variable(chain, name, value, local=resource.local)
            uow.commit()
    return NoContent, 204


def delete_variable(resource: VariableResource, scope_id: str, name: str) -> tuple[Any, int]:
    with runtime().database.unit_of_work(write=True) as uow:
        try:
            chain = uow.store.scope_chain(resource.id_space, scope_id)
        except ScopeNotFoundError as error:
            raise resource.engine_error("delete", name, error) from None
        with conflicts_as_409(f"Cannot delete {resource.noun} variable {name}"):
            uow.store.delete_variable(chain, name, local=resource.local)
            uow.commit()
    return NoContent, 204


def modify_variables(
    resource: VariableResource, scope_id: str, patch: dict[str, Any]
) -> tuple[Any, int]:
    """Modifications first, then deletions, in one transaction (compat §4)."""
    prefix = f"Cannot modify variables for {resource.noun} {scope_id}"
    values = convert_values(patch.get("modifications"), prefix)
    with runtime().database.unit_of_work(write=True) as uow:
        try:
            chain = uow.store.scope_chain(resource.id_space, scope_id)
        except ScopeNotFoundError as error:
            raise RestError(f"{prefix}: {error}", status=500, code=0) from None
        with conflicts_as_409(prefix):
            for name, value in values.items():
                uow.store.set_variable(chain, name, value, local=resource.local)
            for name in patch.get("deletions") or []:
                uow.store.delete_variable(chain, name, local=resource.local)
            uow.commit()
    return NoContent, 204


@contextmanager
def conflicts_as_409(prefix: str) -> Iterator[None]:
    try:
        yield
    except ConcurrentModificationError:
        raise OptimisticLockingError(
            f"{prefix}: it was changed by another request at the same time; "
            "nothing was written, retry"
        ) from None


def reading_current_content(read: Callable[P, T]) -> Callable[P, T]:
    """Run a read again when the content file its snapshot named was removed by a writer
    that replaced the value meanwhile (see content_files): the next snapshot sees the
    newer value. A value replaced under every attempt is a 409, as a lost write race is."""

    @functools.wraps(read)
    def read_again_if_replaced(*args: P.args, **kwargs: P.kwargs) -> T:
        for _ in range(CONTENT_READ_ATTEMPTS):
            try:
                return read(*args, **kwargs)
            except ContentReplacedError:
                continue
        raise OptimisticLockingError(
            "The value was replaced each time it was read; nothing was read, retry"
        )

    return read_again_if_replaced


@reading_current_content
def get_variable(
    resource: VariableResource, scope_id: str, name: str, deserialize: bool
) -> dict[str, Any]:
    with runtime().database.unit_of_work(write=False) as uow:
        stored = _visible(resource, uow, scope_id, name)
        content = None
        if stored.type == "Bytes" and stored.content_pk is not None:
            content = uow.store.contents([stored])[stored.content_pk]
        return value_to_dto(stored, deserialize=deserialize, content=content)


@reading_current_content
def get_variables(resource: VariableResource, scope_id: str, deserialize: bool) -> dict[str, Any]:
    with runtime().database.unit_of_work(write=False) as uow:
        try:
            chain = resource.chain(uow, scope_id)
        except ScopeNotFoundError as error:
            raise NullValueError(str(error)) from None
        return variable_map(uow, chain, deserialize)


def variable_map(uow: UnitOfWork, chain: list[ScopeRef], deserialize: bool) -> dict[str, Any]:
    """Every variable visible from ``chain[0]``, as Camunda's ``{name: VariableValueDto}``,
    in a number of queries that does not grow with the number of variables."""
    visible = uow.store.visible_variables(chain)
    contents = uow.store.contents(v for v in visible.values() if v.type == "Bytes")
    return {
        name: value_to_dto(
            stored,
            deserialize=deserialize,
            content=contents.get(stored.content_pk) if stored.content_pk is not None else None,
        )
        for name, stored in visible.items()
    }


def convert_values(dtos: dict[str, Any] | None, error_prefix: str) -> dict[str, NewValue]:
    """``{name: VariableValueDto}`` as values to store, transient ones left out."""
    chunk_bytes = runtime().settings.chunk_bytes
    try:
        return {
            name: value_from_dto(dto, chunk_bytes=chunk_bytes)
            for name, dto in (dtos or {}).items()
            if not is_transient(dto)
        }
    except ValueConversionError as error:
        raise InvalidRequestError(f"{error_prefix}: {error}") from None


@reading_current_content
def download_binary(resource: VariableResource, scope_id: str, name: str) -> Response:
    """Stream the value (or the requested range of it) out of one read transaction,
    closed when the stream ends."""
    request_headers = connexion.request.headers
    uow = runtime().database.unit_of_work(write=False).open()
    try:
        stored = _visible(resource, uow, scope_id, name)
        if stored.type not in BINARY_TYPES:
            raise InvalidRequestError(
                f"Value of variable with id {scope_id} is not a binary value."
            )
        size = stored.content_size or 0
        etag = strong_etag(stored.content_sha256 or EMPTY_SHA256)
        if none_match(request_headers.get("if-none-match"), etag):
            uow.close()
            return Response(
                status_code=304, headers={"ETag": etag, "X-Content-Type-Options": "nosniff"}
            )
        headers = {**binary_headers(stored), "ETag": etag, "Accept-Ranges": "bytes"}
        byte_range = requested_range(
            request_headers.get("range"), request_headers.get("if-range"), etag, size
        )
        if byte_range is None:
            status, chunks = 200, _content(uow, stored)
        else:
            status = 206
            chunks = _content(uow, stored, byte_range)
            headers["Content-Range"] = byte_range.content_range(size)
            headers["Content-Length"] = str(byte_range.length)
        return StreamingResponse(
            _then_close(uow, chunks),
            status_code=status,
            headers=headers,
            background=BackgroundTask(uow.close),
        )
    except BaseException:
        uow.close()
        raise


def _visible(resource: VariableResource, uow: UnitOfWork, scope_id: str, name: str) -> StoredValue:
    try:
        chain = resource.chain(uow, scope_id)
    except ScopeNotFoundError as error:
        raise resource.engine_error("get", name, error) from None
    stored = uow.store.visible_variable(chain, name)
    if stored is None:
        raise resource.variable_missing(name)
    return stored


def _content(
    uow: UnitOfWork, stored: StoredValue, byte_range: ByteRange | None = None
) -> Iterator[bytes]:
    if stored.content_pk is None:
        return iter(())
    if byte_range is None:
        return uow.store.content_chunks(stored, runtime().settings.chunk_bytes)
    return uow.store.content_slice(stored, byte_range.start, byte_range.end)


def _then_close(uow: UnitOfWork, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        uow.close()
