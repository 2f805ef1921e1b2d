"""What the model check found in one file: every problem, where it is, and how Camunda
words the lot.

Camunda's ``Parse`` collects every error of a resource (``Parse.addError``) and throws one
``ParseException`` whose message lists them (``Parse.throwExceptionForErrors``,
``ENGINE-09005``); the REST layer answers each resource's errors and warnings as
``details`` (``ParseExceptionDto``, ``ResourceReportDto``, ``ProblemDto``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taskvars.engine.model_check import ProcessModel

# Camunda's ProblemDto spells its getter with a Cyrillic capital IE (U+0415) for the "E"
# of getElementIds, so its REST API names the field "elementIds" with a Cyrillic small
# "ie" (U+0435) first; DeploymentRestServiceInteractionTest asserts exactly that key.
ELEMENT_IDS_KEY = "\u0435lementIds"


@dataclass(frozen=True)
class Problem:
    """One error or warning: Camunda's ``ProblemImpl``. ``line``/``column`` are 0 when
    unknown (Camunda's ints), ``element_id`` the id of the element or of the nearest
    element around it that has one."""

    message: str
    line: int = 0
    column: int = 0
    element_id: str | None = None
    # Every element concerned, when more than the main one (a gateway and its flow).
    element_ids: tuple[str, ...] = ()

    def where(self) -> str:
        """Camunda's ``ProblemImpl.toString``: `` | line n | column m`` when known."""
        return (f" | line {self.line}" if self.line > 0 else "") + (
            f" | column {self.column}" if self.column > 0 else ""
        )

    def as_json(self) -> dict[str, Any]:
        """Camunda's ``ProblemDto``."""
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "mainElementId": self.element_id,
            ELEMENT_IDS_KEY: list(self.element_ids)
            or ([self.element_id] if self.element_id else []),
        }


@dataclass(frozen=True)
class ModelReport:
    """One checked file: its executable processes if it deploys, its errors (it does not
    deploy if there is one) and warnings, and notes a reader should know before running
    it, by section (:data:`taskvars.engine.model_notes.NOTE_SECTIONS`)."""

    resource: str
    processes: list[ProcessModel] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: Mapping[str, list[Problem]] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def details(self) -> dict[str, Any]:
        """Camunda's ``ResourceReportDto``."""
        return {
            "errors": [problem.as_json() for problem in self.errors],
            "warnings": [problem.as_json() for problem in self.warnings],
        }


def parse_exception_message(reports: Iterable[ModelReport]) -> str:
    """Camunda's ``ENGINE-09005`` message: a line per error, each naming its resource."""
    lines = "".join(
        f"\n* {problem.message} | resource {report.resource}{problem.where()}"
        for report in reports
        for problem in report.errors
    )
    return f"ENGINE-09005 Could not parse BPMN process. Errors: {lines}"


def text_report(report: ModelReport) -> str:
    """The report as ``taskvars check-model`` prints it: a verdict line, then a line per
    problem and per note, by section."""
    if report.refused:
        verdict = f"{report.resource}: refused, {_count(len(report.errors), 'error')}"
    else:
        keys = ", ".join(process.key for process in report.processes)
        verdict = f"{report.resource}: deploys (processes: {keys})"
    lines = [verdict]
    sections = [("errors", report.errors), ("warnings", report.warnings), *report.notes.items()]
    for title, problems in sections:
        if problems:
            lines.append(f"  {title}:")
            lines.extend(f"    {_problem_line(problem)}" for problem in problems)
    return "\n".join(lines)


def _problem_line(problem: Problem) -> str:
    where = f"line {problem.line}" if problem.line else "-"
    element = problem.element_id or "-"
    return f"{where:<9} {element}: {_one_line(problem.message)}"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
