"""Where each element of an XML file is, as Camunda reports it.

Camunda's parser takes an element's line and column from the SAX locator at the element's
start, which points just after the ``>`` of its start tag (1-based). lxml knows a line but
no column, so the start tags are found in the text, in document order, skipping comments,
CDATA sections, processing instructions and declarations (where a ``<`` may stand
without starting an element).
"""

from __future__ import annotations

import re

from lxml import etree

_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|<![^>]*>"
    r"|</[^>]*>"
    r"|<(?P<tag>[^\s/>!?])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
    re.DOTALL,
)


def element_positions(root: etree._Element, data: bytes) -> dict[etree._Element, tuple[int, int]]:
    """``(line, column)`` of every element under ``root`` (included), or an empty dict if
    the text cannot be matched with the parsed tree (an encoding other than UTF-8, say):
    then lxml's lines stand alone."""
    text = data.decode("utf-8", errors="replace")
    ends = [match.end() for match in _TOKEN.finditer(text) if match.group("tag")]
    elements = list(root.iter(tag=etree.Element))
    if len(ends) != len(elements):
        return {}
    starts_of_lines = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]
    positions: dict[etree._Element, tuple[int, int]] = {}
    line = 0
    for element, end in zip(elements, ends, strict=True):
        while line + 1 < len(starts_of_lines) and starts_of_lines[line + 1] <= end:
            line += 1
        positions[element] = (line + 1, end - starts_of_lines[line] + 1)
    return positions
