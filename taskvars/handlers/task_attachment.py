"""Operations tagged `Task Attachment`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http.links import self_link
from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.uploads import binary_part_source, text_of
from taskvars.handlers.http.variable_operations import NO_CONTENT, stream_binary
from taskvars.services import task_attachments
from taskvars.services.task_attachments import AttachmentUpload
from taskvars.web.multipart import MultipartForm


def add_attachment(id_: str, multipart_form: MultipartForm) -> dict[str, Any]:
    with multipart_form:  # releases the spooled content unless the store adopted it
        upload = _upload(multipart_form)
        attachment = database().write(
            lambda uow: task_attachments.create(uow, id_, upload),
            content_bytes=upload.content_bytes,
        )
    attachment["links"] = [self_link(f"/task/{id_}/attachment/{attachment['id']}")]
    return attachment


def get_attachments(id_: str) -> list[dict[str, Any]]:
    return database().read(lambda uow: task_attachments.of_task(uow, id_))


def get_attachment(id_: str, attachment_id: str) -> dict[str, Any]:
    return database().read(lambda uow: task_attachments.get(uow, id_, attachment_id))


def get_attachment_data(id_: str, attachment_id: str) -> Response:
    return stream_binary(lambda uow: task_attachments.content(uow, id_, attachment_id))


def delete_attachment(id_: str, attachment_id: str) -> tuple[Any, int]:
    database().write(lambda uow: task_attachments.delete(uow, id_, attachment_id))
    return NO_CONTENT


def _upload(form: MultipartForm) -> AttachmentUpload:
    """The form's parts as plain values; the spec makes ``content`` binary (spooled)
    and the others text."""
    return AttachmentUpload(
        name=text_of(form, "attachment-name"),
        description=text_of(form, "attachment-description"),
        type=text_of(form, "attachment-type"),
        url=text_of(form, "url"),
        content=binary_part_source(form, "content"),
    )
