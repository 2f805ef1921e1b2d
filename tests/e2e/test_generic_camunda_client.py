"""``generic-camunda-client`` from PyPI, generated from Camunda's own OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import generic_camunda_client as camunda
import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(server: Server, tmp_path: Path) -> Iterator[camunda.ApiClient]:
    configuration = camunda.Configuration(host=server.base_url)
    configuration.temp_folder_path = str(tmp_path / "downloads")
    (tmp_path / "downloads").mkdir()
    with camunda.ApiClient(configuration) as api_client:
        yield api_client


@pytest.fixture
def task_id(client: camunda.ApiClient) -> str:
    camunda.TaskApi(client).create_task(task_dto=camunda.TaskDto(id="gc-task", name="Review"))
    return "gc-task"


@dataclass(frozen=True)
class VariableEndpoints:
    """The client's methods for task variables, or for task-local variables."""

    upload: Callable[..., Any]
    download: Callable[..., Any]
    read: Callable[..., Any]
    read_all: Callable[..., Any]


def endpoints(client: camunda.ApiClient, local: bool) -> VariableEndpoints:
    if local:
        api = camunda.TaskLocalVariableApi(client)
        return VariableEndpoints(
            api.set_binary_task_local_variable,
            api.get_task_local_variable_binary,
            api.get_task_local_variable,
            api.get_task_local_variables,
        )
    api = camunda.TaskVariableApi(client)
    return VariableEndpoints(
        api.set_binary_task_variable,
        api.get_task_variable_binary,
        api.get_task_variable,
        api.get_task_variables,
    )


def write(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


def test_task_is_created_and_read(client: camunda.ApiClient, task_id: str) -> None:
    task = camunda.TaskApi(client).get_task(task_id)
    assert task.id == task_id
    assert task.name == "Review"


@pytest.mark.parametrize("local", [False, True], ids=["variables", "localVariables"])
def test_file_round_trips(
    client: camunda.ApiClient, task_id: str, tmp_path: Path, local: bool
) -> None:
    variables = endpoints(client, local)
    content = "Grüße, café\n".encode() * 100

    variables.upload(
        task_id, "report", data=write(tmp_path / "report.txt", content), value_type="File"
    )

    value = variables.read(task_id, "report", deserialize_value=False)
    assert value.type == "File"
    assert value.value_info == {"filename": "report.txt", "mimeType": "text/plain"}
    downloaded = Path(variables.download(task_id, "report"))
    assert downloaded.name == "report.txt"
    assert downloaded.read_bytes() == content


@pytest.mark.parametrize("local", [False, True], ids=["variables", "localVariables"])
def test_bytes_round_trip(
    client: camunda.ApiClient, task_id: str, tmp_path: Path, local: bool
) -> None:
    variables = endpoints(client, local)
    content = bytes(range(256)) * 64

    variables.upload(
        task_id, "blob", data=write(tmp_path / "blob.bin", content), value_type="Bytes"
    )

    assert Path(variables.download(task_id, "blob")).read_bytes() == content
    listed = variables.read_all(task_id, deserialize_values=False)
    assert listed["blob"].type == "Bytes"


def test_local_upload_is_not_visible_to_another_task(
    client: camunda.ApiClient, task_id: str, tmp_path: Path
) -> None:
    camunda.TaskApi(client).create_task(task_dto=camunda.TaskDto(id="other"))
    camunda.TaskLocalVariableApi(client).set_binary_task_local_variable(
        task_id, "mine", data=write(tmp_path / "m.bin", b"m"), value_type="Bytes"
    )
    with pytest.raises(camunda.ApiException) as raised:
        camunda.TaskVariableApi(client).get_task_variable("other", "mine")
    assert raised.value.status == 404


def test_missing_task_surfaces_as_camundas_500(client: camunda.ApiClient, tmp_path: Path) -> None:
    with pytest.raises(camunda.ApiException) as raised:
        camunda.TaskVariableApi(client).set_binary_task_variable(
            "absent", "x", data=write(tmp_path / "x.bin", b"x"), value_type="Bytes"
        )
    assert raised.value.status == 500
    assert "task absent doesn't exist" in raised.value.body


def test_engine_names_and_the_named_engine_paths(server: Server, tmp_path: Path) -> None:
    """The client's EngineApi, and the whole client pointed at ``/engine/default``."""
    configuration = camunda.Configuration(host=f"{server.base_url}/engine/default")
    configuration.temp_folder_path = str(tmp_path)
    with camunda.ApiClient(configuration) as named:
        camunda.TaskApi(named).create_task(task_dto=camunda.TaskDto(id="named", name="Named"))
        camunda.TaskVariableApi(named).set_binary_task_variable(
            "named", "doc", data=write(tmp_path / "doc.bin", b"\x00\x01named"), value_type="Bytes"
        )
        assert camunda.TaskApi(named).get_task("named").name == "Named"
    with camunda.ApiClient(camunda.Configuration(host=server.base_url)) as plain:
        names = camunda.EngineApi(plain).get_process_engine_names()
        assert [engine.name for engine in names] == ["default"]
        stored = camunda.TaskVariableApi(plain).get_task_variable("named", "doc")
        assert stored.type == "Bytes"


def test_variable_instances_list_count_read_and_download(
    client: camunda.ApiClient, task_id: str, tmp_path: Path
) -> None:
    camunda.TaskVariableApi(client).set_binary_task_variable(
        task_id, "blob", data=write(tmp_path / "blob.bin", b"\x00\x01blob"), value_type="Bytes"
    )
    instances = camunda.VariableInstanceApi(client)
    listed = instances.get_variable_instances(task_id_in=task_id)
    assert [(v.name, v.type, v.task_id) for v in listed] == [("blob", "Bytes", task_id)]
    assert instances.get_variable_instances_count(task_id_in=task_id).count == 1
    assert instances.get_variable_instance(listed[0].id).name == "blob"
    downloaded = instances.get_variable_instance_binary(listed[0].id)
    assert Path(downloaded).read_bytes() == b"\x00\x01blob"
