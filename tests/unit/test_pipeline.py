"""The request pipeline is the one ordered list ``taskvars.app.pipeline`` declares, in
that order among connexion's own middlewares."""

from __future__ import annotations

from pathlib import Path

import pytest
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from taskvars.app import BASE_PATH, Stage, create_app, load_credentials, pipeline
from taskvars.credentials import hash_password
from taskvars.resources import load_spec
from taskvars.settings import Settings
from taskvars.web.allowed_methods import AllowedMethods
from taskvars.web.basic_auth import BasicAuthMiddleware
from taskvars.web.framework import middleware_classes
from taskvars.web.operation_errors import OperationErrorsMiddleware
from taskvars.web.request_observation import Operations


@pytest.fixture(scope="module")
def settings_with_auth(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    directory = tmp_path_factory.mktemp("pipeline")
    users = directory / "users"
    users.write_text(f"ann:{hash_password('secret')}\n")
    return Settings(database_url=f"sqlite:///{directory / 'db'}", auth_file=str(users))


def stages(settings: Settings) -> list[Stage]:
    spec = load_spec()
    return pipeline(
        settings, spec, AllowedMethods(spec, BASE_PATH), credentials=load_credentials(settings)
    )


def test_our_middlewares_run_in_the_declared_order(settings_with_auth: Settings) -> None:
    declared = [stage.middleware for stage in stages(settings_with_auth)]
    built = middleware_classes(create_app(settings_with_auth))
    assert [m for m in built if m in declared] == declared


def test_each_middleware_sits_where_its_stage_says(settings_with_auth: Settings) -> None:
    built = middleware_classes(create_app(settings_with_auth))
    position = built.index
    assert position(BasicAuthMiddleware) < position(SwaggerUIMiddleware)
    for stage in stages(settings_with_auth):
        if stage.position.value is RoutingMiddleware:
            assert position(stage.middleware) < position(RoutingMiddleware)
    assert (
        position(SecurityMiddleware)
        < position(OperationErrorsMiddleware)
        < position(RequestValidationMiddleware)
    )


def test_without_an_auth_file_nothing_asks_for_credentials(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db'}")
    assert BasicAuthMiddleware not in middleware_classes(create_app(settings))


def test_the_upload_operations_are_the_ones_with_multipart_bodies() -> None:
    operations = Operations.from_spec(load_spec(), BASE_PATH)
    assert operations.uploads == {
        "setBinaryTaskVariable",
        "setBinaryTaskLocalVariable",
        "setProcessInstanceVariableBinary",
        "setLocalExecutionVariableBinary",
        "createDeployment",  # its files are uploads too
        "addAttachment",  # so is an attachment's content
    }
    assert operations.path_templates["getTask"] == "/engine-rest/task/{id}"


def test_allow_names_the_methods_of_the_most_specific_path_whatever_the_spec_order() -> None:
    spec = {
        "paths": {
            "/task/{id}/comment/{commentId}": {"get": {}},
            "/task/{id}/comment/create": {"post": {}},
        }
    }
    allowed = AllowedMethods(spec, "/engine-rest")
    assert allowed.for_path("/engine-rest/task/t1/comment/create") == "POST"
    assert allowed.for_path("/engine-rest/task/t1/comment/c1") == "GET, HEAD"
    assert allowed.for_path("/engine-rest/elsewhere") is None
