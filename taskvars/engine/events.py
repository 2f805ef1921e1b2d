"""Firing what a running instance waits for (a timer's job ran, a message was correlated,
a signal was broadcast): the run claimed, the variables written, the wait's task run on
(Camunda's ``EventSubscriptionEntity.eventReceived`` and ``TimerEntity`` execution: the
catching execution is signalled). Nothing here commits."""

from __future__ import annotations

from taskvars.engine import runtime
from taskvars.errors import ModelRunError, SuspendedEntityError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import NewValue, ScopeRef
from taskvars.services import variables as variable_writes


def fire_wait(
    uow: UnitOfWork,
    instance: ScopeRef,
    wait_key: str,
    *,
    variables: dict[str, NewValue] | None = None,
    local_variables: dict[str, NewValue] | None = None,
    again: bool = True,
) -> None:
    """Fire the wait ``wait_key`` (a SpiffWorkflow task id) of ``instance``'s run: claimed
    first (a racing step is a 409), then ``variables`` written from the catching
    execution as Camunda's ``setVariables`` propagates them and ``local_variables`` on
    that execution, then the run goes on past the wait and is saved. ``again``: a
    non-interrupting boundary event is armed again (``False``: a timer that repeats no
    more). A key ``esp:<scope>:<start event id>`` starts an event sub-process in its
    scope, the variables written from the scope's execution
    (:mod:`.event_subprocess_waits`)."""
    if uow.store.process_instances.is_suspended(instance.pk):
        # Camunda neither runs a suspended instance's jobs nor correlates to it.
        raise SuspendedEntityError("ProcessInstance", instance.external_id)
    claimed = runtime.claim_run(uow, instance)
    if claimed is None:
        raise ModelRunError(f"process instance {instance.external_id} runs no model")

    def write(chain: list[ScopeRef]) -> None:
        if local_variables:
            variable_writes.write_values(uow, chain[:1], local_variables, local=True)
        if variables:
            variable_writes.write_values(uow, chain, variables, local=False)

    runtime.fire_task(uow, claimed, wait_key, write=write, again=again)


def start_by_event(
    uow: UnitOfWork,
    definition: ProcessDefinitionRecord,
    start_event_id: str,
    variables: dict[str, NewValue],
    business_key: str | None,
) -> runtime.Started:
    """Start an instance of ``definition`` at its message, signal or timer start event
    ``start_event_id`` (the others, a none start event too, do not fire), run it to its
    first waits; does not commit."""
    return runtime.start_instance(
        uow, definition, variables, business_key, start_event_id=start_event_id
    )
