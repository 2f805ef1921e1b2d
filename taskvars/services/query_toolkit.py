"""What every list query of Camunda's REST API shares, so that a query resource is its
filter table and nothing more: parameter parsing (``GET`` query parameters by
connexion's Python names, or a JSON query DTO), the refusal of what this server does not
model, variable criteria, ``orQueries``, the sorting pair or list, and paging.

A resource declares a :class:`QueryShape`: Camunda's parameter name -> (criterion field,
conversion). Parsing gives a :class:`ParsedQuery` whose ``fields`` build the resource's
criteria dataclass; the store turns those into SQL with
:mod:`taskvars.persistence.query_statements`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar

import inflection

from taskvars.errors import InvalidRequestError
from taskvars.persistence.values import VariableCondition
from taskvars.services import date_expressions, dates, variable_criteria
from taskvars.services.query_parameters import (
    date_parameter,
    refuse_unmodelled,
    require_sort_pair,
)


@dataclass(frozen=True)
class Parameter:
    """One parameter as a client sent it, for a conversion to read."""

    name: str
    value: Any
    now: datetime

    def refused(self, reason: str) -> InvalidRequestError:
        return InvalidRequestError(
            f"Cannot set query parameter '{self.name}' to value '{self.value}': {reason}"
        )


Converter = Callable[[Parameter], Any]


def as_is(parameter: Parameter) -> Any:
    return parameter.value


def as_list(parameter: Parameter) -> list[str]:
    """Comma-separated text (a query parameter) or a JSON list; empty items dropped."""
    value = parameter.value
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item for item in items if item != ""]


def as_true(parameter: Parameter) -> bool:
    return True


def as_date(parameter: Parameter) -> datetime:
    return date_parameter(parameter.name, parameter.value)


def as_date_expression(parameter: Parameter) -> datetime:
    try:
        instant = date_expressions.evaluate_date(parameter.value, parameter.now)
    except (ValueError, OverflowError):
        raise parameter.refused(
            f"this server evaluates only the date expressions {date_expressions.SUPPORTED}"
        ) from None
    return instant.astimezone(UTC)


def as_literal(parameter: Parameter) -> str:
    """A non-date ``*Expression``: JUEL takes text without ``${`` as it is; expressions
    need Camunda's identity service (``currentUser()``), which this server has not."""
    if date_expressions.is_expression(parameter.value):
        raise parameter.refused(
            "this server evaluates expressions only in the date parameters; "
            "here it takes literal text"
        )
    return str(parameter.value)


def named_like_camunda(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """connexion's Python names (``business_key_like``, ``id_`` for a name that shadows
    a builtin) back to Camunda's."""
    return {
        inflection.camelize(name.removesuffix("_"), False): value
        for name, value in parameters.items()
    }


@dataclass(frozen=True)
class VariableParameter:
    """A parameter of variable criteria (``variables``, ``processVariables``...): the
    noun of Camunda's message for an unknown operator, and whether it looks only at the
    queried object's own variables."""

    noun: str
    local: bool = False


@dataclass(frozen=True)
class Ordering:
    """One sorting criterion; ``parameters`` as Camunda's ``sorting[].parameters``."""

    sort_by: str
    descending: bool = False
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedQuery:
    """``fields``: criterion field -> value, for the resource's criteria dataclass;
    ``or_queries``: the fields of each ``orQueries`` entry; ``flags``: the parameters the
    shape lists as flags (``withCommentAttachmentInfo``...), by Camunda's name."""

    fields: dict[str, Any]
    variables: tuple[VariableCondition, ...] = ()
    or_queries: tuple[ParsedQuery, ...] = ()
    orderings: tuple[Ordering, ...] = ()
    flags: frozenset[str] = frozenset()


def narrow(fields: dict[str, Any], target: str, value: Any) -> None:
    """Put ``value`` into the fields; two parameters asking for ids (``processInstanceId``
    and ``processInstanceIds``, say) narrow together, as Camunda applies both."""
    current = fields.get(target)
    if isinstance(current, list) and isinstance(value, list):
        fields[target] = [item for item in current if item in set(value)]
    else:
        fields[target] = value


@dataclass(frozen=True)
class QueryShape:
    """One query resource: its noun for messages and its filter table.

    ``filters``: Camunda's parameter name -> (criterion field, conversion). Parameters in
    ``not_modelled`` ask for what this server does not keep and are refused by name
    unless they ask for nothing; ``flags`` are read but filter nothing; any other name is
    ignored, as Camunda ignores unknown parameters. ``merge`` puts a converted value into
    the fields (the task query accumulates candidate groups).
    """

    noun: str
    filters: Mapping[str, tuple[str, Converter]]
    not_modelled: frozenset[str] = frozenset()
    variable_parameters: Mapping[str, VariableParameter] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    or_queries: bool = False
    merge: Callable[[dict[str, Any], str, Any], None] = narrow

    def from_parameters(self, parameters: Mapping[str, Any]) -> ParsedQuery:
        """The query from ``GET`` parameters by connexion's Python names (paging taken
        out by the handler): lists comma-separated, variable criteria
        ``name_operator_value`` texts, one ``sortBy``/``sortOrder`` pair."""
        named = named_like_camunda(parameters)
        sort_by, sort_order = named.pop("sortBy", None), named.pop("sortOrder", None)
        require_sort_pair(sort_by, sort_order)
        parsed = self._parse(named, from_text=True, in_or_query=False)
        if sort_by is None:
            return parsed
        ordering = Ordering(sort_by, descending=sort_order == "desc")
        return ParsedQuery(
            parsed.fields, parsed.variables, parsed.or_queries, (ordering,), parsed.flags
        )

    def from_body(self, body: Mapping[str, Any]) -> ParsedQuery:
        """The query from its JSON DTO; ``sorting`` a list of ``{sortBy, sortOrder,
        parameters}`` (an entry with neither asks for nothing)."""
        parsed = self._parse(body, from_text=False, in_or_query=False)
        orderings = []
        for entry in body.get("sorting") or []:
            sort_by, sort_order = entry.get("sortBy"), entry.get("sortOrder")
            require_sort_pair(sort_by, sort_order)
            if sort_by is not None:
                orderings.append(
                    Ordering(sort_by, sort_order == "desc", entry.get("parameters") or {})
                )
        return ParsedQuery(
            parsed.fields, parsed.variables, parsed.or_queries, tuple(orderings), parsed.flags
        )

    def _parse(
        self, named: Mapping[str, Any], *, from_text: bool, in_or_query: bool
    ) -> ParsedQuery:
        fields: dict[str, Any] = {}
        variables: list[VariableCondition] = []
        or_queries: list[ParsedQuery] = []
        flags: set[str] = set()
        now = dates.now_millis().astimezone()
        for name, value in named.items():
            if value is None or value is False or name == "sorting":
                continue
            if name in self.not_modelled:
                refuse_unmodelled(self.noun, name, value)
            elif name == "orQueries" and self.or_queries:
                if in_or_query:
                    raise InvalidRequestError(
                        "Invalid query usage: cannot set orQueries within 'or' query"
                    )
                or_queries.extend(
                    self._parse(nested, from_text=False, in_or_query=True) for nested in value
                )
            elif name in self.variable_parameters:
                variables.extend(self._variable_conditions(name, value, named, from_text))
            elif name in self.filters:
                target, convert = self.filters[name]
                self.merge(fields, target, convert(Parameter(name, value, now)))
            elif name in self.flags:
                flags.add(name)
            # Anything else (the ignore-case flags, read with the variable criteria, or
            # a name Camunda does not know) filters nothing, as in Camunda.
        return ParsedQuery(fields, tuple(variables), tuple(or_queries), (), frozenset(flags))

    def _variable_conditions(
        self, name: str, value: Any, named: Mapping[str, Any], from_text: bool
    ) -> list[VariableCondition]:
        declared = self.variable_parameters[name]
        return variable_criteria.conditions(
            name,
            value,
            from_text=from_text,
            noun=declared.noun,
            task_local=declared.local,
            ignore_name_case=named.get("variableNamesIgnoreCase") is True,
            ignore_value_case=named.get("variableValuesIgnoreCase") is True,
        )


def refuse_sort(ordering: Ordering, allowed: frozenset[str]) -> None:
    """A ``sortBy`` the resource does not sort by (a JSON body is not checked against an
    enum by the spec the way a query parameter is)."""
    if ordering.sort_by not in allowed:
        raise InvalidRequestError(f"sortBy parameter has invalid value: {ordering.sort_by}")


def sort_pairs(parsed: ParsedQuery, allowed: frozenset[str]) -> tuple[tuple[str, bool], ...]:
    """The orderings as the store takes them, ``(sortBy, descending)``; a ``sortBy`` not
    in ``allowed`` refused (the spec's enums check them already; this keeps a name the
    store cannot sort by from ever reaching it)."""
    for ordering in parsed.orderings:
        refuse_sort(ordering, allowed)
    return tuple((ordering.sort_by, ordering.descending) for ordering in parsed.orderings)


Criteria = TypeVar("Criteria")


@dataclass(frozen=True)
class StoreQuery(Generic[Criteria]):
    """A parsed query as a store reads it: the resource's criteria dataclass and the
    ``(sortBy, descending)`` orderings."""

    criteria: Criteria
    orderings: tuple[tuple[str, bool], ...] = ()


class Page(NamedTuple):
    """``firstResult`` and ``maxResults``."""

    first_result: int = 0
    max_results: int | None = None


def without_tenant_wins(
    fields: Mapping[str, Any], *, tenant_ids: str, without_tenant: str
) -> dict[str, Any]:
    """The fields with ``tenant_ids`` dropped when ``without_tenant`` is asked for:
    Camunda's DTOs apply ``withoutTenantId`` after ``tenantIdIn``, so it wins."""
    kept = dict(fields)
    if kept.get(without_tenant):
        kept.pop(tenant_ids, None)
    return kept
