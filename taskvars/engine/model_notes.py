"""Notes on a model that deploys, by section, for ``taskvars check-model``: what a reader
should know before running it. Each section is a function of the parsed file giving one
:class:`~taskvars.engine.model_report.Problem` per element concerned.

"needs stand-ins" names the elements that call Java code (``camunda:class``,
``camunda:delegateExpression``, ``camunda:expression``, scripts): none today, as such a
model does not deploy; the stand-ins part of issue 24 fills it in.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from taskvars.engine.model_report import Problem

NoteSection = Callable[[etree._Element], list[Problem]]


def needs_stand_ins(root: etree._Element) -> list[Problem]:
    """The elements that run only with a stand-in for the code they call."""
    return []


# Section title -> the notes of a file, in the order check-model prints them.
NOTE_SECTIONS: dict[str, NoteSection] = {"needs stand-ins": needs_stand_ins}


def notes_of(root: etree._Element) -> dict[str, list[Problem]]:
    """The non-empty sections of notes on ``root``."""
    found = {title: section(root) for title, section in NOTE_SECTIONS.items()}
    return {title: notes for title, notes in found.items() if notes}
