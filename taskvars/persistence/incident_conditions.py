"""Conditions "has an incident that ...", for the queries of what incidents belong to:
process instances and definitions (runtime incidents), historic process instances
(historic incidents).

Each criterion is an ``EXISTS`` of its own: Camunda joins one incident row and ANDs the
criteria on it, ORs them in an or-query; the two agree but when two criteria ANDed
hold for two different incidents of one owner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, exists, true

from taskvars.persistence.models import HistoricIncident, Incident
from taskvars.persistence.query_statements import like

# Criterion field -> condition on an incident row (runtime or historic: same columns).
_ON_INCIDENT: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "with_incident": lambda row, v: true(),
    "incident_id": lambda row, v: row.id == v,
    "incident_type": lambda row, v: row.incident_type == v,
    "incident_message": lambda row, v: row.incident_message == v,
    "incident_message_like": lambda row, v: like(row.incident_message, v),
    # HistoricProcessInstance.xml: "open" is an incident not ended, "resolved" one that
    # ended (deleted ones too); any other status asks for any incident.
    "incident_status": lambda row, v: (
        row.end_time.is_(None)
        if v == "open"
        else row.end_time.is_not(None)
        if v == "resolved"
        else true()
    ),
}


def runtime_incident(field: str, value: Any, owned: ColumnElement[bool]) -> ColumnElement[bool]:
    """A runtime incident for which ``owned`` holds matches the criterion."""
    return exists().where(owned, _ON_INCIDENT[field](Incident, value))


def historic_incident(field: str, value: Any, owned: ColumnElement[bool]) -> ColumnElement[bool]:
    """A historic incident for which ``owned`` holds matches the criterion."""
    return exists().where(owned, _ON_INCIDENT[field](HistoricIncident, value))
