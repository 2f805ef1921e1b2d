"""Who works on a task: claim, assignment, delegation and its resolution, and identity
links, as Camunda's engine does them (ClaimTaskCmd, AssignTaskCmd, DelegateTaskCmd,
ResolveTaskCmd, TaskEntity.delegate/resolve, the identity-link commands). Each finds the
task first and says so in its own way when it is missing; each commits."""

from __future__ import annotations

from typing import Any

from taskvars.errors import (
    BadUserRequestError,
    EngineNotFoundError,
    InvalidRequestError,
    NullValueError,
    ProcessEngineError,
    TaskAlreadyClaimedError,
)
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import IdentityLinkRecord
from taskvars.services import variables
from taskvars.services.tasks import PENDING, RESOLVED, locked_task, touch

# A task's assignee and owner are its own attributes, shown and changed as identity
# links of these types.
ASSIGNEE = "assignee"
OWNER = "owner"


def claim(uow: UnitOfWork, task_id: str, user_id: str | None) -> None:
    """``user_id`` becomes the assignee, unless another user is; ``None`` unassigns."""
    task, task_pk = locked_task(uow, task_id, missing=NullValueError)
    if user_id is not None and task.assignee not in (None, user_id):
        raise TaskAlreadyClaimedError(f"Task '{task_id}' is already claimed by someone else.")
    uow.store.tasks.update(task_pk, {"assignee": user_id})
    touch(uow, task_pk)
    uow.commit()


def set_assignee(uow: UnitOfWork, task_id: str, user_id: str | None) -> None:
    """``user_id`` becomes the assignee, whoever was; ``None`` unassigns."""
    _, task_pk = locked_task(uow, task_id, missing=EngineNotFoundError)
    uow.store.tasks.update(task_pk, {"assignee": user_id})
    touch(uow, task_pk)
    uow.commit()


def delegate(uow: UnitOfWork, task_id: str, user_id: str | None) -> None:
    """The assignee becomes the owner (unless there is one), ``user_id`` the assignee,
    and the delegation is pending."""
    task, task_pk = locked_task(uow, task_id, missing=NullValueError)
    uow.store.tasks.update(
        task_pk,
        {
            "owner": task.owner if task.owner is not None else task.assignee,
            "assignee": user_id,
            "delegation_state": PENDING,
        },
    )
    touch(uow, task_pk)
    uow.commit()


def resolve(uow: UnitOfWork, task_id: str, variable_dtos: dict[str, Any] | None) -> None:
    """Write the variables as ``complete`` does, then hand the task back to its owner."""
    values = variables.convert_values(variable_dtos)
    task, task_pk = locked_task(uow, task_id, missing=NullValueError)
    chain = uow.store.scopes.chain(IdSpace.TASK, task_id)
    variables.write_values(uow, chain, values, local=False)
    uow.store.tasks.update(task_pk, {"assignee": task.owner, "delegation_state": RESOLVED})
    touch(uow, task_pk)
    uow.commit()


_PERSON_COLUMNS = {ASSIGNEE: "assignee", OWNER: "owner"}


def identity_links(uow: UnitOfWork, task_id: str, link_type: str | None) -> list[dict[str, Any]]:
    """The task's links (of ``link_type`` only, if given): stored ones, then its
    assignee, then its owner."""
    task = uow.store.tasks.get(task_id)
    task_pk = uow.store.scopes.pk(IdSpace.TASK, task_id)
    if task is None or task_pk is None:
        raise NullValueError(f"Cannot find task with id {task_id}: task is null")
    links = uow.store.tasks.identity_links(task_pk)
    links += [
        IdentityLinkRecord(link, person, None)
        for link, person in ((ASSIGNEE, task.assignee), (OWNER, task.owner))
        if person is not None
    ]
    return [
        {"userId": link.user_id, "groupId": link.group_id, "type": link.type}
        for link in links
        if link_type is None or link.type == link_type
    ]


def add_identity_link(uow: UnitOfWork, task_id: str, link: IdentityLinkRecord) -> None:
    _require_user_or_group(link)
    if link.type == ASSIGNEE and link.group_id is not None:
        raise BadUserRequestError("Incompatible usage: cannot use ASSIGNEE together with a groupId")
    _, task_pk = locked_task(uow, task_id, missing=EngineNotFoundError)
    if link.type in _PERSON_COLUMNS:
        uow.store.tasks.update(task_pk, {_PERSON_COLUMNS[link.type]: link.user_id})
    else:
        uow.store.tasks.add_identity_link(task_pk, link)
    touch(uow, task_pk)
    uow.commit()


def delete_identity_link(uow: UnitOfWork, task_id: str, link: IdentityLinkRecord) -> None:
    _require_user_or_group(link)
    if link.type in _PERSON_COLUMNS and link.group_id is not None:
        raise ProcessEngineError(
            f"Incompatible usage: cannot use type '{link.type}' together with a groupId"
        )
    _, task_pk = locked_task(uow, task_id, missing=NullValueError)
    if link.type in _PERSON_COLUMNS:
        uow.store.tasks.update(task_pk, {_PERSON_COLUMNS[link.type]: None})
    else:
        uow.store.tasks.delete_identity_link(task_pk, link)
    touch(uow, task_pk)
    uow.commit()


def _require_user_or_group(link: IdentityLinkRecord) -> None:
    if link.user_id is not None and link.group_id is not None:
        raise InvalidRequestError("Identity Link requires userId or groupId, but not both.")
    if link.user_id is None and link.group_id is None:
        raise InvalidRequestError("Identity Link requires userId or groupId.")
