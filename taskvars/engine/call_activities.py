"""Call activities as a model declares them, and what a call reads and writes.

A ``callActivity`` names the process it calls (``calledElement``, maybe an expression)
and how to pick its definition (``camunda:calledElementBinding``: ``latest``, the
default, ``deployment``, ``version`` with ``camunda:calledElementVersion``, ``versionTag``
with ``camunda:calledElementVersionTag``; ``camunda:calledElementTenantId``, else the
caller's tenant), as Camunda's ``CallableElementUtil.getProcessDefinitionToCall`` picks
it. ``camunda:in`` passes variables (and a ``businessKey``) into the called instance,
``camunda:out`` passes them back when it ends (``CallableElement.getInputVariables`` /
``getOutputVariables``; ``CallableElementParameter.applyTo``).

Nothing here runs a step: the behaviour (:mod:`.behaviours`) and the runtime use these.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA
from taskvars.engine.expressions import (
    ExecutionView,
    ExpressionError,
    as_text,
    compile_expression,
)
from taskvars.engine.variable_reader import reader_of
from taskvars.errors import EngineError, ModelRunError, NullValueError, ProcessEngineError
from taskvars.persistence.deployments import DefinitionCriteria, ProcessDefinitionRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import CallerLink, NewValue, ScopeRef, StoredValue
from taskvars.services import variables
from taskvars.services.typed_values import value_from_dto, value_to_dto

BINDINGS = ("latest", "deployment", "version", "versionTag")
# A multi-instance body's counters never pass out (``CallableElementActivityBehavior``'s
# ``variablesFilter``).
_NOT_PASSED_OUT = ("nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances")
# The mapping elements a call activity may carry (its only Camunda extensions here).
MAPPING_EXTENSIONS = frozenset({"in", "out"})


@dataclass(frozen=True)
class Parameter:
    """One ``camunda:in`` or ``camunda:out``: every variable, or one from a variable
    (``source``) or an expression (``source_expression``) into ``target``."""

    all_variables: bool
    source: str | None
    source_expression: str | None
    target: str | None
    local: bool


@dataclass(frozen=True)
class CallActivityModel:
    element_id: str
    called_element: str  # text or an expression
    binding: str
    version: str | None
    version_tag: str | None
    tenant_id: str | None  # None: the caller's tenant
    business_key: str | None
    inputs: tuple[Parameter, ...]
    outputs: tuple[Parameter, ...]


def call_activity_models(root: etree._Element) -> dict[str, CallActivityModel]:
    """Every call activity of a deployed file (its parsed root), by element id."""
    models = {}
    for process in root.iterchildren(f"{{{BPMN}}}process"):
        for element in process.iter(f"{{{BPMN}}}callActivity"):
            element_id = str(element.get("id"))
            inputs, business_key = [], None
            for mapping in _mappings(element, "in"):
                key = mapping.get("businessKey")
                if key:  # BpmnParse.parseInputParameter: a businessKey is no variable
                    business_key = key
                else:
                    inputs.append(_parameter(mapping))
            binding = element.get(f"{{{CAMUNDA}}}calledElementBinding") or "latest"
            models[element_id] = CallActivityModel(
                element_id=element_id,
                called_element=element.get("calledElement") or "",
                binding=binding if binding in BINDINGS else "latest",
                version=element.get(f"{{{CAMUNDA}}}calledElementVersion"),
                version_tag=element.get(f"{{{CAMUNDA}}}calledElementVersionTag"),
                tenant_id=element.get(f"{{{CAMUNDA}}}calledElementTenantId") or None,
                business_key=business_key,
                inputs=tuple(inputs),
                outputs=tuple(_parameter(m) for m in _mappings(element, "out")),
            )
    return models


def _mappings(element: etree._Element, name: str) -> list[etree._Element]:
    return [
        mapping
        for extensions in element.iterchildren(f"{{{BPMN}}}extensionElements")
        for mapping in extensions.iterchildren(f"{{{CAMUNDA}}}{name}")
    ]


def _parameter(mapping: etree._Element) -> Parameter:
    return Parameter(
        all_variables=mapping.get("variables") == "all",
        source=mapping.get("source") or None,
        source_expression=mapping.get("sourceExpression") or None,
        target=mapping.get("target"),
        local=mapping.get("local") == "true",
    )


def refusal(element: etree._Element) -> str | None:
    """Camunda's parse errors for a call activity (``BpmnParse.parseCallActivity`` and
    ``parseCallableElementProvider`` with strict validation), and expressions outside
    the supported subset; ``None`` when it can run."""
    if element.get("calledElement") is None:
        if element.get(f"{{{CAMUNDA}}}caseRef") is not None:
            return "camunda:caseRef is not supported: cases are not run by this server"
        return "Missing attribute 'calledElement' or 'caseRef'"
    for attribute in ("variableMappingClass", "variableMappingDelegateExpression"):
        if element.get(f"{{{CAMUNDA}}}{attribute}") is not None:
            return f"camunda:{attribute} would run code, which this server does not"
    binding = element.get(f"{{{CAMUNDA}}}calledElementBinding")
    for needed, attribute in (("version", "Version"), ("versionTag", "VersionTag")):
        if binding == needed and element.get(f"{{{CAMUNDA}}}calledElement{attribute}") is None:
            return (
                f"Missing attribute 'calledElement{attribute}' when 'calledElementBinding' "
                f"has value '{needed}'"
            )
    sources = [element.get("calledElement")]
    sources += [element.get(f"{{{CAMUNDA}}}calledElement{a}") for a in ("Version", "VersionTag")]
    sources.append(element.get(f"{{{CAMUNDA}}}calledElementTenantId"))
    for name in ("in", "out"):
        for mapping in _mappings(element, name):
            if name == "in" and mapping.get("businessKey"):
                sources.append(mapping.get("businessKey"))
                continue
            problem = _mapping_refusal(mapping)
            if problem is not None:
                return problem
            sources.append(mapping.get("sourceExpression"))
    for source in sources:
        if source:
            try:
                compile_expression(source)
            except ExpressionError as error:
                return str(error)
    return None


def mapping_refusal(mapping: etree._Element) -> str | None:
    """A ``camunda:in`` or ``camunda:out`` that Camunda's parser refuses (its messages)."""
    return _mapping_refusal(mapping)


def _mapping_refusal(mapping: etree._Element) -> str | None:
    if mapping.get("variables") == "all":
        return None
    source = mapping.get("source")
    if source == "":
        return "Empty attribute 'source' when passing variables"
    if source is None:
        source = mapping.get("sourceExpression")
        if source == "":
            return "Empty attribute 'sourceExpression' when passing variables"
    if source is None:
        return "Missing parameter 'source' or 'sourceExpression' when passing variables"
    target = mapping.get("target")
    if target is None:
        return "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set"
    if target == "":
        return "Empty attribute 'target' when attribute 'source' or 'sourceExpression' is set"
    return None


# ``name -> value`` visible from the caller's execution; KeyError for a name nobody set.
ReadOne = Callable[[str], Any]


def _evaluated(
    model: CallActivityModel, source: str, read: ReadOne, execution: ExecutionView | None = None
) -> Any:
    try:
        return compile_expression(source).evaluate(read, execution=execution)
    except ExpressionError as error:
        raise ModelRunError(f"{model.element_id}: {error}") from None


def called_definition(
    uow: UnitOfWork,
    model: CallActivityModel,
    caller: ProcessDefinitionRecord,
    read: ReadOne,
    execution: ExecutionView | None = None,
) -> ProcessDefinitionRecord:
    """The definition the call activity calls, picked by its binding; Camunda's
    ``NullValueException`` (a 500) when there is none (``ProcessDefinitionCache``)."""
    key = as_text(_evaluated(model, model.called_element, read, execution)) or ""
    tenant = (
        as_text(_evaluated(model, model.tenant_id, read, execution))
        if model.tenant_id is not None
        else caller.tenant_id
    )
    tenants = {"tenant_ids": [tenant]} if tenant else {"without_tenant": True}
    shown = "null" if tenant is None else tenant  # as Java prints it
    definitions = uow.store.definitions
    if model.binding == "deployment":
        # The caller's own deployment, whatever the tenant.
        found = definitions.matching(
            DefinitionCriteria(key=key, deployment_id=caller.deployment_id)
        )
        missing = (
            f"no processes deployed with key = '{key}' in deployment = '{caller.deployment_id}'"
        )
    elif model.binding == "version":
        version = _version(model, _evaluated(model, model.version or "", read, execution))
        found = definitions.matching(DefinitionCriteria(key=key, version=version, **tenants))
        missing = (
            f"no processes deployed with key = '{key}', version = '{version}' "
            f"and tenant-id = '{shown}'"
        )
    elif model.binding == "versionTag":
        tag = as_text(_evaluated(model, model.version_tag or "", read, execution))
        found = definitions.matching(DefinitionCriteria(key=key, version_tag=tag, **tenants))
        if len(found) > 1:  # EnginePersistenceLogger.multipleDefinitionsForVersionTagException
            raise ProcessEngineError(
                f"There are '{len(found)}' results for a process definition with key "
                f"'{key}', versionTag '{tag}' and tenant-id '{shown}'."
            )
        missing = (
            f"no processes deployed with key = '{key}', versionTag = '{tag}' "
            f"and tenant-id = '{shown}'"
        )
    else:
        latest = definitions.latest(key, tenant)
        found = [latest] if latest is not None else []
        missing = f"no processes deployed with key '{key}' and tenant-id '{shown}'"
    if not found:
        raise NullValueError(f"{missing}: processDefinition is null")
    return found[0]


def _version(model: CallActivityModel, value: Any) -> int:
    text = as_text(value) or ""
    try:
        return int(text)
    except ValueError:
        raise ModelRunError(
            f"{model.element_id}: camunda:calledElementVersion '{model.version}' gave "
            f"{text!r}, not a version number"
        ) from None


class BusinessKeyCastError(EngineError):
    """``CallableElement.getBusinessKey``: a business key that is no string."""

    type = "ClassCastException"
    prefixed = False


def business_key(
    model: CallActivityModel, read: ReadOne, execution: ExecutionView | None = None
) -> str | None:
    if model.business_key is None:
        return None
    value = _evaluated(model, model.business_key, read, execution)
    if value is not None and not isinstance(value, str):
        raise BusinessKeyCastError(f"Cannot cast '{as_text(value)}' to String")
    return value


class VariableSource(Protocol):
    """The variables of one scope chain, typed, as a mapping reads them."""

    def all(self, *, local: bool) -> dict[str, NewValue]: ...

    def one(self, name: str, *, local: bool) -> NewValue | None: ...

    def reader(self, *, local: bool) -> ReadOne: ...


class StoredVariables:
    """:class:`VariableSource` over the store: the scopes of ``chain``, nearest first."""

    def __init__(self, uow: UnitOfWork, chain: list[ScopeRef]) -> None:
        self._uow = uow
        self._chain = chain

    def _scopes(self, local: bool) -> list[ScopeRef]:
        return self._chain[:1] if local else self._chain

    def all(self, *, local: bool) -> dict[str, NewValue]:
        scopes = self._scopes(local)
        visible = self._uow.store.variables.all_visible_from_each({scopes[0].pk: scopes})
        return {
            name: self._copied(stored) for name, stored in visible.get(scopes[0].pk, {}).items()
        }

    def one(self, name: str, *, local: bool) -> NewValue | None:
        """The variable, typed; ``None`` when nobody set it."""
        stored = self._uow.store.variables.visible(self._scopes(local), name)
        return None if stored is None else self._copied(stored)

    def reader(self, *, local: bool) -> ReadOne:
        return reader_of(self._uow, self._scopes(local))

    def _copied(self, stored: StoredValue) -> NewValue:
        """The value as a new variable of another instance (binary content copied)."""
        content = None
        if stored.content_pk is not None:
            content = self._uow.store.contents.whole([stored]).get(stored.content_pk, b"")
        dto = value_to_dto(stored, deserialize=False, content=content)
        if stored.type == "File":
            dto["value"] = base64.b64encode(content or b"").decode("ascii")
        return value_from_dto(dto)


def mapped_values(
    model: CallActivityModel,
    parameters: tuple[Parameter, ...],
    source: VariableSource,
    execution: ExecutionView | None = None,
) -> dict[str, NewValue]:
    """The variables ``parameters`` pass from ``source``, in the model's order (a later
    mapping of the same target wins, as Camunda's ``VariableMap.put``)."""
    values: dict[str, NewValue] = {}
    for parameter in parameters:
        if parameter.all_variables:
            values.update(source.all(local=parameter.local))
        elif parameter.source is not None and parameter.target is not None:
            # A variable nobody set passes as null (``getVariableTyped`` gives null).
            found = source.one(parameter.source, local=parameter.local)
            values[parameter.target] = found or NewValue(type="Null")
        elif parameter.source_expression is not None and parameter.target is not None:
            lone = _LONE_NAME.fullmatch(parameter.source_expression)
            found = source.one(lone.group(1), local=parameter.local) if lone else None
            if found is None:  # an expression's value, typed by what it is
                value = _evaluated(
                    model,
                    parameter.source_expression,
                    source.reader(local=parameter.local),
                    execution,
                )
                found = _plain(value)
            values[parameter.target] = found
    return values


# ``${name}``: the variable's value as it is, its type kept (a Json value stays Json).
_LONE_NAME = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


def _plain(value: Any) -> NewValue:
    """An expression's value as a typed value (Camunda's untyped value, typed by what
    it is)."""
    if isinstance(value, str):
        return value_from_dto({"type": "String", "value": value})
    if isinstance(value, bool):
        return value_from_dto({"type": "Boolean", "value": value})
    if isinstance(value, int):
        in_int = -(2**31) <= value < 2**31
        return value_from_dto({"type": "Integer" if in_int else "Long", "value": value})
    if isinstance(value, float):
        return value_from_dto({"type": "Double", "value": value})
    if value is None:
        return NewValue(type="Null")
    return value_from_dto({"value": value})


def pass_outputs(
    uow: UnitOfWork, model: CallActivityModel, chain: list[ScopeRef], called: VariableSource
) -> None:
    """Copy the ``camunda:out`` variables of the ending called instance into the caller,
    from the call activity's execution (``chain[0]``): set as ``setVariables`` sets them
    (where the name is visible, else on the process instance), or ``local="true"`` ones
    on that execution (``CallableElementActivityBehavior.passOutputVariables``)."""
    plain = tuple(replace(p, local=False) for p in model.outputs if not p.local)
    local = tuple(replace(p, local=False) for p in model.outputs if p.local)
    values = mapped_values(model, plain, called)
    for name in _NOT_PASSED_OUT:
        values.pop(name, None)
    variables.write_values(uow, chain, values, local=False)
    variables.write_values(uow, chain[:1], mapped_values(model, local, called), local=True)


class CallPort(Protocol):
    """What a call activity's behaviour asks of the runtime (which imports the behaviours,
    so it is handed to them): start the called instance in this unit of work, or
    terminate it."""

    def start(
        self,
        definition: ProcessDefinitionRecord,
        values: dict[str, NewValue],
        business_key: str | None,
        caller: CallerLink,
        returns_to: Callable[[VariableSource], None],
        raises_to: Callable[[str, str | None, VariableSource], bool],
        escalates_to: Callable[[str | None, VariableSource], bool] | None = None,
    ) -> str: ...

    def terminate(self, instance: ScopeRef, delete_reason: str, *, externally: bool) -> None: ...
