"""Who works here: Camunda's `GET /identity/groups` and `POST /identity/verify` from the
auth file's users and groups, the extension `GET /identity/current`, and the extension
`GET /limits`; with and without an auth file."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from taskvars.app import create_app
from taskvars.settings import Settings

BASE = "/engine-rest"


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


ANN_PASSWORD = "ann's pass"
ANN = basic("ann", ANN_PASSWORD)


@pytest.fixture(scope="module")
def signed_in_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    directory = tmp_path_factory.mktemp("identity")
    cheap = bcrypt.gensalt(rounds=4)  # fast for tests

    def hashed(password: str) -> str:
        return bcrypt.hashpw(password.encode(), cheap).decode()

    users = directory / "users"
    users.write_text(
        f"ann:{hashed(ANN_PASSWORD)}:sales, accounting\n"
        f"bob:{hashed('bob pass')}:accounting\n"
        f"cy:{hashed('cy pass')}\n"
    )
    settings = Settings(
        database_url=f"sqlite:///{directory / 'db'}",
        auth_file=str(users),
        max_upload_bytes=5_000_000,
    )
    with create_app(settings, validate_responses=True).test_client() as client:
        yield client


def result(user: str | None, authenticated: bool) -> dict[str, Any]:
    """Camunda's AuthenticationResult as Jackson writes it: its null fields included."""
    return {
        "authenticatedUser": user,
        "authenticated": authenticated,
        "groups": None,
        "tenants": None,
    }


def test_the_current_identity_is_the_user_the_request_signed_in_as(
    signed_in_client: Any,
) -> None:
    response = signed_in_client.get(f"{BASE}/identity/current", headers=ANN)
    assert response.status_code == 200
    assert response.json() == result("ann", True)


def test_without_credentials_even_the_current_identity_is_401(signed_in_client: Any) -> None:
    response = signed_in_client.get(f"{BASE}/identity/current")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="taskvars"'


def test_groups_come_from_the_auth_file_sorted_with_the_users_sharing_them(
    signed_in_client: Any,
) -> None:
    response = signed_in_client.get(
        f"{BASE}/identity/groups", params={"userId": "ann"}, headers=ANN
    )
    assert response.status_code == 200
    assert response.json() == {
        "groups": [{"id": "accounting", "name": "accounting"}, {"id": "sales", "name": "sales"}],
        "groupUsers": [{"id": "bob", "firstName": None, "lastName": None, "displayName": "bob"}],
    }


@pytest.mark.parametrize("user", ["cy", "nobody"])
def test_a_user_without_groups_or_unknown_has_none(signed_in_client: Any, user: str) -> None:
    response = signed_in_client.get(f"{BASE}/identity/groups", params={"userId": user}, headers=ANN)
    assert response.json() == {"groups": [], "groupUsers": []}


def test_groups_need_a_user_id(signed_in_client: Any) -> None:
    response = signed_in_client.get(f"{BASE}/identity/groups", headers=ANN)
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "No user id was supplied",  # IdentityRestServiceImpl.getGroupInfo
        "code": None,
    }


@pytest.mark.parametrize(
    ("username", "password", "authenticated"),
    [("bob", "bob pass", True), ("bob", "wrong", False), ("nobody", "bob pass", False)],
)
def test_verify_checks_a_password_against_the_auth_file(
    signed_in_client: Any, username: str, password: str, authenticated: bool
) -> None:
    response = signed_in_client.post(
        f"{BASE}/identity/verify", json={"username": username, "password": password}, headers=ANN
    )
    assert response.status_code == 200
    # As Camunda: the user is named whether or not the password is right.
    assert response.json() == result(username, authenticated)


@pytest.mark.parametrize("body", [{"username": "bob"}, {"password": "x"}, {}])
def test_verify_needs_a_username_and_a_password(signed_in_client: Any, body: Any) -> None:
    response = signed_in_client.post(f"{BASE}/identity/verify", json=body, headers=ANN)
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "Username and password are required",
        "code": None,
    }


def test_the_limits_name_the_largest_upload(signed_in_client: Any) -> None:
    response = signed_in_client.get(f"{BASE}/limits", headers=ANN)
    assert response.status_code == 200
    assert response.json() == {"maxUploadBytes": 5_000_000}


def test_without_an_auth_file_nobody_is_signed_in(client: Any) -> None:
    response = client.get(f"{BASE}/identity/current")
    assert response.json() == result(None, False)


def test_without_an_auth_file_no_password_is_right_and_nobody_has_groups(client: Any) -> None:
    verified = client.post(f"{BASE}/identity/verify", json={"username": "ann", "password": "x"})
    assert verified.json() == result("ann", False)
    groups = client.get(f"{BASE}/identity/groups", params={"userId": "ann"})
    assert groups.json() == {"groups": [], "groupUsers": []}


def test_the_default_limits(client: Any) -> None:
    assert client.get(f"{BASE}/limits").json() == {"maxUploadBytes": Settings().max_upload_bytes}


def test_a_bad_group_list_is_refused_at_start(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text(f"ann:{bcrypt.hashpw(b'x', bcrypt.gensalt(rounds=4)).decode()}:sales,\n")
    with pytest.raises(ValueError, match=r"line 1: the group list 'sales,' has an empty"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'db'}", auth_file=str(users)))


def test_a_candidate_users_query_finds_the_tasks_of_their_auth_file_groups(
    signed_in_client: Any,
) -> None:
    """Camunda's TaskQueryImpl.getCandidateGroups: a candidateUser's groups come from the
    identity service (here the auth file); groups given in the query come first."""
    tasks = {
        "for-accounting": {"candidateGroups": ["accounting"]},
        "for-ann": {"candidateUsers": ["ann"]},
        "for-marketing": {"candidateGroups": ["marketing"]},
        "assigned-in-sales": {"candidateGroups": ["sales"], "assignee": "bob"},
    }
    for task_id, people in tasks.items():
        created = signed_in_client.post(
            f"{BASE}/task/create", json={"id": task_id, **people}, headers=ANN
        )
        assert created.status_code == 204, created.text

    def found(body: dict[str, Any]) -> set[str]:
        """The tasks of this test a query finds: GET (its values as text), POST, count."""
        text = {
            name: ",".join(value)
            if isinstance(value, list)
            else str(value).lower()
            if isinstance(value, bool)
            else value
            for name, value in body.items()
        }
        listed = signed_in_client.get(f"{BASE}/task", params=text, headers=ANN)
        posted = signed_in_client.post(f"{BASE}/task", json=body, headers=ANN)
        assert listed.status_code == posted.status_code == 200, (listed.text, posted.text)
        ids = {task["id"] for task in listed.json()} & set(tasks)
        assert ids == {task["id"] for task in posted.json()} & set(tasks)
        counted = signed_in_client.get(f"{BASE}/task/count", params=text, headers=ANN)
        assert counted.json()["count"] == len(listed.json())
        return ids

    assert found({"candidateUser": "ann"}) == {"for-accounting", "for-ann"}
    assert found({"candidateUser": "ann", "includeAssignedTasks": True}) == {
        "for-accounting",
        "for-ann",
        "assigned-in-sales",
    }
    assert found({"candidateUser": "bob"}) == {"for-accounting"}
    assert found({"candidateUser": "cy"}) == set()  # in no group
    # Groups the query names replace the user's own.
    assert found({"candidateUser": "ann", "candidateGroups": ["marketing"]}) == {
        "for-ann",
        "for-marketing",
    }


def test_startable_by_finds_the_definitions_of_the_users_auth_file_groups(
    signed_in_client: Any,
) -> None:
    """Camunda's ProcessDefinitionQueryImpl.startableByUser: a candidate starter group
    the user is in (here: by the auth file) makes the definition startable by the user."""
    starters = {
        "for-accounting": 'camunda:candidateStarterGroups="accounting"',
        "for-ann": 'camunda:candidateStarterUsers="ann"',
        "for-marketing": 'camunda:candidateStarterGroups="marketing"',
        "for-nobody": "",
    }
    for key, attributes in starters.items():
        model = (
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:x">'
            f'<bpmn:process id="{key}" isExecutable="true" {attributes}>'
            '<bpmn:startEvent id="s"/></bpmn:process></bpmn:definitions>'
        )
        deployed = signed_in_client.post(
            f"{BASE}/deployment/create",
            files={"data": (f"{key}.bpmn", model.encode(), "text/xml")},
            headers=ANN,
        )
        assert deployed.status_code == 200, deployed.text

    def startable_by(user: str) -> set[str]:
        params = {"startableBy": user}
        listed = signed_in_client.get(f"{BASE}/process-definition", params=params, headers=ANN)
        assert listed.status_code == 200, listed.text
        keys = {definition["key"] for definition in listed.json()} & set(starters)
        counted = signed_in_client.get(
            f"{BASE}/process-definition/count", params=params, headers=ANN
        )
        assert counted.json()["count"] == len(listed.json())
        return keys

    assert startable_by("ann") == {"for-accounting", "for-ann"}  # in sales and accounting
    assert startable_by("bob") == {"for-accounting"}
    assert startable_by("cy") == set()  # in no group
    assert startable_by("accounting") == set()  # a group is not a user
