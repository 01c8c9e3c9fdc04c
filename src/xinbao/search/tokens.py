"""Index tokens, computed in Python so SQLite (FTS5) and PostgreSQL (tsvector) index the same.

A normalized text (``search.normalize``) is split into segments: runs of Han characters, and
runs of anything else that is not a space (Latin words, numbers, other scripts). Its token stream
is, segment by segment in order:

- a Han run of two or more characters → its overlapping character pairs (bigrams):
  基层组织 → 基层 层组 组织. Every two-character term (换届, 党建) is one token, and a longer phrase
  is the sequence of its pairs at consecutive positions, so a phrase query finds it exactly;
- a lone Han character → itself;
- any other segment → itself (``2025``, ``abc123``), cut to ``MAX_WORD`` characters.

After the streams of all fields come the *words*: rjieba's words of three or more Han characters
(组织部, 云溪县). They never change what matches — every such word is also a run of pairs — but a
query for a dictionary word asks for the word too, so items that use it as a word rank higher.

Tokens never contain a space or ASCII punctuation (normalization folded those), so a token string
is the tokens joined by single spaces, and both backends' tokenizers keep each one intact.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence

from xinbao.search.normalize import normalize

# CJK Unified Ideographs, Extension A, the compatibility block, Extensions B–H, and 〇.
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
SEGMENT = re.compile(f"([{HAN}]+)|([^ {HAN}]+)")
HAN_RUN = re.compile(f"[{HAN}]+")
MAX_WORD = 60
MIN_INDEXED_WORD = 3


@functools.cache
def _cutter() -> Callable[[str], list[str]]:
    """rjieba's ``cut`` (jieba-rs); the pure-Python jieba when rjieba is not installed."""
    try:
        import rjieba
    except ImportError:  # pragma: no cover - rjieba is a dependency; jieba is the fallback
        import jieba  # type: ignore[import-not-found]  # optional, only when rjieba is absent

        return lambda text: list(jieba.cut(text))
    return rjieba.cut


def words(run: str) -> list[str]:
    """rjieba's segmentation of a Han run (accurate mode, with HMM for unknown words)."""
    return [word for word in _cutter()(run) if word.strip()]


def segments(normalized: str) -> Iterator[tuple[str, bool]]:
    """``(segment, is_han)`` for each segment of a normalized text, in order."""
    for match in SEGMENT.finditer(normalized):
        han, other = match.groups()
        if han:
            yield han, True
        else:
            yield other[:MAX_WORD], False


def han_tokens(run: str) -> list[str]:
    """The bigrams of a Han run, or the character itself when the run is one character."""
    if len(run) == 1:
        return [run]
    return list(map(str.__add__, run[:-1], run[1:]))


def stream(normalized: str) -> list[str]:
    """The positional token stream of a normalized text (see the module docstring): what
    ``segments`` and ``han_tokens`` give, inlined (a rebuild runs it on every field of every
    item)."""
    out: list[str] = []
    append, extend = out.append, out.extend
    for han, other in SEGMENT.findall(normalized):
        if not han:
            append(other[:MAX_WORD])
        elif len(han) == 1:
            append(han)
        else:
            extend(map(str.__add__, han[:-1], han[1:]))
    return out


def long_words(normalized: str) -> list[str]:
    """The dictionary words of three or more Han characters in a normalized text (rjieba cuts
    each Han run on its own, so one call over the whole text gives the same words)."""
    return [
        word
        for word in _cutter()(normalized)
        if len(word) >= MIN_INDEXED_WORD and HAN_RUN.fullmatch(word)
    ]


def document_token_list(fields: Iterable[str]) -> list[str]:
    """The tokens of a document made of ``fields`` (each an original, unnormalized text): every
    field's stream, in order, then the long words of all of them. A field given twice (the
    title) is normalized and cut once."""
    seen: dict[str, tuple[list[str], list[str]]] = {}
    parts = []
    for text in fields:
        found = seen.get(text)
        if found is None:
            normalized = normalize(text)
            found = seen[text] = (stream(normalized), long_words(normalized))
        parts.append(found)
    tokens: list[str] = []
    for streamed, _words in parts:
        tokens.extend(streamed)
    for _streamed, found_words in parts:
        tokens.extend(found_words)
    return tokens


def document_tokens(fields: Iterable[str]) -> str:
    """The token string of a document made of ``fields`` (``document_token_list``)."""
    return " ".join(document_token_list(fields))


# PostgreSQL's ``to_tsvector('simple', …)`` of a token string, computed here (``tsvector``):
# its parser reads a token made only of these characters as exactly one word, which the
# ``simple`` dictionary keeps as it is (tokens are lower-cased already). Any other token (a
# letter-digit mix such as ``1e5x``, which the parser cuts in two; other scripts, whose
# classes depend on the server's locale) leaves the document to the server.
_PLAIN_WORD = "(?:[a-z]+|[0-9]+|[\u3400-\u4dbf\u4e00-\u9fff]+)"
_PLAIN_TOKENS = re.compile(f"{_PLAIN_WORD}(?: {_PLAIN_WORD})*")
# ``to_tsvector`` keeps at most this many positions of a lexeme (the first ones) …
MAX_POSITIONS = 255
# … and positions up to this (later ones are clamped to it, which only the server does here).
MAX_POSITION = 16383
_POSITION_TEXT = [str(position) for position in range(1, MAX_POSITION + 1)]


def tsvector(tokens: Sequence[str], joined: str | None = None) -> str | None:
    """``to_tsvector('simple', ' '.join(tokens))`` as PostgreSQL's text form of a ``tsvector``
    (each lexeme with its positions), or None when only the server can say (see
    ``_PLAIN_TOKENS``; more than ``MAX_POSITION`` tokens). A full rebuild sends it with the
    row instead of having the server parse every document (``fulltext.GIVEN_VECTORS``)."""
    if len(tokens) > MAX_POSITION:
        return None
    text = " ".join(tokens) if joined is None else joined
    if text and not _PLAIN_TOKENS.fullmatch(text):
        return None
    positions: defaultdict[str, list[str]] = defaultdict(list)
    for token, at in zip(tokens, _POSITION_TEXT, strict=False):
        positions[token].append(at)
    return " ".join([f"{token}:{','.join(at[:MAX_POSITIONS])}" for token, at in positions.items()])
