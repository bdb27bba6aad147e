"""Tests for sync.phpserial: the safe reader of PHP serialize() output."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.errors import InputError
from sync.phpserial import MAX_DEPTH, loads


def dumps(value: object) -> str:
    """PHP's serialize(), for the values loads() accepts (used to check round trips)."""
    if value is None:
        return "N;"
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, float):
        return f"d:{value!r};"
    if isinstance(value, str):
        return f's:{len(value.encode("utf-8"))}:"{value}";'
    if isinstance(value, dict):
        return f"a:{len(value)}:{{" + "".join(dumps(k) + dumps(v) for k, v in value.items()) + "}"
    raise TypeError(value)


def offset_of(text: str | bytes) -> int:
    with pytest.raises(InputError) as caught:
        loads(text)
    offset = caught.value.context["offset"]
    assert isinstance(offset, int)
    assert f"byte {offset}" in str(caught.value)
    return offset


# -- what WordPress and Polylang store ----------------------------------------------------


def test_polylang_translation_group_map() -> None:
    assert loads('a:3:{s:2:"en";i:12;s:2:"tr";i:14;s:2:"ru";i:15;}') == {
        "en": 12,
        "tr": 14,
        "ru": 15,
    }


def test_polylang_language_term_description() -> None:
    text = 'a:3:{s:6:"locale";s:5:"tr_TR";s:3:"rtl";i:0;s:9:"flag_code";s:2:"tr";}'
    assert loads(text) == {"locale": "tr_TR", "rtl": 0, "flag_code": "tr"}


def test_scalars() -> None:
    assert loads("N;") is None
    assert loads("b:0;") is False
    assert loads("b:1;") is True
    assert loads("i:-42;") == -42
    assert loads("d:1.5;") == 1.5
    assert loads("d:-0.25;") == -0.25
    assert loads("d:1.0E+25;") == 1.0e25
    assert loads("d:INF;") == float("inf")
    assert loads('s:0:"";') == ""


def test_nested_arrays_with_integer_keys() -> None:
    text = 'a:2:{i:0;a:1:{s:3:"ids";a:2:{i:0;i:12;i:1;i:14;}}i:7;b:1;}'
    assert loads(text) == {0: {"ids": {0: 12, 1: 14}}, 7: True}


def test_string_lengths_count_utf8_bytes() -> None:
    assert loads('s:8:"Türkçe";') == "Türkçe"  # 6 characters, 8 bytes
    assert loads('s:14:"Русский";') == "Русский"  # 7 characters, 14 bytes
    assert loads('a:1:{s:8:"başlık";s:37:"Один день в Стамбуле";}') == {
        "başlık": "Один день в Стамбуле"
    }


def test_bytes_input_is_read_as_utf8() -> None:
    assert loads('s:14:"Русский";'.encode()) == "Русский"


def test_string_may_contain_quotes_and_semicolons() -> None:
    assert loads('s:9:"a";s:1:"b";') == 'a";s:1:"b'


def test_a_character_count_instead_of_a_byte_count_is_refused() -> None:
    # 6 characters but 8 bytes: what a careless exporter writes.
    assert offset_of('s:6:"Türkçe";') == 11


# -- refused: objects, references, anything else ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'O:8:"stdClass":0:{}',
        'O:8:"stdClass":1:{s:1:"a";i:1;}',
        'C:11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}',
        'E:7:"Foo:Bar";',
    ],
)
def test_objects_are_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        loads(text)
    assert caught.value.context["offset"] == 0
    assert "not accepted" in str(caught.value)


def test_object_nested_in_an_array_is_refused_at_its_offset() -> None:
    text = 'a:1:{s:1:"x";O:8:"stdClass":0:{}}'
    assert offset_of(text) == text.index("O:")


@pytest.mark.parametrize("letter", ["r", "R"])
def test_references_are_refused(letter: str) -> None:
    text = f'a:2:{{i:0;s:1:"a";i:1;{letter}:2;}}'
    with pytest.raises(InputError, match="reference"):
        loads(text)
    assert offset_of(text) == text.index(f"{letter}:2;")


# -- malformed input is reported with its byte offset --------------------------------------


@pytest.mark.parametrize(
    ("text", "offset", "expected"),
    [
        ("", 0, "a value"),
        ("i:12", 4, "';' after an integer"),
        ("i:x;", 2, "an integer"),
        ("b:2;", 2, "0 or 1"),
        ('s:5:"abc";', 10, "after 5 bytes of string"),
        ('a:2:{s:2:"en";i:12;}', 19, "an array key"),
        ('a:1:{s:2:"en";i:12;', 19, "'}' after 1 array elements"),
        ("a:1:{a:0:{}i:1;}", 5, "an array key"),
        ("a:1:{d:1.5;i:1;}", 5, "an array key"),
        ("N;N;", 2, "the end of the data"),
        ("x:1;", 0, "one of"),
        ('a:3:{s:2:"en";i:12;s:3:"tr";i:14;', 27, "after 3 bytes"),
    ],
)
def test_malformed_input_names_the_offset_and_what_was_expected(
    text: str, offset: int, expected: str
) -> None:
    with pytest.raises(InputError) as caught:
        loads(text)
    assert caught.value.context["offset"] == offset
    assert expected in str(caught.value.context["expected"])


def test_invalid_utf8_in_a_string_is_refused() -> None:
    assert offset_of(b's:2:"\xfd\xfc";') == 5


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    def nested(depth: int) -> str:
        return "a:1:{i:0;" * depth + "N;" + "}" * depth

    assert loads(nested(MAX_DEPTH)) is not None
    with pytest.raises(InputError, match="nested deeper"):
        loads(nested(MAX_DEPTH + 1))


def test_input_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(InputError, match="over the limit"):
        loads('s:20:"' + "x" * 20 + '";', max_length=16)


def test_huge_declared_counts_fail_fast() -> None:
    assert offset_of("a:4000000000:{}") == 14
    assert offset_of('s:4000000000:"ab";') > 0


# -- properties ----------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
KEYS = st.integers(min_value=-1000, max_value=1000) | st.text(max_size=8)
VALUES = st.recursive(
    SCALARS, lambda inner: st.dictionaries(KEYS, inner, max_size=4), max_leaves=20
)


@given(VALUES)
def test_round_trip(value: object) -> None:
    assert loads(dumps(value)) == value


@given(st.binary(max_size=80))
def test_arbitrary_bytes_parse_or_raise_input_error(data: bytes) -> None:
    try:
        loads(data)
    except InputError as err:
        assert isinstance(err.context["offset"], int)
        assert 0 <= err.context["offset"] <= len(data)


@given(VALUES, st.data())
def test_truncated_serializations_are_refused(value: object, data: st.DataObject) -> None:
    raw = dumps(value).encode("utf-8")
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    with pytest.raises(InputError):
        loads(raw[:cut])
