"""What handlers need from the running server, put into each request by the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import connexion

from taskvars.credentials import Credentials
from taskvars.engine.job_executor import JobExecutor
from taskvars.persistence.unit_of_work import Database
from taskvars.services.long_polling import ParkedFetches
from taskvars.services.memberships import GroupsOf, no_groups
from taskvars.settings import Settings
from taskvars.web.basic_auth import AUTHENTICATED_USER

STATE_KEY = "taskvars"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    database: Database
    # This server process's fetch-and-lock requests waiting for tasks.
    parked_fetches: ParkedFetches
    # This server process's job executor; None when it runs none.
    job_executor: JobExecutor | None = None
    # The auth file's users and groups; None without --auth-file.
    credentials: Credentials | None = None


def runtime() -> Runtime:
    runtime: Runtime = getattr(connexion.request.state, STATE_KEY)
    return runtime


def database() -> Database:
    return runtime().database


def parked_fetches() -> ParkedFetches:
    return runtime().parked_fetches


def signed_in_user() -> str | None:
    """The user the request authenticated as; ``None`` without ``--auth-file``."""
    user: str | None = getattr(connexion.request.state, AUTHENTICATED_USER, None)
    return user


def groups_of() -> GroupsOf:
    """Where a user's groups come from: the auth file, if there is one."""
    credentials = runtime().credentials
    return no_groups if credentials is None else credentials.groups_of
