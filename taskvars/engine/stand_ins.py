"""Stand-ins for the Java code a model calls: what ``taskvars serve --stand-ins FILE`` says
runs in place of a Java delegate, a bean expression, a script, a decision or a connector.

The file is TOML (``.toml``) or YAML (``.yaml``/``.yml``), with up to five tables:

- ``element``: by element id (for a listener: ``"<element id>:<event>"``; the process's
  own listeners by the process id);
- ``class``: by ``camunda:class`` name;
- ``expression``: by ``camunda:delegateExpression`` or ``camunda:expression`` text, as
  written (``"${archiveService}"``);
- ``decision``: by ``camunda:decisionRef``;
- ``connector``: by ``camunda:connectorId``.

An element id wins over the other keys. Each entry says one thing:

- ``set``: variables, Camunda's typed-value JSON ``{value = ..., type = "..."}`` or a
  plain value typed as the REST API types it;
- ``bpmn-error``: ``{code = "...", message = "..."}``, raised from the task as a
  worker's ``bpmnError`` is;
- ``fail``: a message (or ``{message = "...", type = "..."}``): the request that reaches
  the code fails with a 500, as a Java exception fails it, and nothing is changed;
- ``external-topic``: the task becomes an external task on that topic, for a worker.

Nothing in the file is run: an expression is only ever compared, as text, with keys.
"""

from __future__ import annotations

import enum
import json
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from taskvars.errors import ApiError
from taskvars.services.variables import convert_values

TABLES = ("element", "class", "expression", "decision", "connector")
# The exception type a ``fail`` stand-in reports unless it names one.
DEFAULT_FAILURE_TYPE = "ProcessEngineException"


class StandInsError(ValueError):
    """A stand-ins file this server cannot use; the message says where and why."""


class Action(enum.StrEnum):
    SET = "set"
    BPMN_ERROR = "bpmn-error"
    FAIL = "fail"
    EXTERNAL_TOPIC = "external-topic"


@dataclass(frozen=True)
class StandIn:
    """One entry of the file: what runs in place of one piece of code."""

    key: str  # where it is in the file: 'class."org.example.Archive"'
    action: Action
    # SET: Camunda's typed-value JSON, by variable name.
    variables: Mapping[str, Any] = field(default_factory=dict)
    error_code: str = ""  # BPMN_ERROR
    message: str | None = None  # BPMN_ERROR's errorMessage, FAIL's message
    failure_type: str = DEFAULT_FAILURE_TYPE  # FAIL
    topic: str = ""  # EXTERNAL_TOPIC


@dataclass(frozen=True)
class StandIns:
    """Every entry of a stand-ins file, by table and key."""

    tables: Mapping[str, Mapping[str, StandIn]] = field(default_factory=dict)
    source: str | None = None  # the file's path

    def find(self, element_key: str, table: str | None, reference: str | None) -> StandIn | None:
        """The stand-in for ``element_key`` (an element id, or ``id:event``), else for
        ``reference`` in ``table`` (a class name, an expression, ...)."""
        found = self.tables.get("element", {}).get(element_key)
        if found is None and table is not None and reference is not None:
            found = self.tables.get(table, {}).get(reference)
        return found


NONE = StandIns()


def load(path: str | Path) -> StandIns:
    """The stand-ins of the file at ``path``; :class:`StandInsError` for anything it
    cannot use (a file that is missing or malformed, an unknown table or key, a bad
    value), before the server serves anything."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        text = path.read_bytes()
    except OSError as error:
        raise StandInsError(f"--stand-ins {path}: cannot read it: {error.strerror}") from None
    try:
        if suffix == ".toml":
            document: Any = tomllib.loads(text.decode("utf-8"))
        elif suffix in (".yaml", ".yml"):
            document = yaml.safe_load(text) or {}
        else:
            raise StandInsError(
                f"--stand-ins {path}: the file must end in .toml, .yaml or .yml (its format)"
            )
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as error:
        language = suffix[1:].upper()
        raise StandInsError(f"--stand-ins {path}: not valid {language}: {error}") from None
    except RecursionError:  # both parsers recurse into nested arrays and tables
        raise StandInsError(f"--stand-ins {path}: nested too deeply to read") from None
    try:
        return parse(document, source=str(path))
    except StandInsError as error:
        raise StandInsError(f"--stand-ins {path}: {error}") from None


def parse(document: Any, source: str | None = None) -> StandIns:
    """The stand-ins of an already decoded document (see :func:`load`)."""
    if not isinstance(document, dict):
        raise StandInsError("the file must be a table of tables (element, class, ...)")
    tables: dict[str, dict[str, StandIn]] = {}
    for table, entries in document.items():
        if table not in TABLES:
            raise StandInsError(f"unknown table {table!r} (known: {', '.join(TABLES)})")
        if not isinstance(entries, dict):
            raise StandInsError(f"{table} must be a table of entries by key")
        tables[table] = {}
        for key, entry in entries.items():
            where = f'{table}."{key}"'
            if not isinstance(key, str) or not key:
                raise StandInsError(f"{table}: a key must be non-empty text")
            tables[table][key] = _entry(where, entry)
    return StandIns(tables, source)


def _entry(where: str, entry: Any) -> StandIn:
    if not isinstance(entry, dict):
        raise StandInsError(f"{where} must be a table with one of: {_actions()}")
    unknown = sorted(str(name) for name in entry if name not in set(Action))
    if unknown:
        raise StandInsError(f"{where}: unknown key {unknown[0]!r} (known: {_actions()})")
    if len(entry) != 1:
        raise StandInsError(f"{where} must say exactly one of: {_actions()}")
    ((name, value),) = entry.items()
    action = Action(name)
    if action is Action.SET:
        return StandIn(where, action, variables=_variables(where, value))
    if action is Action.BPMN_ERROR:
        code, message = _error(where, value)
        return StandIn(where, action, error_code=code, message=message)
    if action is Action.FAIL:
        message, failure_type = _failure(where, value)
        return StandIn(where, action, message=message, failure_type=failure_type)
    if not isinstance(value, str) or not value.strip():
        raise StandInsError(f"{where}: external-topic must be a topic name (text)")
    if "${" in value or "#{" in value:  # a topic here is text, never an expression
        raise StandInsError(f"{where}: external-topic must be a topic name, not an expression")
    if len(value) > 255:  # the external task table's topic column, as Camunda's
        raise StandInsError(f"{where}: external-topic is longer than 255 characters")
    return StandIn(where, action, topic=value)


def _variables(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise StandInsError(f"{where}: set must be a table of variables by name")
    typed: dict[str, Any] = {}
    for name, given in value.items():
        if not isinstance(name, str):
            raise StandInsError(f"{where}: set: a variable's name must be text, not {name!r}")
        if isinstance(given, dict) and ("value" in given or "type" in given):
            unknown = sorted(set(given) - {"value", "type", "valueInfo"})
            if unknown:
                raise StandInsError(f"{where}: set.{name}: unknown key {unknown[0]!r}")
            if not isinstance(given.get("valueInfo", {}), dict):
                raise StandInsError(f"{where}: set.{name}: valueInfo must be a table")
            typed[name] = dict(given)
        else:
            typed[name] = {"value": given}
        try:
            # What the REST API reads is JSON: a TOML date, say, is none.
            json.dumps(typed[name])
        except (TypeError, ValueError) as error:
            raise StandInsError(
                f"{where}: set.{name}: not a JSON value ({error}); a Date is written as "
                'text with type = "Date"'
            ) from None
    try:
        convert_values(typed)  # refused now as the REST API would refuse it
    except ApiError as error:
        raise StandInsError(f"{where}: set: {error.message}") from None
    return typed


def _error(where: str, value: Any) -> tuple[str, str | None]:
    if isinstance(value, str) and value:
        return value, None
    if not isinstance(value, dict):
        raise StandInsError(f"{where}: bpmn-error must be an error code or {{code, message}}")
    unknown = sorted(set(value) - {"code", "message"})
    if unknown:
        raise StandInsError(f"{where}: bpmn-error: unknown key {unknown[0]!r}")
    code, message = value.get("code"), value.get("message")
    if not isinstance(code, str) or not code:
        raise StandInsError(f"{where}: bpmn-error needs a code (text)")
    if message is not None and not isinstance(message, str):
        raise StandInsError(f"{where}: bpmn-error's message must be text")
    return code, message


def _failure(where: str, value: Any) -> tuple[str, str]:
    if isinstance(value, str) and value:
        return value, DEFAULT_FAILURE_TYPE
    if not isinstance(value, dict):
        raise StandInsError(f"{where}: fail must be a message or {{message, type}}")
    unknown = sorted(set(value) - {"message", "type"})
    if unknown:
        raise StandInsError(f"{where}: fail: unknown key {unknown[0]!r}")
    message, failure_type = value.get("message"), value.get("type", DEFAULT_FAILURE_TYPE)
    if not isinstance(message, str) or not message:
        raise StandInsError(f"{where}: fail needs a message (text)")
    if not isinstance(failure_type, str) or not failure_type.isidentifier():
        raise StandInsError(f"{where}: fail's type must be an exception's simple class name")
    return message, failure_type


def _actions() -> str:
    return ", ".join(action.value for action in Action)


# The stand-ins of this server process, installed once by the app (or by a test).
_ACTIVE: list[StandIns] = [NONE]
_LOCK = threading.Lock()


def install(stand_ins: StandIns) -> None:
    with _LOCK:
        _ACTIVE[0] = stand_ins


def active() -> StandIns:
    return _ACTIVE[0]
