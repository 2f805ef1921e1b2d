"""``camunda-client`` from PyPI (import name ``camunda_client``), an async client on httpx
whose pydantic models refuse what Camunda never sends: ids that are not UUIDs, a
``ProcessInstanceDto`` without ``links``, a historic task without ``processDefinitionKey``,
``taskDefinitionKey`` or ``startTime``. Run unmodified against a real server process:
starting instances, listing them with query parameters, and the task history."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest
from camunda_client import CamundaEngineClient, VariableValueSchema
from camunda_client.clients.dto import AuthData
from camunda_client.clients.engine.schemas import (
    GetHistoryTasksFilterSchema,
    GetTasksFilterSchema,
    ProcessInstanceQuerySchema,
)
from camunda_client.clients.engine.schemas.body import SortSchema
from camunda_client.clients.engine.schemas.enums import SortOrder, TaskQuerySortEnum
from camunda_client.clients.schemas import PaginationParams

from tests.e2e.deployed_models import deploy_model
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

T = TypeVar("T")


def run(server: Server, scenario: Callable[[CamundaEngineClient], Awaitable[T]]) -> T:
    """Runs ``scenario`` with a client of the server; the client always sends HTTP Basic
    credentials, which a server without authentication ignores."""

    async def main() -> T:
        transport = httpx.AsyncHTTPTransport()
        try:
            client = CamundaEngineClient(server.base_url, AuthData("demo", "demo"), transport)
            return await scenario(client)
        finally:
            await transport.aclose()

    return asyncio.run(main())


def string(value: str) -> VariableValueSchema:
    return VariableValueSchema(value=value, type="String")


def test_started_instances_are_listed_by_query_parameters(
    server: Server, http: httpx.Client
) -> None:
    """``start_process``: ``POST /process-definition/key/{key}/start``;
    ``get_process_instances``: ``GET /process-instance`` with the set fields of its query
    as parameters (booleans ``true``, a list as the parameter repeated)."""
    invoice = deploy_model(http, "invoice.bpmn")

    async def scenario(client: CamundaEngineClient) -> None:
        started = {
            key: await client.start_process(
                "invoice", business_key=key, variables={"clerk": string(clerk)}
            )
            for key, clerk in [("INV-1", "anna"), ("INV-2", "bob"), ("INV-3", "anna")]
        }
        second = started["INV-2"]
        assert (second.definition_id, second.business_key) == (invoice["id"], "INV-2")
        (self_link,) = second.links
        assert (self_link.rel, self_link.method) == ("self", "GET")
        assert self_link.href == f"{server.base_url}/process-instance/{second.id}"

        by_key = await client.get_process_instances(
            ProcessInstanceQuerySchema(process_definition_key="invoice")
        )
        assert {instance.id for instance in by_key} == {s.id for s in started.values()}
        (found,) = await client.get_process_instances(
            ProcessInstanceQuerySchema(business_key="INV-2", active=True)
        )
        assert (found.id, found.definition_id, found.suspended) == (
            second.id,
            invoice["id"],
            False,
        )
        assert found.links == []
        (by_id,) = await client.get_process_instances(
            ProcessInstanceQuerySchema(process_instance_ids=[str(started["INV-3"].id)])
        )
        assert by_id.business_key == "INV-3"
        assert await client.get_process_instances(ProcessInstanceQuerySchema(suspended=True)) == []

    run(server, scenario)


def test_the_task_history_lists_finished_and_open_tasks(server: Server, http: httpx.Client) -> None:
    """``get_history_tasks``: ``POST /history/task?maxResults=..&firstResult=..`` with a
    body that carries every filter of the query, the unset ones as ``null``."""
    deploy_model(http, "invoice.bpmn")

    async def scenario(client: CamundaEngineClient) -> None:
        started = await client.start_process(
            "invoice", business_key="INV-7", variables={"clerk": string("anna")}
        )
        (check,) = await client.get_tasks(GetTasksFilterSchema(process_instance_id=started.id))
        assert (check.task_definition_key, check.assignee) == ("checkInvoice", "anna")
        await client.submit_task_form(
            check.id, {"amount": VariableValueSchema(value=1500, type="Integer")}
        )

        by_key = [
            SortSchema(sort_by=TaskQuerySortEnum.TASK_DEFINITION_KEY, sort_order=SortOrder.ASC)
        ]
        history = await client.get_history_tasks(
            GetHistoryTasksFilterSchema(process_instance_id=started.id, sorting=by_key),
            PaginationParams(limit=10, offset=0),
        )
        assert [task.task_definition_key for task in history] == [
            "approveInvoice",
            "checkInvoice",
        ]
        approve, checked = history
        assert (checked.id, checked.assignee, checked.name) == (check.id, "anna", "Check invoice")
        assert (checked.process_definition_key, checked.process_instance_id) == (
            "invoice",
            started.id,
        )
        assert checked.end_time is not None
        assert checked.end_time >= checked.start_time
        assert (approve.end_time, approve.duration, approve.assignee) == (None, None, None)
        assert approve.name == "Approve invoice"

        finished = await client.get_history_tasks(
            GetHistoryTasksFilterSchema(process_instance_business_key="INV-7", finished=True)
        )
        assert [task.id for task in finished] == [check.id]
        second_page = await client.get_history_tasks(
            GetHistoryTasksFilterSchema(process_instance_id=started.id, sorting=by_key),
            PaginationParams(limit=1, offset=1),
        )
        assert [task.id for task in second_page] == [check.id]

    run(server, scenario)
