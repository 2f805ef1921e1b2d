"""The application factory: the spec, its handlers, the request pipeline and errors.

The pipeline is :func:`pipeline`, one ordered list; :mod:`taskvars.web` describes each
stage among connexion's own, and the README's "Architecture" section walks a request
through it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import inflection
from connexion import AsyncApp
from connexion.datastructures import MediaTypeDict
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.utils import get_function_from_name
from connexion.validators import FormDataValidator, JSONResponseBodyValidator

from taskvars.c_heap import keep_transfer_buffers
from taskvars.credentials import Credentials
from taskvars.engine.job_executor import ExecutorOptions, JobExecutor
from taskvars.engine.stand_ins import NONE as NO_STAND_INS
from taskvars.engine.stand_ins import install as install_stand_ins
from taskvars.engine.stand_ins import load as load_stand_ins
from taskvars.handlers.http.runtime import STATE_KEY, Runtime
from taskvars.heap import settle_after_start
from taskvars.loop_lag import watching_the_loop
from taskvars.metrics import multiprocess
from taskvars.metrics.commits import watch_commits
from taskvars.metrics.pool import watch_pool
from taskvars.persistence import async_postgres
from taskvars.persistence.content_files import TemporaryUploadFile, UploadFile
from taskvars.persistence.external_task_signals import TopicListener
from taskvars.persistence.migrate import upgrade
from taskvars.persistence.statistics import StatisticsKeeper
from taskvars.persistence.unit_of_work import Database
from taskvars.resources import load_spec, spec_directory, spec_text
from taskvars.services.long_polling import ParkedFetches
from taskvars.settings import Settings
from taskvars.web.allowed_methods import AllowedMethods
from taskvars.web.basic_auth import BasicAuthMiddleware
from taskvars.web.body_limit import BodyLimitMiddleware
from taskvars.web.client_timeout import ClientTimeoutMiddleware
from taskvars.web.cross_site_writes import CrossSiteWriteMiddleware
from taskvars.web.declared_errors import operation_prefixes
from taskvars.web.docs_redirect import DocsRedirectMiddleware
from taskvars.web.dot_segments import DotSegmentMiddleware
from taskvars.web.error_rendering import register_error_handlers
from taskvars.web.fast_path import FastPathMiddleware
from taskvars.web.framework import CompiledParameterValidator, remove_per_request_waste
from taskvars.web.json_validator import json_body_validator
from taskvars.web.multipart import FormLimits, PartSink
from taskvars.web.multipart_validator import streaming_multipart_validator
from taskvars.web.named_engine import NamedEngineMiddleware
from taskvars.web.nul_characters import QueryNulMiddleware
from taskvars.web.operation_errors import OperationErrorsMiddleware
from taskvars.web.request_observation import Operations, RequestObservationMiddleware
from taskvars.web.spec_document import SpecDocumentMiddleware
from taskvars.web.tasklist_page import PAGE_PATH, TasklistPageMiddleware
from taskvars.web.unknown_parameters import (
    UnknownParametersMiddleware,
    declared_query_parameters,
)

HANDLERS_PACKAGE = "taskvars.handlers"
BASE_PATH = "/engine-rest"  # the path of the spec's server URLs, Camunda Run's default
DOCS_PATH = "/docs"  # Swagger UI, under BASE_PATH


@dataclass(frozen=True)
class Stage:
    """One of our middlewares, where it goes among connexion's, and its options."""

    middleware: type
    position: MiddlewarePosition
    options: dict[str, Any] = field(default_factory=dict)


def pipeline(
    settings: Settings,
    spec: dict[str, Any],
    allowed_methods: AllowedMethods,
    limits: FormLimits | None = None,
    *,
    credentials: Credentials | None = None,
) -> list[Stage]:
    """Our middlewares, outermost first (see :mod:`taskvars.web`). ``limits``: of the
    forms the server parses (default: spooled to temporary files); ``credentials``: of
    the auth file, when there is one (:func:`load_credentials`)."""
    limits = limits or form_limits(settings)
    stages = [
        Stage(
            RequestObservationMiddleware,
            MiddlewarePosition.BEFORE_EXCEPTION,
            {"operations": Operations.from_spec(spec, BASE_PATH)},
        ),
        Stage(CrossSiteWriteMiddleware, MiddlewarePosition.BEFORE_SWAGGER),
    ]
    if credentials is not None:
        stages.append(
            Stage(
                BasicAuthMiddleware, MiddlewarePosition.BEFORE_SWAGGER, {"credentials": credentials}
            )
        )
    return [
        *stages,
        Stage(
            SpecDocumentMiddleware,
            MiddlewarePosition.BEFORE_SWAGGER,
            {"spec": spec, "text": spec_text(), "base_path": BASE_PATH},
        ),
        Stage(TasklistPageMiddleware, MiddlewarePosition.BEFORE_SWAGGER),
        Stage(
            DocsRedirectMiddleware,
            MiddlewarePosition.BEFORE_SWAGGER,
            {"base_path": BASE_PATH, "docs_path": DOCS_PATH, "page_path": PAGE_PATH},
        ),
        Stage(
            ClientTimeoutMiddleware,
            MiddlewarePosition.BEFORE_ROUTING,
            {"seconds": settings.client_timeout_seconds},
        ),
        Stage(QueryNulMiddleware, MiddlewarePosition.BEFORE_ROUTING),
        Stage(DotSegmentMiddleware, MiddlewarePosition.BEFORE_ROUTING),
        Stage(
            NamedEngineMiddleware,
            MiddlewarePosition.BEFORE_ROUTING,
            {"base_path": BASE_PATH, "allowed_methods": allowed_methods},
        ),
        Stage(
            BodyLimitMiddleware,
            MiddlewarePosition.BEFORE_ROUTING,
            {"max_body_bytes": settings.max_upload_bytes},
        ),
        *(
            []
            if settings.no_fast_path
            else [
                Stage(
                    FastPathMiddleware,
                    MiddlewarePosition.BEFORE_ROUTING,
                    {
                        "spec": spec,
                        "base_path": BASE_PATH,
                        "limits": limits,
                        "strict_params": settings.strict_params,
                    },
                )
            ]
        ),
        Stage(
            OperationErrorsMiddleware,
            MiddlewarePosition.BEFORE_VALIDATION,
            {"prefixes": operation_prefixes(spec)},
        ),
        *(
            []
            if settings.strict_params
            else [
                Stage(
                    UnknownParametersMiddleware,
                    MiddlewarePosition.BEFORE_VALIDATION,
                    {"declared": declared_query_parameters(spec)},
                )
            ]
        ),
    ]


def load_credentials(settings: Settings) -> Credentials | None:
    """The users (and their groups) of the auth file; None without one."""
    return Credentials.from_file(Path(settings.auth_file)) if settings.auth_file else None


def create_app(settings: Settings, *, validate_responses: bool = False) -> AsyncApp:
    """Nothing connects to the database until the server starts (the lifespan)."""
    spec = load_spec()
    install_stand_ins(load_stand_ins(settings.stand_ins) if settings.stand_ins else NO_STAND_INS)
    database = Database(
        settings.database_url, chunk_bytes=settings.chunk_bytes, history=not settings.no_history
    )
    watch_pool(database.engine)
    if database.commit_engine is not database.engine:
        watch_pool(database.commit_engine)
    watch_commits(database)
    # On SQLite, large uploads spool straight into the content file they are stored as;
    # on PostgreSQL they are copied into the database as they arrive.
    streamed = database.streamed_uploads
    limits = form_limits(
        settings, database.new_upload_file, streamed.part_sink if streamed is not None else None
    )
    # Read once: the middleware checks passwords, the identity operations read groups.
    credentials = load_credentials(settings)
    app = AsyncApp(
        __name__,
        lifespan=_lifespan(settings, database, credentials),
        specification_dir=str(spec_directory()),
        # Swagger UI from the swagger-ui extra's files. The spec is served as written by
        # SpecDocumentMiddleware at the path the page loads, not as connexion's copy.
        swagger_ui_options=SwaggerUIOptions(
            serve_spec=False,
            spec_path="/openapi.json",
            swagger_ui=True,
            swagger_ui_path=DOCS_PATH,
            # operationIds are the names of generated clients' methods; over a hundred
            # operations want the filter box.
            swagger_ui_config={"displayOperationId": True, "filter": True},
        ),
    )
    app.add_api(
        load_spec(),  # a copy of its own: connexion changes the document it is given
        base_path=BASE_PATH,
        resolver=Resolver(function_resolver=_handler_function),
        pythonic_params=True,
        strict_validation=True,
        validate_responses=validate_responses,
        validator_map=_validators(limits),
    )
    # Each stage goes right before its position's middleware, so after the stages
    # added before it at the same position: adding them in order keeps the order.
    allowed_methods = AllowedMethods(spec, BASE_PATH)
    for stage in pipeline(settings, spec, allowed_methods, limits, credentials=credentials):
        app.add_middleware(stage.middleware, position=stage.position, **stage.options)
    register_error_handlers(app, allowed_methods)
    remove_per_request_waste(app)
    return app


def app_from_environment() -> AsyncApp:
    """The app of one worker process among several: settings come from ``TASKVARS_*``."""
    return create_app(Settings.from_env())


def form_limits(
    settings: Settings,
    open_spool_file: Callable[[], UploadFile] = TemporaryUploadFile,
    streamed_part_sink: Callable[[Callable[[], PartSink]], PartSink] | None = None,
) -> FormLimits:
    return FormLimits(
        open_spool_file=open_spool_file,
        streamed_part_sink=streamed_part_sink,
        max_parts=settings.max_form_parts,
        max_part_header_bytes=settings.max_part_header_bytes,
        max_text_part_bytes=settings.max_text_part_bytes,
        spool_memory_bytes=settings.spool_memory_bytes,
    )


def _validators(limits: FormLimits) -> dict[str, Any]:
    # Given to connexion, this replaces its whole body map: name every media type used.
    return {
        "body": MediaTypeDict(
            {
                "*/*json": json_body_validator(),
                "application/x-www-form-urlencoded": FormDataValidator,
                "multipart/form-data": streaming_multipart_validator(limits),
            }
        ),
        "parameter": CompiledParameterValidator,
        # Only JSON responses are checked: downloads are opaque bytes, and checking them
        # would hold them whole in memory.
        "response": MediaTypeDict({"*/*json": JSONResponseBodyValidator}),
    }


def _handler_function(controller_and_operation: str) -> Callable[..., Any]:
    """``task.createTask`` (``x-openapi-router-controller`` and operationId) ->
    ``taskvars.handlers.task.create_task``: operationIds stay Camunda's, function names
    stay Python's."""
    module, _, operation_id = controller_and_operation.rpartition(".")
    function: Callable[..., Any] = get_function_from_name(
        f"{HANDLERS_PACKAGE}.{module}.{inflection.underscore(operation_id)}"
    )
    return function


def _lifespan(
    settings: Settings, database: Database, credentials: Credentials | None
) -> Callable[[Any], Any]:
    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[dict[str, Runtime]]:
        try:
            await anyio.to_thread.run_sync(upgrade, database.engine)
            # Files of uploads a killed process left behind.
            await anyio.to_thread.run_sync(database.sweep_content_files)
            async with (
                _parked_fetches(settings) as parked_fetches,
                _job_executor(settings, database) as job_executor,
                _statistics_keeper(database),
                async_postgres.serving(database),  # the fast path's small requests
                watching_the_loop(),  # its stalls logged (loop_lag.py)
            ):
                settle_after_start()
                keep_transfer_buffers()
                yield {
                    STATE_KEY: Runtime(
                        settings=settings,
                        database=database,
                        parked_fetches=parked_fetches,
                        job_executor=job_executor,
                        credentials=credentials,
                    )
                }
        finally:
            database.dispose()
            if multiprocess.enabled():
                multiprocess.process_stopped()

    return lifespan


@asynccontextmanager
async def _job_executor(
    settings: Settings, database: Database
) -> AsyncIterator[JobExecutor | None]:
    """This process's job executor, unless told to run none; stopped at shutdown."""
    if settings.no_job_executor:
        yield None
        return
    executor = JobExecutor(
        database, settings.database_url, ExecutorOptions(lock_millis=settings.job_lock_millis)
    )
    executor.start()
    try:
        yield executor
    finally:
        await anyio.to_thread.run_sync(executor.stop)


@asynccontextmanager
async def _statistics_keeper(database: Database) -> AsyncIterator[StatisticsKeeper]:
    """The planner's statistics kept current while the server runs (statistics.py)."""
    keeper = StatisticsKeeper(database.engine)
    keeper.start()
    try:
        yield keeper
    finally:
        await anyio.to_thread.run_sync(keeper.stop)


@asynccontextmanager
async def _parked_fetches(settings: Settings) -> AsyncIterator[ParkedFetches]:
    """This process's waiting fetch-and-lock requests, told by every process's
    transactions which topics have tasks; all answered at shutdown."""
    parked = ParkedFetches(
        max_parked=settings.max_parked_fetches, recheck_seconds=settings.fetch_recheck_seconds
    )
    listener = TopicListener(settings.database_url, parked)
    listener.start()
    try:
        yield parked
    finally:
        parked.close()
        await anyio.to_thread.run_sync(listener.stop)
