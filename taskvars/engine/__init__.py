"""The BPMN engine: deployed models run by SpiffWorkflow, mapped onto Camunda's
executions, waits, and history.

- :mod:`.model_check` — whether a deployed file can run here (elements, expressions);
- :mod:`.expressions` — Camunda's expression subset, parsed (:mod:`.expression_parser`)
  and evaluated (:mod:`.expression_nodes`) without eval; :mod:`.juel_values` its
  coercions and arithmetic, :mod:`.expression_methods` the methods per receiver type
  (with :mod:`.juel_methods`, :mod:`.joda_dates` for ``dateTime()`` and ``now()``,
  :mod:`.spin_json` for ``S(...)`` and Json values), :mod:`.expression_context` the
  ``execution`` and ``task`` a step gives them;
- :mod:`.adapter` — the only importer of SpiffWorkflow: specs built once, runs started,
  restored, stepped, reported as plain trees (:mod:`.tree`) and pruned;
- :mod:`.executions` — the pure mapping from those trees to Camunda's executions, with
  what a step changed (waits entered and left, executions made, ended, compacted,
  activity instances started and ended);
- :mod:`.behaviours` — what each kind of wait writes and removes (user tasks now);
- :mod:`.user_tasks` — a user task's Camunda attributes, read and evaluated;
- :mod:`.variable_reader` — variables as conditions and attributes read them;
- :mod:`.runtime` — one pipeline for every step: claim, restore, apply, map,
  behaviours, history, save or end.
"""
