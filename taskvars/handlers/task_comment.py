"""Operations tagged `Task Comment`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.links import self_link
from taskvars.handlers.http.runtime import database, signed_in_user
from taskvars.services import task_comments


def get_comments(id_: str) -> list[dict[str, Any]]:
    return database().read(lambda uow: task_comments.of_task(uow, id_))


def get_comment(id_: str, comment_id: str) -> dict[str, Any]:
    return database().read(lambda uow: task_comments.get(uow, id_, comment_id))


def create_comment(id_: str, body: dict[str, Any]) -> dict[str, Any]:
    user = signed_in_user()
    comment = database().write(lambda uow: task_comments.create(uow, id_, body, user))
    comment["links"] = [self_link(f"/task/{id_}/comment/{comment['id']}")]
    return comment
