"""Where each element is, as Camunda's SAX locator says: the line and column just after
its start tag, past comments, CDATA and processing instructions that hold a ``<``."""

from __future__ import annotations

from lxml import etree

from taskvars.engine.source_positions import element_positions


def test_positions_are_just_after_each_start_tag_past_markup_that_is_no_element() -> None:
    data = (
        b'<?xml version="1.0"?>\n'
        b"<!-- a <comment> -->\n"
        b'<a x="1>2">\n'
        b"  <b/><![CDATA[ <not-an-element> ]]>\n"
        b"  <?pi <also not> ?>\n"
        b"  <c\n     y='>'>text</c>\n"
        b"</a>\n"
    )
    root = etree.fromstring(data)
    positions = element_positions(root, data)
    assert {element.tag: position for element, position in positions.items()} == {
        "a": (3, 12),
        "b": (4, 7),
        "c": (7, 12),
    }


def test_a_text_that_does_not_match_the_tree_gives_no_positions() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><a><b/></a>'.encode("utf-16")
    root = etree.fromstring(data)
    assert element_positions(root, data) == {}
