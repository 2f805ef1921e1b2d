"""``django-camunda`` from PyPI, configured by tests/e2e/django_settings.py, run
unmodified against a real server process: its configuration form, which refuses a
Camunda whose ``GET /version`` fails, its client, and ``start_process``, which keeps the
instance's ``self`` link."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.deployed_models import deploy_model, start_instance
from tests.e2e.server import Server

pytestmark = [
    pytest.mark.e2e,
    # django-camunda's form declares a URLField without assume_scheme, which Django 5
    # warns about; the URLs given here carry their scheme.
    pytest.mark.filterwarnings("ignore:The default scheme will be changed:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def django_app() -> None:
    """Django set up once per process, its tables made in the in-memory database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.e2e.django_settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@pytest.fixture
def configured(django_app: None, server: Server) -> Iterator[None]:
    """The app's configuration saved through its form, pointing at the server."""
    from django_camunda.models import CamundaConfig

    form = configuration_form(server.base_url.removesuffix("engine-rest"))
    assert form.is_valid(), form.errors
    form.save()
    yield
    CamundaConfig.objects.all().delete()


def configuration_form(root_url: str, rest_api_path: str = "engine-rest/") -> Any:
    from django_camunda.forms import CamundaConfigForm
    from django_camunda.models import CamundaConfig

    data = {"root_url": root_url, "rest_api_path": rest_api_path}
    return CamundaConfigForm(data=data, instance=CamundaConfig.get_solo())


def test_the_configuration_is_saved_once_the_server_answers_its_version_check(
    configured: None, server: Server
) -> None:
    """The form's check is ``CamundaConfig.clean``: ``GET {api root}version`` must be a
    2xx; ``get_client().get("version")`` then reads ``VersionDto``."""
    from django_camunda.client import get_client
    from django_camunda.models import CamundaConfig

    assert CamundaConfig.get_solo().api_root == f"{server.base_url}/"
    version = get_client().get("version")
    assert version["version"].startswith("7."), version


def test_the_configuration_is_refused_where_the_version_check_fails(
    django_app: None, server: Server
) -> None:
    form = configuration_form(server.base_url.removesuffix("engine-rest"), "not-engine-rest/")
    assert not form.is_valid()
    assert "while checking the version endpoint" in str(form.errors)


def test_start_process_returns_the_instance_and_its_self_link(
    configured: None, server: Server, http: httpx.Client
) -> None:
    """``start_process``: ``POST /process-definition/key/{key}/start`` (or
    ``/process-definition/{id}/start``) with ``businessKey``, ``withVariablesInReturn:
    false`` and the variables; it reads ``id`` and the ``href`` of the ``self`` link."""
    from django_camunda.api import get_process_instance_variable
    from django_camunda.client import get_client
    from django_camunda.tasks import start_process

    invoice = deploy_model(http, "invoice.bpmn")
    started = start_process(
        process_key="invoice",
        business_key="INV-9",
        variables={"clerk": {"type": "String", "value": "anna"}},
    )
    instance_id = started["instance_id"]
    assert started["instance_url"] == f"{server.base_url}/process-instance/{instance_id}"
    instance = get_client().get(f"process-instance/{instance_id}")
    assert (instance["business_key"], instance["definition_id"]) == ("INV-9", invoice["id"])
    assert get_process_instance_variable(instance_id, "clerk") == "anna"

    by_id = start_process(
        process_id=invoice["id"],
        business_key="INV-10",
        variables={"clerk": {"type": "String", "value": "bo"}},
    )
    assert by_id["instance_url"].endswith(f"/process-instance/{by_id['instance_id']}")


def test_start_process_takes_a_json_variable_typed_in_lower_case(
    configured: None, http: httpx.Client
) -> None:
    """django-camunda's ``Variable`` serializes as ``{"type": "json", ...}``: Camunda reads
    a type name with its first letter lowered (``VariableValueDto.fromRestApiTypeName``)."""
    from django_camunda.api import get_process_instance_variable
    from django_camunda.interface import Variable
    from django_camunda.tasks import start_process

    deploy_model(http, "invoice.bpmn")
    order = {"lines": [{"sku": "A-1", "quantity": 2}], "rush": True}
    started = start_process(
        process_key="invoice",
        variables={"clerk": {"type": "String", "value": "anna"}, "order": Variable(order)},
    )
    assert get_process_instance_variable(started["instance_id"], "order") == order


def test_send_message_moves_each_named_instance_past_its_receive_task(
    configured: None, http: httpx.Client
) -> None:
    """``send_message``: one ``POST /message`` per instance with ``messageName``,
    ``processInstanceId`` and ``processVariables`` (serialized by django-camunda, ``{}``
    without variables); Camunda's 204 has no body, which its client reads as ``None``."""
    from django_camunda.api import get_process_instance_variable, send_message

    deploy_model(http, "message-waits.bpmn")
    first = start_instance(http, "payment", "ORDER-1")["id"]
    second = start_instance(http, "payment", "ORDER-2")["id"]

    send_message("paid", [first, second], {"amount": 30})

    for instance in (first, second):
        (waiting,) = http.get("/event-subscription", params={"processInstanceId": instance}).json()
        assert (waiting["activityId"], waiting["eventName"]) == ("Shipped", "shipped")
        assert get_process_instance_variable(instance, "amount") == 30
    send_message("shipped", [first])
    (waiting,) = http.get("/event-subscription", params={"processInstanceId": first}).json()
    assert waiting["activityId"] == "Recall"
