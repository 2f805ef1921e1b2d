"""Who may start a process: ``camunda:candidateStarterUsers`` and
``camunda:candidateStarterGroups``, as Camunda's ``BpmnParse`` reads them.

Each is a comma-separated list whose entries may be expressions with commas in them
(``BpmnParse.parseCommaSeparatedList``); Camunda's ``BpmnDeployer`` stores each entry's
text as it is written (``Expression.toString``: an expression is not evaluated), as a
candidate identity link of the definition, which ``startableBy`` queries.
"""

from __future__ import annotations

from lxml import etree

from taskvars.engine.bpmn_xml import CAMUNDA


def candidate_starters(process: etree._Element) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The candidate starter users and groups of ``process``."""
    return (
        split_entries(process.get(f"{{{CAMUNDA}}}candidateStarterUsers")),
        split_entries(process.get(f"{{{CAMUNDA}}}candidateStarterGroups")),
    )


def split_entries(text: str | None) -> tuple[str, ...]:
    """Camunda's ``parseCommaSeparatedList``: a comma after ``$`` or ``{`` and before the
    next ``}`` is part of an expression. Empty entries are left out (Camunda would store an
    empty id)."""
    entries: list[str] = []
    current: list[str] = []
    inside_expression = False
    for character in text or "":
        if character in "{$":
            inside_expression = True
        elif character == "}":
            inside_expression = False
        elif character == "," and not inside_expression:
            entries.append("".join(current).strip())
            current = []
            continue
        current.append(character)
    entries.append("".join(current).strip())
    return tuple(entry for entry in entries if entry)
