"""Operations tagged `Identity` (Camunda's IdentityRestService), and `GET
/identity/current`, an extension: who the request signed in as."""

from __future__ import annotations

from typing import Any

from taskvars.errors import InvalidRequestError
from taskvars.handlers.http.runtime import runtime, signed_in_user
from taskvars.services import identity


def get_group_info(user_id: str | None = None) -> dict[str, Any]:
    if user_id is None:  # IdentityRestServiceImpl.getGroupInfo
        raise InvalidRequestError("No user id was supplied")
    return identity.group_info(runtime().credentials, user_id)


def verify_user(body: dict[str, Any]) -> dict[str, Any]:
    """The spec requires both fields (BasicUserCredentialsDto)."""
    return identity.verify(runtime().credentials, body["username"], body["password"])


def get_current_identity() -> dict[str, Any]:
    user = signed_in_user()
    return identity.authentication_result(user, user is not None)
