"""Who the users are and which groups they are in, as Camunda's IdentityRestServiceImpl
answers it (``GET /identity/groups``, ``POST /identity/verify``), from the auth file's
users and groups. Without an auth file nobody is known: as Camunda's identity service
for a user it has never heard of, a password is never right and a user has no groups."""

from __future__ import annotations

from typing import Any

from taskvars.credentials import Credentials


def authentication_result(user: str | None, authenticated: bool) -> dict[str, Any]:
    """Camunda's AuthenticationResult, its ``groups`` and ``tenants`` null as
    ``/identity/verify`` sends them (Jackson writes null fields)."""
    return {
        "authenticatedUser": user,
        "authenticated": authenticated,
        "groups": None,
        "tenants": None,
    }


def verify(credentials: Credentials | None, username: str, password: str) -> dict[str, Any]:
    """Blocking: a password never checked before costs a bcrypt check."""
    # Camunda answers a wrong password and an unknown user alike, naming the user.
    valid = credentials is not None and credentials.verify(username, password)
    return authentication_result(username, valid)


def group_info(credentials: Credentials | None, user_id: str) -> dict[str, Any]:
    """The user's groups, sorted by name as Camunda's query orders them, and the other
    users who share one of them. The auth file names groups by id only: the id is the
    name, and a user's display name is the id, as Camunda's for a user without names."""
    if credentials is None:
        return {"groups": [], "groupUsers": []}
    groups = sorted(credentials.groups_of(user_id))
    others = {member for group in groups for member in credentials.members_of(group)}
    others.discard(user_id)
    return {
        "groups": [{"id": group, "name": group} for group in groups],
        "groupUsers": [
            {"id": user, "firstName": None, "lastName": None, "displayName": user}
            for user in sorted(others)
        ],
    }
