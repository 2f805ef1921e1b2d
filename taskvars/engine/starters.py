"""Who may start a process: ``camunda:candidateStarterUsers``,
``camunda:candidateStarterGroups`` and ``camunda:potentialStarter`` extensions, as
Camunda's ``BpmnParse`` reads them.

Each is a comma-separated list whose entries may be expressions with commas in them
(``BpmnParse.parseCommaSeparatedList``); Camunda's ``BpmnDeployer`` stores each entry's
text as it is written (``Expression.toString``: an expression is not evaluated), as a
candidate identity link of the definition, which ``startableBy`` queries.
"""

from __future__ import annotations

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA

# The BPMN elements of a camunda:potentialStarter.
POTENTIAL_STARTER_CONTENT = frozenset({"resourceAssignmentExpression", "formalExpression"})
_POTENTIAL_STARTER_EXPRESSIONS = (
    f"{{{BPMN}}}extensionElements/{{{CAMUNDA}}}potentialStarter"
    f"/{{{BPMN}}}resourceAssignmentExpression/{{{BPMN}}}formalExpression"
)


def candidate_starters(process: etree._Element) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The candidate starter users and groups of ``process``: potential starters first,
    then the attributes (``BpmnParse.parseProcessDefinitionCandidateStarters``)."""
    users: list[str] = []
    groups: list[str] = []
    for expression in process.iterfind(_POTENTIAL_STARTER_EXPRESSIONS):
        # BpmnParse.parsePotentialStarterResourceAssignment: user(x), group(x), or a group.
        for entry in split_entries(expression.text):
            if entry.startswith("user("):
                users.append(entry[len("user(") : -1].strip())
            elif entry.startswith("group("):
                groups.append(entry[len("group(") : -1].strip())
            else:
                groups.append(entry)
    users.extend(split_entries(process.get(f"{{{CAMUNDA}}}candidateStarterUsers")))
    groups.extend(split_entries(process.get(f"{{{CAMUNDA}}}candidateStarterGroups")))
    return tuple(users), tuple(groups)


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
