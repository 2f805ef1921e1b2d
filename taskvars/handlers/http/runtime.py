"""What handlers need from the running server, put into each request by the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

import connexion

from taskvars.persistence.unit_of_work import Database
from taskvars.settings import Settings

STATE_KEY = "taskvars"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    database: Database


def runtime() -> Runtime:
    runtime: Runtime = getattr(connexion.request.state, STATE_KEY)
    return runtime


def database() -> Database:
    return runtime().database
