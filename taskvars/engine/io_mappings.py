"""Camunda's input/output mappings (``camunda:inputOutput``) of an activity: parsed and
checked when a model is deployed, evaluated when a token enters or leaves it.

As Camunda's ``BpmnParseUtil.parseInputOutput`` reads them, a ``camunda:inputParameter``
or ``camunda:outputParameter`` holds one value:

- text: an expression (``${amount}``, ``Dear ${name}``) or a constant string; no text
  is ``null``;
- ``camunda:list``: its child elements' values, in order (nested lists and maps too);
- ``camunda:map``: ``camunda:entry key="..."`` elements, the key an expression as well;
  Camunda collects them in a ``TreeMap``, so entries come out ordered by key;
- ``camunda:script``: refused, since no script runs here.

Values become typed variables (:func:`evaluate`): an expression naming one variable
(``${order}``) copies that variable with its type, as Camunda's value of it would keep its
Java class; other values are typed from what they are (text ``String``, whole numbers
``Long`` as JUEL's, decimals ``Double``, dates ``Date``, ``Json`` for a part of a
``Json`` value); a list is Camunda's ``java.util.ArrayList`` and a map its
``java.util.TreeMap``, stored as ``Object`` values serialized as JSON
(docs/compatibility.md, "Input/output mappings").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA
from taskvars.engine.code_sites import is_code_task
from taskvars.engine.expressions import (
    ExecutionView,
    Expression,
    ExpressionError,
    JsonNode,
    as_text,
    compile_expression,
)
from taskvars.engine.external_service_tasks import EXTERNAL_TASK_ELEMENTS
from taskvars.persistence.values import NewValue
from taskvars.services.dates import epoch_millis, format_date
from taskvars.services.typed_values import JSON_FORMAT, plain_value

LIST_TYPE = "java.util.ArrayList"
MAP_TYPE = "java.util.TreeMap"
_LONG_RANGE = range(-(2**63), 2**63)
_LONE_NAME = re.compile(r"\s*[$#]\{\s*([A-Za-z_$][A-Za-z0-9_$]*)\s*\}\s*")
# Not variables: literals, operators, and the execution the mapping runs in.
_NOT_NAMES = frozenset({"true", "false", "null", "empty", "not", "and", "or", "execution"})

# ``name -> typed value`` visible where a value is evaluated; KeyError when none is.
TypedRead = Callable[[str], NewValue]


class IoMappingError(ValueError):
    """A mapping this server cannot run or Camunda would refuse; the message says why."""


@dataclass(frozen=True)
class Null:
    pass


@dataclass(frozen=True)
class Text:
    expression: Expression


@dataclass(frozen=True)
class ListOf:
    items: tuple[Source, ...]


@dataclass(frozen=True)
class MapOf:
    entries: tuple[tuple[Expression, Source], ...]


Source = Null | Text | ListOf | MapOf


@dataclass(frozen=True)
class Parameter:
    name: str
    source: Source


@dataclass(frozen=True)
class IoMapping:
    element_id: str
    inputs: tuple[Parameter, ...]
    outputs: tuple[Parameter, ...]


def io_mapping(activity: etree._Element) -> IoMapping | None:
    """The mapping of ``activity`` (its ``extensionElements``' ``camunda:inputOutput``),
    or ``None``; raises :class:`IoMappingError` for one that cannot run."""
    found = None
    for extensions in activity.iterchildren(f"{{{BPMN}}}extensionElements"):
        found = extensions.find(f"{{{CAMUNDA}}}inputOutput")
        if found is not None:
            break
    if found is None:
        return None
    return IoMapping(
        str(activity.get("id")),
        _parameters(found, "inputParameter"),
        _parameters(found, "outputParameter"),
    )


def io_mappings(root: etree._Element) -> dict[str, IoMapping]:
    """Every activity's mapping in a deployed file (its parsed root), by element id."""
    mappings = {}
    for process in root.iterchildren(f"{{{BPMN}}}process"):
        for io in process.iter(f"{{{CAMUNDA}}}inputOutput"):
            extensions = io.getparent()
            activity = extensions.getparent() if extensions is not None else None
            if activity is None or activity.get("id") is None or activity is process:
                continue
            mapping = io_mapping(activity)
            if mapping is not None:
                mappings[mapping.element_id] = mapping
    return mappings


def _parameters(io: etree._Element, kind: str) -> tuple[Parameter, ...]:
    found = []
    for element in io.iterchildren(f"{{{CAMUNDA}}}{kind}"):
        name = element.get("name")
        if not name:
            raise IoMappingError(f"Missing attribute 'name' for {kind}")
        try:
            found.append(Parameter(name, _nested(element)))
        except IoMappingError as error:
            raise IoMappingError(f"camunda:{kind} '{name}': {error}") from None
    return tuple(found)


def _nested(element: etree._Element) -> Source:
    """``BpmnParseUtil.parseNestedParamValueProvider``: its text, or its one child."""
    children = _elements(element)
    if not children:
        return _source(element)
    if len(children) == 1:
        return _source(children[0])
    raise IoMappingError("Nested parameter can at most have one child element")


def _source(element: etree._Element) -> Source:
    tag = etree.QName(element).localname
    if tag == "list":
        return ListOf(tuple(_source(child) for child in _elements(element)))
    if tag == "map":
        entries = []
        for entry in _elements(element):
            if etree.QName(entry).localname != "entry":
                continue  # Camunda reads only the entries of a map
            key = entry.get("key")
            if not key:
                raise IoMappingError("Missing attribute 'key' for 'entry' element")
            entries.append((_compiled(key), _nested(entry)))
        return MapOf(tuple(entries))
    if tag == "script":
        return _script_refused(element)
    text = (element.text or "").strip()
    return Text(_compiled(text)) if text else Null()


def _script_refused(element: etree._Element) -> Source:
    language = element.get("scriptFormat")
    shown = f" ({language})" if language else ""
    raise IoMappingError(f"camunda:script{shown} would run a script, which this server does not")


def _compiled(source: str) -> Expression:
    try:
        return compile_expression(source)
    except ExpressionError as error:
        raise IoMappingError(str(error)) from None


def _elements(element: etree._Element) -> list[etree._Element]:
    return [child for child in element.iterchildren() if isinstance(child.tag, str)]


# Where a mapping may be: Camunda's BpmnParse.checkActivityInputOutputSupported, then
# what this server runs.


def io_refusal(io: etree._Element) -> str | None:
    """Why the ``camunda:inputOutput`` element ``io`` cannot be deployed, or ``None``."""
    extensions = io.getparent()
    activity = extensions.getparent() if extensions is not None else None
    if (
        extensions is None
        or activity is None
        or extensions.tag != f"{{{BPMN}}}extensionElements"
        or etree.QName(activity).namespace != BPMN
    ):
        return "camunda:inputOutput belongs in the extensionElements of an activity"
    if activity.tag == f"{{{BPMN}}}process":
        return None  # Camunda reads mappings of activities only; a process's is ignored
    try:
        mapping = io_mapping(activity)
    except IoMappingError as error:
        return str(error)
    if mapping is None:  # another camunda:inputOutput came first: Camunda reads that one
        return None
    tag = etree.QName(activity).localname
    camunda_refusal = _camunda_refusal(activity, tag, mapping)
    if camunda_refusal is not None:
        return camunda_refusal
    if not _runs_mappings(activity, tag):
        return (
            f"camunda:inputOutput on {tag} elements is not run by this server "
            "(only on user tasks, external tasks, tasks that call code and sub-processes)"
        )
    if _multi_instance(activity):
        return "camunda:inputOutput on a multi-instance activity is not run by this server"
    return None


def in_io_mapping(element: etree._Element) -> bool:
    """``element`` is a ``camunda:inputOutput`` or a part of one."""
    io_tag = f"{{{CAMUNDA}}}inputOutput"
    return element.tag == io_tag or any(a.tag == io_tag for a in element.iterancestors())


def _camunda_refusal(activity: etree._Element, tag: str, mapping: IoMapping) -> str | None:
    if tag in ("startEvent", "boundaryEvent") or not (
        "task" in tag.lower()
        or "Event" in tag
        or tag in ("transaction", "subProcess", "callActivity")
    ):
        return f"camunda:inputOutput mapping unsupported for element type '{tag}'."
    if tag == "subProcess" and activity.get("triggeredByEvent") == "true":
        return (
            f"camunda:inputOutput mapping unsupported for element type '{tag}' "
            "with attribute 'triggeredByEvent = true'."
        )
    if mapping.outputs and tag == "endEvent":
        return f"camunda:outputParameter not allowed for element type '{tag}'."
    if mapping.outputs and _multi_instance(activity):
        return "camunda:outputParameter not allowed for multi-instance constructs"
    return None


def _runs_mappings(activity: etree._Element, tag: str) -> bool:
    if tag in ("userTask", "subProcess"):
        return True
    if is_code_task(activity):  # run by its stand-in (stand_in_runs), as a delegate's
        return True
    return tag in EXTERNAL_TASK_ELEMENTS and activity.get(f"{{{CAMUNDA}}}type") == "external"


def _multi_instance(activity: etree._Element) -> bool:
    return activity.find(f"{{{BPMN}}}multiInstanceLoopCharacteristics") is not None


# Evaluation


def evaluate(source: Source, read: TypedRead, execution: ExecutionView | None = None) -> NewValue:
    """The typed value ``source`` gives over the variables ``read`` finds, ``execution``
    being the execution the mapping runs in; raises :class:`ExpressionError` when an
    expression cannot be evaluated."""
    if isinstance(source, Null):
        return NewValue(type="Null")
    if isinstance(source, Text):
        name = _lone_name(source.expression)
        if name is not None:
            return _read(read, name, source.expression.source)
        return typed_value(source.expression.evaluate(_plain_reader(read), execution=execution))
    return _object(
        _plain(source, read, execution), LIST_TYPE if isinstance(source, ListOf) else MAP_TYPE
    )


def _plain(source: Source, read: TypedRead, execution: ExecutionView | None) -> Any:
    """The value as Camunda's collections hold it (nested lists and maps as JSON)."""
    if isinstance(source, Null):
        return None
    if isinstance(source, Text):
        name = _lone_name(source.expression)
        if name is not None:
            value = _read(read, name, source.expression.source)
            return plain_value(value.type, value.text_value)
        return _jsonable(source.expression.evaluate(_plain_reader(read), execution=execution))
    if isinstance(source, ListOf):
        return [_plain(item, read, execution) for item in source.items]
    entries = {
        as_text(key.evaluate(_plain_reader(read), execution=execution)) or "": _plain(
            value, read, execution
        )
        for key, value in source.entries
    }
    return dict(sorted(entries.items()))  # a TreeMap's order


def _jsonable(value: Any) -> Any:
    """A value richer expressions give, as a collection's JSON holds it."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, JsonNode):
        return value.value
    return value


def _lone_name(expression: Expression) -> str | None:
    match = _LONE_NAME.fullmatch(expression.source)
    if match is None or match.group(1) in _NOT_NAMES:
        return None
    return match.group(1)


def _read(read: TypedRead, name: str, source: str) -> NewValue:
    try:
        return read(name)
    except KeyError:
        raise ExpressionError(
            f"Unknown property used in expression: {source}. "
            f"Cause: Cannot resolve identifier '{name}'"
        ) from None


def _plain_reader(read: TypedRead) -> Callable[[str], Any]:
    def plain(name: str) -> Any:
        value = read(name)
        return plain_value(value.type, value.text_value)

    return plain


def typed_value(value: Any) -> NewValue:
    """An expression's value as the typed variable Camunda would store for its Java value."""
    if value is None:
        return NewValue(type="Null")
    if isinstance(value, bool):
        text = "true" if value else "false"
        return NewValue(type="Boolean", text_value=text, long_value=int(value))
    if isinstance(value, int):
        if value not in _LONG_RANGE:
            raise ExpressionError(f"{value} is out of the range of a Long")
        return NewValue(type="Long", text_value=str(value), long_value=value)
    if isinstance(value, Decimal):  # arithmetic's results
        return typed_value(_jsonable(value))
    if isinstance(value, float):
        return NewValue(type="Double", text_value=repr(value), double_value=value)
    if isinstance(value, datetime):  # a java.util.Date
        return NewValue(type="Date", text_value=format_date(value), long_value=epoch_millis(value))
    if isinstance(value, dict | list):
        return NewValue(type="Json", text_value=json.dumps(value))
    if isinstance(value, JsonNode):  # S(...), prop(...): Spin's node is a Json variable
        return NewValue(type="Json", text_value=str(value))
    return NewValue(type="String", text_value=str(value))


def _object(value: Any, java_type: str) -> NewValue:
    return NewValue(
        type="Object",
        text_value=json.dumps(value),
        object_type_name=java_type,
        serialization_data_format=JSON_FORMAT,
    )
