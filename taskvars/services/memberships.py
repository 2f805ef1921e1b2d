"""Which groups a user is in, for the queries that ask Camunda's identity service about a
user: the task query's ``candidateUser`` (``TaskQueryImpl.getCandidateGroups``) and the
definition query's ``startableBy`` (``ProcessDefinitionQueryImpl.startableByUser``). Here
the auth file is the only source of memberships."""

from __future__ import annotations

from collections.abc import Callable, Collection

GroupsOf = Callable[[str], Collection[str]]


def no_groups(_user: str) -> Collection[str]:
    """Without an identity source (no auth file) nobody is in a group."""
    return ()
