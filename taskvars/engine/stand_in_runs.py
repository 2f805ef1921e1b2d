"""Stand-ins at work in a run: what happens when a token reaches code (:mod:`.code_sites`)
and what the server's stand-ins (:mod:`.stand_ins`) say runs instead.

A code task is parsed as a wait (like an external task). When a token enters it:

- ``external-topic``: the task becomes an external task on that topic (the external task
  behaviour writes it, as for ``camunda:type="external"``);
- ``set`` and ``bpmn-error``: a follow-up of the same step (:func:`settle`) writes the
  variables and completes the task, or raises the BPMN error from it, and the run goes
  on, until it rests: one unit of work, as Camunda runs a delegate within its command;
- ``fail``, or no stand-in at all: the request fails (a 500, Camunda's error for code it
  cannot load), and the unit of work is rolled back: nothing changed.

Listeners (execution listeners on activities and the process; task listeners on user
tasks) are run at the events a step reports; their stand-ins set variables or fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from taskvars.engine.code_sites import LISTENER_ACTIONS, CodeKind, CodeSite
from taskvars.engine.executions import Activity, Token
from taskvars.engine.external_service_tasks import ExternalTaskModel
from taskvars.engine.stand_ins import DEFAULT_FAILURE_TYPE, Action, StandIn, active
from taskvars.engine.tree import RunSnapshot
from taskvars.errors import ApiError, ModelRunError
from taskvars.persistence.values import ScopeRef
from taskvars.services import variables

if TYPE_CHECKING:
    from taskvars.engine.adapter import WorkflowRun
    from taskvars.engine.behaviours import StepContext

# Follow-ups one request may run: a loop of stood-in tasks whose conditions never change
# would otherwise never end (Camunda's would end in a StackOverflowError).
MAX_FOLLOW_UPS = 10_000
_IDENTIFIER = re.compile(r"^\s*[$#]\{\s*([A-Za-z_$][\w$]*)")


class CodeError(ApiError):
    """Code failed, or could not be found: a 500, as Camunda answers any exception of
    the command (``ExceptionHandlerHelper``), with the exception's type and message. A
    ``ProcessEngineException`` (``code`` 0) comes under the operation's prefix, as the
    REST resources catch and report those; any other Java exception (``code`` None)
    passes them as it is."""

    status = 500

    def __init__(self, type_name: str, message: str, code: int | None = 0) -> None:
        super().__init__(message, prefixed=code is not None)
        self.type = type_name
        self.code = code


@dataclass(frozen=True)
class FollowUp:
    token: Token
    site: CodeSite
    stand_in: StandIn
    # The task's own execution when it has an input/output mapping (its inputs on it).
    scope: ScopeRef | None = None


class _Step(Protocol):
    context: StepContext

    def apply_once(self, run: WorkflowRun) -> None: ...

    def raised_to_caller(
        self, run: WorkflowRun, error_code: str, error_message: str | None
    ) -> bool: ...


def enter_code_task(step: StepContext, token: Token) -> ExternalTaskModel | None:
    """A token entered a code task: the external task to write for it (an
    ``external-topic`` stand-in), or ``None`` when a follow-up runs it."""
    site = step.code_tasks.get(token.element_id or "")
    if site is None:  # the model check lets no other service task through
        raise ModelRunError(f"{token.element_id} is not a task this server runs")
    stand_in = _stand_in(site)
    if stand_in.action is Action.EXTERNAL_TOPIC:
        return ExternalTaskModel(
            element_id=site.element_id,
            topic=stand_in.topic,  # plain text: the stand-ins file refuses "${"
            priority=None,
            properties=step.code_task_properties.get(site.element_id, {}),
        )
    # A mapping makes the task a scope (BpmnParse.parseActivityInputOutput): its inputs
    # are set on its own execution before the delegate runs there.
    scope = None if step.io is None else step.io.open_code_scope(token)
    step.follow_ups.append(FollowUp(token, site, stand_in, scope))
    return None


def settle(step: _Step, run: WorkflowRun) -> None:
    """Run the follow-ups the step's behaviours left (and theirs), until the run rests."""
    context = step.context
    done = 0
    while context.follow_ups and not run.finished:
        follow_up = context.follow_ups.pop(0)
        if not run.is_waiting(follow_up.token.task_id):
            continue  # an error caught around it took its token first
        done += 1
        if done > MAX_FOLLOW_UPS:
            raise CodeError(
                "ProcessEngineException",
                f"more than {MAX_FOLLOW_UPS} stood-in tasks run in one request: a loop "
                "that never rests",
            )
        stand_in = follow_up.stand_in
        chain = _chain(context, follow_up.token.execution_id)
        # The delegate's execution.setVariable: from its own execution, if it has one.
        own = chain if follow_up.scope is None else [follow_up.scope, *chain]
        try:
            if stand_in.action is Action.SET:
                _set(context, own, stand_in)
                run.complete(follow_up.token.task_id)
            else:
                task_id, code = follow_up.token.task_id, stand_in.error_code
                if not run.catches(task_id, code) and step.raised_to_caller(
                    run, code, stand_in.message
                ):
                    return  # a call activity took it, and this instance ended
                catcher = run.throw_error(task_id, code)
                _error_variables(context, chain, catcher, stand_in)
        except Exception as error:
            from taskvars.engine.adapter import BpmnRunError

            if isinstance(error, BpmnRunError):
                raise ModelRunError(str(error)) from None
            raise
        step.apply_once(run)  # its own follow-ups join the queue: no recursion


def run_listeners(step: StepContext, sites: list[CodeSite], event: str, execution_id: str) -> None:
    """The listeners of one element for ``event``, in model order: each stand-in sets
    its variables from ``execution_id`` (as ``execution.setVariable``) or fails."""
    for site in sites:
        if site.event != event:
            continue
        stand_in = _stand_in(site)
        if stand_in.action not in LISTENER_ACTIONS:
            raise CodeError(
                "ProcessEngineException",
                f"{stand_in.key} stands in for {site.listener} '{site.reference}' on "
                f"{site.element_id}: a listener's stand-in can only set or fail",
            )
        _set(step, _chain(step, execution_id), stand_in)


def activity_listeners(
    step: StepContext,
    started: list[Activity],
    ended: list[tuple[str, bool]],
    snapshot: RunSnapshot,
) -> None:
    """Execution listeners of the activities a step ended (cancelled ones too, as
    Camunda's), of the flows it took and of the activities it started, in that order. An
    ended activity's execution may be gone: its listeners set variables from the process
    instance."""
    just_started = {activity.instance_id for activity in started}
    flows = _flow_listeners(step)

    def end(passed_through: bool) -> None:
        for instance_id, _cancelled in ended:
            if (instance_id in just_started) == passed_through:
                element_id = instance_id.rsplit(":", 1)[0]  # activity_instance_id's form
                run_listeners(step, step.listeners.get(element_id, []), "end", step.instance_id)

    end(passed_through=False)
    for activity in started:
        source = _predecessor(snapshot, activity.task_id) if flows else None
        if source is not None:
            for flow_sites in flows.get((source, activity.element_id), []):
                run_listeners(step, flow_sites, "take", activity.execution_id)
        run_listeners(
            step, step.listeners.get(activity.element_id, []), "start", activity.execution_id
        )
    end(passed_through=True)


def _flow_listeners(step: StepContext) -> dict[tuple[str, str], list[list[CodeSite]]]:
    """The listeners of each sequence flow that has some, by (source, target)."""
    found: dict[tuple[str, str], list[list[CodeSite]]] = {}
    for sites in step.listeners.values():
        if sites and sites[0].flow is not None:
            found.setdefault(sites[0].flow, []).append(sites)
    return found


def _predecessor(snapshot: RunSnapshot, task_id: str) -> str | None:
    """The element whose outgoing flow led to the task ``task_id``: its nearest ancestor
    that is a BPMN element (none for the first of a process or sub-process)."""
    node = snapshot.node(task_id)
    while node is not None and node.parent_id is not None:
        node = snapshot.node(node.parent_id)
        if node is not None and node.is_activity:
            return node.element_id
    return None


def process_listeners(step: StepContext, process_key: str, event: str) -> None:
    """The process's own execution listeners (``start`` before its first step runs,
    ``end`` once it ended), on the process instance."""
    run_listeners(step, step.listeners.get(process_key, []), event, step.instance_id)


def _stand_in(site: CodeSite) -> StandIn:
    stand_in = site.stand_in(active())
    if stand_in is None:
        raise missing_code(site)
    if stand_in.action is Action.FAIL:
        # The stand-in's own type is a Java exception of the delegate's, not the engine's.
        engine = stand_in.failure_type == DEFAULT_FAILURE_TYPE
        raise CodeError(stand_in.failure_type, stand_in.message or "", code=0 if engine else None)
    return stand_in


def missing_code(site: CodeSite) -> CodeError:
    """Camunda's error for code it cannot find, where it looks for it."""
    reference = site.reference
    if site.kind is CodeKind.CLASS:
        # ReflectUtil.loadClass: ClassNotFoundException's message is the class name.
        return CodeError(
            "ClassLoadingException", f"ENGINE-09017 Cannot load class '{reference}': {reference}"
        )
    if site.kind in (CodeKind.DELEGATE_EXPRESSION, CodeKind.EXPRESSION):
        # JuelExpression.getValue: the bean is an identifier no variable or bean resolves.
        found = _IDENTIFIER.match(reference)
        name = found.group(1) if found else reference
        return CodeError(
            "ProcessEngineException",
            f"Unknown property used in expression: {reference}. Cause: Cannot resolve "
            f"identifier '{name}'",
        )
    if site.kind is CodeKind.SCRIPT:
        language = reference.split(" ", 1)[0]
        # ScriptingEngines.getScriptEngineForLanguage's ensureNotNull.
        return CodeError(
            "NullValueException",
            f"Can't find scripting engine for '{language}': scriptEngine is null",
        )
    if site.kind is CodeKind.DECISION:
        # DecisionDefinitionCache.findDeployedLatestDefinitionByKey.
        return CodeError(
            "DecisionDefinitionNotFoundException",
            f"no decision definition deployed with key '{reference}': decisionDefinition is null",
        )
    # ServiceTaskConnectorActivityBehavior: a ConnectorException, no engine code.
    return CodeError(
        "ConnectorException", f"No connector found for connector id '{reference}'", code=None
    )


def _chain(step: StepContext, execution_id: str) -> list[ScopeRef]:
    """The scopes seen from ``execution_id``; from the process instance when the step
    already ended that execution (an end listener's)."""
    try:
        chain = step.reader.chain(execution_id)
    except KeyError:
        chain = []
    return chain or step.reader.chain(step.instance_id)


def _set(step: StepContext, chain: list[ScopeRef], stand_in: StandIn) -> None:
    if stand_in.variables:
        values = variables.convert_values(dict(stand_in.variables))
        variables.write_values(step.uow, chain, values, local=False)


def _error_variables(
    step: StepContext, chain: list[ScopeRef], catcher: str | None, stand_in: StandIn
) -> None:
    """The catching boundary event's ``camunda:errorCodeVariable`` and
    ``errorMessageVariable`` (as :func:`.runtime.throw_error` sets a worker's)."""
    names = step.error_variables.get(catcher or "")
    if names is None:
        return
    pairs: list[tuple[str | None, Any]] = [
        (names.code, stand_in.error_code),
        (names.message, stand_in.message),
    ]
    values = {name: {"value": value, "type": "String"} for name, value in pairs if name is not None}
    variables.write_values(step.uow, chain, variables.convert_values(values), local=False)
