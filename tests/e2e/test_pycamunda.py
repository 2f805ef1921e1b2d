"""``pycamunda`` from PyPI, a client written by hand against Camunda: the task lifecycle
around a form (claim, delegation, resolution, assignment, identity links), the process
instance list with its filters, and a deployment with duplicate filtering."""

from __future__ import annotations

import httpx
import pycamunda
import pycamunda.deployment as deployment
import pycamunda.processdef as processdef
import pycamunda.processinst as processinst
import pycamunda.task as task
import pytest

from tests.e2e.deployed_models import MODELS, deploy_model, start_instance
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def test_claim_delegate_resolve_and_assign(server: Server) -> None:
    url = server.base_url
    task.Create(url, name="Review", id_="pc")()
    task.Claim(url, "pc", "ann")()
    with pytest.raises(pycamunda.NoSuccess, match="TaskAlreadyClaimedException"):
        task.Claim(url, "pc", "bob")()
    task.Delegate(url, "pc", "bob")()
    delegated = task.Get(url, "pc")()
    assert (delegated.assignee, delegated.owner) == ("bob", "ann")
    assert delegated.delegation_state == "PENDING"
    resolve = task.Resolve(url, "pc")
    resolve.add_variable("approved", True)
    resolve()
    resolved = task.Get(url, "pc")()
    assert resolved.assignee == "ann"
    assert resolved.delegation_state == "RESOLVED"
    task.Unclaim(url, "pc")()
    assert task.Get(url, "pc")().assignee is None
    task.SetAssignee(url, "pc", "cy")()
    assert task.Get(url, "pc")().assignee == "cy"


def test_identity_links_add_list_and_delete(server: Server) -> None:
    url = server.base_url
    task.Create(url, name="Pick me", id_="links")()
    task.IdentityLinksAdd(url, "links", type_="candidate", group_id="sales")()
    task.IdentityLinksAdd(url, "links", type_="candidate", user_id="bob")()
    listed = task.IdentityLinksGetList(url, "links", type_="candidate")()
    assert [(link.user_id, link.group_id) for link in listed] == [(None, "sales"), ("bob", None)]
    task.IdentityLinksDelete(url, "links", type_="candidate", group_id="sales")()
    listed = task.IdentityLinksGetList(url, "links")()
    assert [(link.user_id, link.type_) for link in listed] == [("bob", "candidate")]


def test_a_binary_download_with_its_deserialize_value_parameter_works(server: Server) -> None:
    """pycamunda sends ``deserializeValue=false`` with every binary download, a parameter
    the operation does not declare: ignored, as Camunda ignores it."""
    url = server.base_url
    task.Create(url, name="Scan", id_="bin")()
    body = b'--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n\x00\xffscan\r\n--b--\r\n'
    uploaded = httpx.post(
        f"{url}/task/bin/localVariables/scan/data",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert uploaded.status_code == 204
    downloaded = task.LocalVariablesGet(url, "bin", "scan", binary=True)()
    assert downloaded == b"\x00\xffscan"


def business_keys(instances: tuple[processinst.ProcessInstance, ...]) -> list[str]:
    return [instance.business_key for instance in instances]


def test_process_instances_are_listed_by_key_business_key_and_variables(
    server: Server, http: httpx.Client
) -> None:
    """``processinst.GetList``: ``GET /process-instance`` with its filters as query
    parameters; every field of ``ProcessInstanceDto`` is read (a missing one is a
    KeyError), ``links`` too."""
    url = server.base_url
    invoice = deploy_model(http, "invoice.bpmn")
    deploy_model(http, "parallel-review.bpmn")
    started = {
        key: start_instance(http, "invoice", key, clerk=clerk)
        for key, clerk in [("INV-1", "anna"), ("INV-2", "bob"), ("INV-3", "anna")]
    }
    review = start_instance(http, "parallelReview", "REV-1")

    listed = processinst.GetList(url, process_definition_key="invoice", sort_by="business_key")()
    assert business_keys(listed) == ["INV-1", "INV-2", "INV-3"]
    first = listed[0]
    assert (first.id_, first.definition_id) == (started["INV-1"]["id"], invoice["id"])
    assert (first.suspended, first.tenant_id, first.case_instance_id) == (False, None, None)
    assert first.links == ()

    by_clerk = processinst.GetList(url, variables="clerk_eq_bob")()
    assert [instance.id_ for instance in by_clerk] == [started["INV-2"]["id"]]
    like = processinst.GetList(url, business_key_like="INV-%", sort_by="business_key")()
    assert business_keys(like) == ["INV-1", "INV-2", "INV-3"]
    # A list is sent as the parameter repeated; Camunda reads the first value.
    by_keys = processinst.GetList(url, process_definition_key_in=["parallelReview"])()
    assert [instance.id_ for instance in by_keys] == [review["id"]]
    by_ids = processinst.GetList(url, process_instance_ids=[started["INV-3"]["id"]])()
    assert business_keys(by_ids) == ["INV-3"]
    active = processinst.GetList(url, active=True, deployment_id=invoice["deploymentId"])()
    assert sorted(business_keys(active)) == ["INV-1", "INV-2", "INV-3"]
    assert processinst.GetList(url, business_key="INV-9")() == ()


def test_process_instances_are_sorted_and_paged(server: Server, http: httpx.Client) -> None:
    url = server.base_url
    deploy_model(http, "invoice.bpmn")
    for key in ["B", "C", "A"]:
        start_instance(http, "invoice", key, clerk="anna")
    descending = processinst.GetList(url, sort_by="business_key", ascending=False)()
    assert business_keys(descending) == ["C", "B", "A"]
    page = processinst.GetList(url, sort_by="business_key", first_result=1, max_results=1)()
    assert business_keys(page) == ["B"]


def test_a_suspended_instance_is_listed_as_suspended_only(
    server: Server, http: httpx.Client
) -> None:
    """``processinst.Suspend`` (``PUT /process-instance/{id}/suspended``) and the list's
    ``suspended``/``active`` filters."""
    url = server.base_url
    deploy_model(http, "invoice.bpmn")
    kept, paused = (start_instance(http, "invoice", key, clerk="anna") for key in ["K", "P"])
    processinst.Suspend(url, paused["id"])()
    (suspended,) = processinst.GetList(url, suspended=True)()
    assert (suspended.id_, suspended.suspended) == (paused["id"], True)
    (active,) = processinst.GetList(url, active=True)()
    assert active.id_ == kept["id"]
    processinst.Activate(url, paused["id"])()
    assert processinst.GetList(url, suspended=True)() == ()


def deploy_invoice(url: str) -> deployment.DeploymentWithDefinitions:
    create = deployment.Create(
        url, name="invoices", source="pycamunda", enable_duplicate_filtering=True
    )
    with (MODELS / "invoice.bpmn").open("rb") as model:
        create.add_resource(model)
        return create()


def test_a_deployment_with_duplicate_filtering_is_made_once(server: Server) -> None:
    """``deployment.Create``: a multipart form whose flags are Python's ``str(bool)``,
    ``enable-duplicate-filtering=True`` and ``deploy-changed-only=False`` (Camunda reads
    them with ``Boolean.parseBoolean``), the model in a part named ``resource-0``."""
    url = server.base_url
    first = deploy_invoice(url)
    assert (first.name, first.source, first.tenant_id) == ("invoices", "pycamunda", None)
    assert first.deployment_time is not None
    assert first.deployed_process_definitions is not None
    (definition,) = first.deployed_process_definitions.values()
    assert (definition.key, definition.version, definition.version_tag) == ("invoice", 1, "1")
    assert (definition.resource, definition.deployment_id) == ("invoice.bpmn", first.id_)

    again = deploy_invoice(url)
    assert again.id_ == first.id_
    assert again.deployed_process_definitions is None
    (only,) = processdef.GetList(url, key="invoice")()
    assert only.id_ == definition.id_
