"""Notes on a model that deploys, by section, for ``taskvars check-model``: what a reader
should know before running it. Each section is a function of the parsed file giving one
:class:`~taskvars.engine.model_report.Problem` per element concerned.

"needs stand-ins" names each place the model calls code (a Java delegate, an
expression, a script, a decision, a connector, a listener: :mod:`.code_sites`) and what
stands in for it in the stand-ins installed (:func:`.stand_ins.active`), or that nothing
does: without one, the request that reaches it fails as Camunda fails without the class.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from taskvars.engine import code_sites, stand_ins
from taskvars.engine.async_points import runs_on_at_once
from taskvars.engine.model_report import Problem

NoteSection = Callable[[etree._Element], list[Problem]]


def needs_stand_ins(root: etree._Element) -> list[Problem]:
    """The elements that run only with a stand-in for the code they call."""
    return [
        Problem(_covered(coverage), coverage.site.line or 0, 0, coverage.site.element_id)
        for coverage in code_sites.needs_stand_ins(root, stand_ins.active())
    ]


def _covered(coverage: code_sites.Coverage) -> str:
    said = coverage.site.describe()
    if coverage.gap is not None or coverage.stand_in is None:
        return f"{said}: {coverage.gap or 'no stand-in'}"
    return f"{said}: stood in by {coverage.stand_in.key}"


def continuations_not_held(root: etree._Element) -> list[Problem]:
    """asyncBefore/asyncAfter where this server makes no job (a start event, a
    sub-process, a multi-instance activity, ...): the step runs on at once there."""
    return [
        Problem(said, element.sourceline or 0, 0, element.get("id"))
        for element, said in runs_on_at_once(root)
    ]


# Section title -> the notes of a file, in the order check-model prints them.
NOTE_SECTIONS: dict[str, NoteSection] = {
    "needs stand-ins": needs_stand_ins,
    "continuations not held": continuations_not_held,
}


def notes_of(root: etree._Element) -> dict[str, list[Problem]]:
    """The non-empty sections of notes on ``root``."""
    found = {title: section(root) for title, section in NOTE_SECTIONS.items()}
    return {title: notes for title, notes in found.items() if notes}
