"""Tests for sync.text: inline and block normalization, hashing."""

from __future__ import annotations

import hashlib
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from sync.text import normalize_block, normalize_inline, normalize_newlines, sha256_hex

NBSP = "\u00a0"
NNBSP = "\u202f"

# Turkish dotted/dotless i, Cyrillic, combining marks, many kinds of white space.
TRICKY = st.text(
    alphabet=st.sampled_from(
        list("aAiIİıŞşĞğçöüЁёЙйЖжщЩ")
        + ["\u0301", "\u0307", "\u0308", "\u0327"]
        + [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u2003", "\u2028", "\u3000", NBSP, NNBSP]
    ),
    max_size=40,
)


def test_inline_collapses_white_space_and_line_endings() -> None:
    assert normalize_inline("  Merhaba\r\n  dünya,\tnasılsın?\r ") == "Merhaba dünya, nasılsın?"


def test_inline_collapses_unicode_spaces_but_keeps_no_break_spaces() -> None:
    text = f"Bonjour{NBSP}! Il{NNBSP}dit\u2003«{NBSP}oui{NBSP}»\u3000А.{NBSP}С.{NBSP}Пушкин"
    assert normalize_inline(text) == (
        f"Bonjour{NBSP}! Il{NNBSP}dit «{NBSP}oui{NBSP}» А.{NBSP}С.{NBSP}Пушкин"
    )


def test_inline_keeps_edge_no_break_space() -> None:
    assert normalize_inline(f" {NBSP}x{NBSP} ") == f"{NBSP}x{NBSP}"


def test_inline_composes_to_nfc() -> None:
    decomposed = "I\u0307stanbul'da Jo\u0308rg ёж"  # İ, ö as base + combining mark
    decomposed = unicodedata.normalize("NFD", decomposed)
    assert normalize_inline(decomposed) == "İstanbul'da Jörg ёж"
    assert unicodedata.is_normalized("NFC", normalize_inline(decomposed))


def test_inline_does_not_case_fold_turkish_i() -> None:
    assert normalize_inline("İı Iı") == "İı Iı"


def test_inline_empty_and_blank() -> None:
    assert normalize_inline("") == ""
    assert normalize_inline(" \n\t\r\n ") == ""


def test_block_keeps_indentation_strips_trailing_and_edge_blank_lines() -> None:
    code = "\r\n  \r\n    def f():  \r\n\treturn 1\t\r\n\r\n\r\n"
    assert normalize_block(code) == "    def f():\n\treturn 1"


def test_block_keeps_inner_blank_lines_and_lone_cr_becomes_lf() -> None:
    assert normalize_block("a\r\rb\rc") == "a\n\nb\nc"


def test_newlines() -> None:
    assert normalize_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


def test_sha256_hex_text_is_utf8() -> None:
    assert sha256_hex("şğ") == hashlib.sha256("şğ".encode()).hexdigest()
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert sha256_hex("a") != sha256_hex("A")


@given(st.text() | TRICKY)
def test_inline_is_idempotent(text: str) -> None:
    once = normalize_inline(text)
    assert normalize_inline(once) == once


@given(TRICKY)
def test_inline_has_no_breaking_white_space_left(text: str) -> None:
    result = normalize_inline(text)
    assert "  " not in result
    assert not any(ch.isspace() and ch not in (" ", NBSP, NNBSP) for ch in result)
    assert result == result.strip(" ")


@given(st.text() | TRICKY)
def test_block_is_idempotent(text: str) -> None:
    once = normalize_block(text)
    assert normalize_block(once) == once
    assert "\r" not in once
