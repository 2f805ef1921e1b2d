"""Where variables are written and read, through every endpoint family."""

from __future__ import annotations

import pytest

from tests.api_client import Api

TREE = {
    "id": "pi-1",
    "businessKey": "order-42",
    "processDefinitionKey": "invoice",
    "variables": {"customer": {"type": "String", "value": "ACME"}},
    "executions": [{"id": "ex-1", "parentId": "pi-1", "variables": {}}],
    "tasks": [{"id": "t-1", "name": "Approve", "executionId": "ex-1", "variables": {}}],
}


@pytest.fixture
def tree(api: Api) -> dict:
    return api.create_process_instance(TREE)


def names(api: Api, path: str) -> set[str]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return set(response.json())


def test_create_answers_with_the_created_ids(tree: dict) -> None:
    assert tree == {
        "id": "pi-1",
        "executions": [{"id": "ex-1", "parentId": "pi-1"}],
        "tasks": [{"id": "t-1", "executionId": "ex-1"}],
        "links": [
            {
                "method": "GET",
                "href": "http://testserver/engine-rest/process-instance/pi-1",
                "rel": "self",
            }
        ],
    }


def test_create_generates_missing_ids_and_defaults_parents_to_the_root(api: Api) -> None:
    created = api.create_process_instance({"executions": [{}], "tasks": [{}]})
    root = created["id"]
    assert created["executions"][0]["parentId"] == root
    assert created["tasks"][0]["executionId"] == root
    assert api.get(f"/task/{created['tasks'][0]['id']}").json()["processInstanceId"] == root


def test_initial_variables_are_readable(api: Api, tree: dict) -> None:
    assert api.get("/process-instance/pi-1/variables/customer").json() == {
        "type": "String",
        "value": "ACME",
        "valueInfo": {},
    }


def test_new_non_local_variable_is_created_in_the_top_most_scope(api: Api, tree: dict) -> None:
    assert api.upload("/task/t-1/variables/doc", b"pdf").status_code == 204
    assert "doc" in names(api, "/process-instance/pi-1/variables")
    assert "doc" in names(api, "/execution/pi-1/localVariables")
    assert "doc" not in names(api, "/execution/ex-1/localVariables")
    assert "doc" not in names(api, "/task/t-1/localVariables")


def test_non_local_write_updates_the_nearest_scope_that_holds_the_variable(
    api: Api, tree: dict
) -> None:
    api.upload("/execution/ex-1/localVariables/doc", b"on execution")
    api.upload("/process-instance/pi-1/variables/doc", b"on root")  # the root's own copy

    assert api.upload("/task/t-1/variables/doc", b"updated").status_code == 204

    assert api.get("/execution/ex-1/localVariables/doc/data").content == b"updated"
    assert api.get("/execution/pi-1/localVariables/doc/data").content == b"on root"
    assert "doc" not in names(api, "/task/t-1/localVariables")


def test_non_local_write_updates_the_task_when_it_holds_the_variable(api: Api, tree: dict) -> None:
    api.upload("/task/t-1/localVariables/doc", b"local")
    api.upload("/task/t-1/variables/doc", b"updated")
    assert api.get("/task/t-1/localVariables/doc/data").content == b"updated"
    assert "doc" not in names(api, "/process-instance/pi-1/variables")


def test_local_write_always_lands_on_the_task(api: Api, tree: dict) -> None:
    api.upload("/process-instance/pi-1/variables/doc", b"root")
    api.upload("/task/t-1/localVariables/doc", b"task")
    assert api.get("/task/t-1/localVariables/doc/data").content == b"task"
    assert api.get("/process-instance/pi-1/variables/doc/data").content == b"root"


def test_single_read_takes_the_nearest_scope(api: Api, tree: dict) -> None:
    api.upload("/process-instance/pi-1/variables/doc", b"root")
    assert api.get("/task/t-1/variables/doc/data").content == b"root"
    api.upload("/execution/ex-1/localVariables/doc", b"execution")
    assert api.get("/task/t-1/variables/doc/data").content == b"execution"
    api.upload("/task/t-1/localVariables/doc", b"task")
    assert api.get("/task/t-1/variables/doc/data").content == b"task"


def test_list_shows_everything_visible_and_the_nearest_wins_on_a_clash(
    api: Api, tree: dict
) -> None:
    api.upload("/process-instance/pi-1/variables/shared", b"root")
    api.upload("/task/t-1/localVariables/shared", b"task", value_type="File", filename="t.txt")
    api.upload("/execution/ex-1/localVariables/middle", b"ex")

    visible = api.get("/task/t-1/variables").json()
    assert set(visible) == {"customer", "shared", "middle"}
    assert visible["shared"]["type"] == "File"
    assert set(api.get("/task/t-1/localVariables").json()) == {"shared"}


def test_local_reads_do_not_see_parent_scopes(api: Api, tree: dict) -> None:
    response = api.get("/task/t-1/localVariables/customer")
    assert response.status_code == 404
    assert response.json()["message"] == "task variable with name customer does not exist"
    response = api.get("/execution/ex-1/localVariables/customer")
    assert response.json()["message"] == "execution variable with name customer does not exist"


def test_process_instance_endpoint_reads_what_the_task_wrote(api: Api, tree: dict) -> None:
    api.upload("/task/t-1/variables/doc", b"x", value_type="File", filename="d.txt")
    response = api.get("/process-instance/pi-1/variables/doc/data")
    assert response.content == b"x"
    assert response.headers["content-disposition"].startswith('attachment; filename="d.txt"')


def test_standalone_task_is_its_own_top_most_scope(api: Api) -> None:
    api.create_task("solo")
    api.upload("/task/solo/variables/doc", b"x")
    assert set(api.get("/task/solo/localVariables").json()) == {"doc"}


def test_subtask_writes_new_variables_to_its_parent_task(api: Api) -> None:
    api.create_task("parent")
    api.create_task("child", parentTaskId="parent")
    api.upload("/task/child/variables/doc", b"x")
    assert set(api.get("/task/parent/localVariables").json()) == {"doc"}
    assert set(api.get("/task/child/localVariables").json()) == set()
    assert api.get("/task/child").json()["parentTaskId"] == "parent"


def test_task_of_a_process_instance_describes_its_place(api: Api, tree: dict) -> None:
    task = api.get("/task/t-1").json()
    assert task["executionId"] == "ex-1"
    assert task["processInstanceId"] == "pi-1"
    assert task["name"] == "Approve"


def test_execution_ids_and_task_ids_are_separate_namespaces(api: Api, tree: dict) -> None:
    api.create_task("ex-1")  # the same id as an execution
    api.upload("/task/ex-1/variables/doc", b"task")
    assert "doc" not in names(api, "/execution/ex-1/localVariables")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/process-instance/none/variables/v", "Cannot get process instance variable v: "),
        ("/execution/none/localVariables/v", "Cannot get execution variable v: "),
        ("/process-instance/none/variables/v/data", "Cannot get process instance variable v: "),
        ("/execution/none/localVariables/v/data", "Cannot get execution variable v: "),
        ("/task/none/variables/v/data", "Cannot get task variable v: "),
        ("/task/none/localVariables/v", "Cannot get task variable v: "),
    ],
)
def test_reading_from_a_missing_scope_answers_camundas_500(
    api: Api, path: str, message: str
) -> None:
    response = api.get(path)
    assert response.status_code == 500
    noun = "task" if path.startswith("/task") else "execution"
    assert response.json() == {
        "type": "RestException",
        "message": f"{message}{noun} none doesn't exist: {noun} is null",
        "code": 0,
    }


@pytest.mark.parametrize(
    ("path", "noun"),
    [
        ("/process-instance/none/variables", "execution"),
        ("/execution/none/localVariables", "execution"),
        ("/task/none/variables", "task"),
        ("/task/none/localVariables", "task"),
    ],
)
def test_listing_a_missing_scope_is_a_null_value_error(api: Api, path: str, noun: str) -> None:
    response = api.get(path)
    assert response.status_code == 500
    assert response.json() == {
        "type": "NullValueException",
        "message": f"{noun} none doesn't exist: {noun} is null",
        "code": 0,
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/process-instance/none/variables/v/data", "Cannot put process instance variable v: "),
        ("/execution/none/localVariables/v/data", "Cannot put execution variable v: "),
        ("/task/none/localVariables/v/data", "Cannot put task variable v: "),
    ],
)
def test_uploading_to_a_missing_scope_answers_camundas_500(
    api: Api, path: str, message: str
) -> None:
    response = api.upload(path.removesuffix("/data"), b"x")
    assert response.status_code == 500
    noun = "task" if path.startswith("/task") else "execution"
    assert response.json()["message"] == f"{message}{noun} none doesn't exist: {noun} is null"


def test_missing_variable_is_a_404(api: Api, tree: dict) -> None:
    for path, noun in [
        ("/task/t-1/variables/nope", "task"),
        ("/task/t-1/variables/nope/data", "task"),
        ("/process-instance/pi-1/variables/nope", "process instance"),
        ("/execution/ex-1/localVariables/nope/data", "execution"),
    ]:
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {
            "type": "InvalidRequestException",
            "message": f"{noun} variable with name nope does not exist",
            "code": None,
        }


def test_downloading_a_value_that_is_not_binary_is_a_400(api: Api, tree: dict) -> None:
    response = api.get("/task/t-1/variables/customer/data")
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "Value of variable with id t-1 is not a binary value.",
        "code": None,
    }


def test_any_accept_header_is_accepted_for_downloads(api: Api, tree: dict) -> None:
    api.upload("/task/t-1/variables/doc", b"x")
    response = api.client.get(
        api.url("/task/t-1/variables/doc/data"), headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.content == b"x"


@pytest.mark.parametrize(
    ("tree", "status", "type_"),
    [
        ({"id": "dup", "executions": [{"id": "dup"}]}, 409, "RestException"),
        ({"tasks": [{"id": "a"}, {"id": "a"}]}, 409, "RestException"),
        ({"executions": [{"id": "e", "parentId": "nowhere"}]}, 404, "InvalidRequestException"),
        (
            {"executions": [{"id": "a", "parentId": "b"}, {"id": "b", "parentId": "a"}]},
            404,
            "InvalidRequestException",
        ),
        ({"tasks": [{"id": "t", "executionId": "nowhere"}]}, 404, "InvalidRequestException"),
        ({"variables": {"n": {"type": "Integer", "value": 2**31}}}, 400, "InvalidRequestException"),
        ({"variables": {"n": {"type": "Nonsense", "value": 1}}}, 400, "InvalidRequestException"),
        (
            {"variables": {"n": {"type": "Date", "value": "2013-13-01"}}},
            400,
            "InvalidRequestException",
        ),
    ],
)
def test_invalid_trees_are_refused_whole(api: Api, tree: dict, status: int, type_: str) -> None:
    response = api.client.post(api.url("/process-instance/create"), json={"id": "p", **tree})
    assert response.status_code == status, response.text
    assert response.json()["type"] == type_
    assert api.get("/process-instance/p/variables").status_code == 500  # nothing was created


def test_existing_ids_are_refused(api: Api, tree: dict) -> None:
    response = api.client.post(api.url("/process-instance/create"), json={"id": "pi-1"})
    assert response.status_code == 409
    assert response.json()["message"] == (
        "Cannot create process instance: execution pi-1 already exists"
    )
    response = api.client.post(api.url("/task/create"), json={"id": "t-1"})
    assert response.status_code == 409
    assert response.json() == {
        "type": "RestException",
        "message": "Cannot create task: a task with id t-1 already exists",
        "code": None,
    }


def test_subtask_of_a_missing_parent_is_a_404(api: Api) -> None:
    response = api.client.post(api.url("/task/create"), json={"id": "c", "parentTaskId": "none"})
    assert response.status_code == 404
    assert response.json()["message"] == "Cannot create task: parent task none does not exist"


def test_dates_roll_over_as_in_java(api: Api) -> None:
    api.create_task("t", due="2013-02-30T10:00:00.000+0200")
    # the same instant, in UTC
    assert api.get("/task/t").json()["due"] == "2013-03-02T08:00:00.000+0000"
