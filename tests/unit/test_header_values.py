from __future__ import annotations

import pytest

from taskvars.header_values import (
    HeaderValueError,
    attachment_disposition,
    is_token,
    parse_header_value,
    parse_media_type,
)


def test_quoted_parameters_are_unescaped() -> None:
    parsed = parse_header_value('form-data; name="data"; filename="a\\"b\\\\c.txt"')
    assert parsed.value == "form-data"
    assert parsed.params == {"name": "data", "filename": 'a"b\\c.txt'}


def test_semicolons_inside_quotes_do_not_split() -> None:
    assert parse_header_value('form-data; name="a;b"').params == {"name": "a;b"}


@pytest.mark.parametrize(
    "header",
    [
        "form-data; filename*=UTF-8''%C3%A4.txt; filename=\"plain.txt\"",
        "form-data; filename=\"plain.txt\"; filename*=UTF-8''%C3%A4.txt",
    ],
)
def test_extended_filename_wins_in_either_order(header: str) -> None:
    assert parse_header_value(header).params["filename"] == "ä.txt"


def test_extended_parameter_in_latin_1() -> None:
    assert parse_header_value("x; filename*=ISO-8859-1'de'%E4.txt").params["filename"] == "ä.txt"


@pytest.mark.parametrize(
    "header",
    [
        "form-data; filename*=UTF-8''%FF",
        "form-data; filename*=KOI8-R''abc",
        "form-data; filename*=no-quotes",
        'form-data; name="unterminated',
        "form-data; =value",
        "form-data; name",
    ],
)
def test_malformed_parameters_are_refused(header: str) -> None:
    with pytest.raises(HeaderValueError):
        parse_header_value(header)


def test_trailing_semicolons_are_tolerated() -> None:
    assert parse_header_value("text/plain;;").params == {}


def test_media_type_is_lower_cased_and_parameters_kept() -> None:
    parsed = parse_media_type("Text/Plain; Charset=US-ASCII")
    assert parsed.value == "text/plain"
    assert parsed.params == {"charset": "US-ASCII"}


@pytest.mark.parametrize("header", ["garbage", "/", "text/", "a b/c", "text/plain extra"])
def test_things_that_are_not_media_types_are_refused(header: str) -> None:
    with pytest.raises(HeaderValueError):
        parse_media_type(header)


def test_attachment_disposition_carries_the_exact_name_in_filename_star() -> None:
    header = attachment_disposition('ä "q"\\x\r\n.txt')
    assert header == (
        'attachment; filename="_ \\"q\\"\\\\x__.txt"; '
        "filename*=UTF-8''%C3%A4%20%22q%22%5Cx%0D%0A.txt"
    )
    assert "\r" not in header
    assert "\n" not in header


def test_tokens() -> None:
    assert is_token("UTF-8")
    assert not is_token("a b")
    assert not is_token("x\r\nSet-Cookie: a=b")


def test_quoted_value_ending_in_a_backslash_is_taken_literally() -> None:
    """Browsers (WHATWG form encoding) escape only quotes, never backslashes."""
    assert parse_header_value('form-data; name="a\\"; filename="C:\\dir\\"').params == {
        "name": "a\\",
        "filename": "C:\\dir\\",
    }
