"""The search form of a text: one function used for indexing, queries and duplicate detection.

``normalize(text)`` applies, in order:

1. OpenCC ``t2s``: Traditional → Simplified, so 換屆 and 换届 are the same text;
2. per character, Unicode NFKC: full-width Latin letters, digits and spaces become their ASCII
   forms (ＡＢＣ１２３ → abc123), compatibility ideographs and Kangxi radicals become the unified
   ideographs, circled and parenthesized numbers become plain digits (① → 1);
3. lower-casing (Latin and every other cased script);
4. folding: every punctuation mark, symbol, separator and control character becomes a space —
   CJK punctuation included, deliberately (、。,;:“”‘’《》〈〉「」『』【】〔〕…— · ・ ~ ¥ % ★);
   invisible format characters (zero-width space, BOM, soft hyphen) are dropped; letters, digits,
   combining marks and the ideographic number zero 〇 are kept;
5. runs of spaces become one space, and the ends are stripped.

Step 2–4 work character by character through one cached table (``str.translate``), so
``normalize_with_map`` can record, for each character of the result, the offset of the character
of the original text it came from. Snippets use that map to cut and highlight the original text at
the place where the normalized text matched.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import opencc

# Format characters carry no text: zero-width (non-)joiners and spaces, BOM, soft hyphen.
_DROPPED_CATEGORIES = frozenset({"Cf"})
# Punctuation, symbols, separators, controls and lone surrogates read as a word break.
_BREAK_CATEGORY_PREFIXES = ("P", "S", "Z")
_BREAK_CATEGORIES = frozenset({"Cc", "Cs"})


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """OpenCC ``t2s`` (phrase-aware, so 乾隆 stays 乾隆 while 乾淨 becomes 干净)."""
    return str(_converter().convert(text))


def _fold_char(char: str) -> str:
    out: list[str] = []
    for piece in unicodedata.normalize("NFKC", char).lower():
        category = unicodedata.category(piece)
        if category in _DROPPED_CATEGORIES:
            continue
        if category.startswith(_BREAK_CATEGORY_PREFIXES) or category in _BREAK_CATEGORIES:
            out.append(" ")
        else:
            out.append(piece)
    return "".join(out)


class _FoldTable(dict[int, str]):
    """``ord(char) → folded text`` for ``str.translate``, filled on first sight of a character.
    ``irregular`` collects the characters that do not fold to exactly one character."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        folded = _fold_char(char)
        if len(folded) != 1:
            self.irregular.add(char)
        self[codepoint] = folded
        return folded


_FOLD = _FoldTable()
_WORDS = re.compile("[^ ]+")


class _InPlaceTable(dict[int, str]):
    """``_FOLD`` for folding in place (``fold_in_place``): a character that folds to only
    spaces (… → three) stands for one space, since ``normalize`` makes any run of spaces one.
    ``irregular`` collects the characters that fold to nothing or to several non-spaces."""

    def __init__(self) -> None:
        super().__init__()
        self.irregular: set[str] = set()

    def __missing__(self, codepoint: int) -> str:
        folded = _FOLD[codepoint]
        if len(folded) != 1:
            if folded and not folded.strip(" "):
                folded = " "
            else:
                self.irregular.add(chr(codepoint))
        self[codepoint] = folded
        return folded


_IN_PLACE = _InPlaceTable()
# ``_IN_PLACE`` as an array over every code point: the code point a character stands for,
# ``_IRREGULAR`` when none, ``_UNSEEN`` until first needed (then read from ``_IN_PLACE``). One
# array lookup per text instead of ``translate``'s dictionary lookup per character (several times
# faster on a body).
_UNSEEN = 0xFFFFFFFF
_IRREGULAR = 0xFFFFFFFE
_CODES = np.full(0x110000, _UNSEEN, dtype=np.uint32)
# Below this length ``translate`` costs less than the array's fixed cost per call.
_ARRAY_FROM = 24


def normalize(text: str) -> str:
    """The search form of ``text`` (see the module docstring)."""
    return " ".join(filter(None, to_simplified(text).translate(_FOLD).split(" ")))


@dataclass(frozen=True)
class Normalized:
    """A normalized text and, for each of its characters, the offset in the original text of
    the character it came from (a folded space maps to the character after it)."""

    text: str
    offsets: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the normalized span ``[start, end)`` came from."""
        return self.offsets[start], self.offsets[end - 1] + 1


def normalize_with_map(text: str) -> Normalized:
    """``normalize(text)`` with the offset map.

    Usually every character folds to exactly one character, so the map is the identity up to the
    collapsed spaces and is built word by word. Otherwise (a character that folds to nothing or to
    several, or OpenCC changing the length — it never does with its t2s tables, but the tables
    are data) it is built character by character, converting one character at a time."""
    simplified = to_simplified(text)
    if len(simplified) == len(text):
        folded = simplified.translate(_FOLD)
        if _FOLD.irregular.isdisjoint(simplified):
            return _collapse(folded)
        pieces: list[str] | str = simplified
    else:
        pieces = [to_simplified(char) for char in text]
    chars: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for index, piece in enumerate(pieces):
        for char in piece:
            for out in _FOLD[ord(char)]:
                if out == " ":
                    pending_space = True
                    continue
                if pending_space and chars:
                    chars.append(" ")
                    offsets.append(index)
                pending_space = False
                chars.append(out)
                offsets.append(index)
    return Normalized("".join(chars), tuple(offsets))


def fold_in_place(text: str) -> str | None:
    """``text`` converted (OpenCC ``t2s``) and folded character for character, spaces not
    collapsed nor stripped: a string of the same length as ``text``, so that an offset in it is
    the offset in ``text`` of the character it came from (a character that folds to several
    spaces stands for one). ``None`` when that does not hold (a character that folds to nothing
    or to several non-spaces, or OpenCC changing the length): the caller uses
    ``normalize_with_map``.

    Its words (runs of non-spaces) are those of ``normalize(text)``; a run of spaces stands for
    the one space there. So a pattern that allows a run of spaces wherever ``normalize``'s text
    allows one space finds the same matches, at their original offsets, with no map to build."""
    simplified = to_simplified(text)
    if len(simplified) != len(text):
        return None
    if len(simplified) >= _ARRAY_FROM:
        return _fold_array(simplified)
    folded = simplified.translate(_IN_PLACE)
    if not _IN_PLACE.irregular.isdisjoint(simplified):  # after ``translate``, which fills it
        return None
    return folded


def _fold_array(text: str) -> str | None:
    """``text.translate(_IN_PLACE)`` through ``_CODES``; ``None`` when a character of ``text``
    has no one-character fold."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    try:  # ``_UNSEEN`` and ``_IRREGULAR`` are no code points: decoding refuses them
        return _CODES[codes].tobytes().decode("utf-32-le")
    except UnicodeDecodeError:
        pass
    for code in np.unique(codes[_CODES[codes] == _UNSEEN]).tolist():
        out = _IN_PLACE[code]
        _CODES[code] = ord(out) if len(out) == 1 else _IRREGULAR
    try:
        return _CODES[codes].tobytes().decode("utf-32-le")
    except UnicodeDecodeError:
        return None


def _collapse(folded: str) -> Normalized:
    """The map of a text folded one character to one: words keep their offsets; the one space
    between two words maps to the first character of the second."""
    words: list[str] = []
    offsets: list[int] = []
    for match in _WORDS.finditer(folded):
        start, end = match.span()
        if words:
            offsets.append(start)
        words.append(match.group())
        offsets.extend(range(start, end))
    return Normalized(" ".join(words), tuple(offsets))
