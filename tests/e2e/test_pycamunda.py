"""``pycamunda`` from PyPI, a client written by hand against Camunda, for the task
lifecycle around a form: claim, delegation, resolution, assignment, identity links."""

from __future__ import annotations

import httpx
import pycamunda
import pycamunda.task as task
import pytest

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
