"""The search box's query language, parsed into terms both index backends compile.

    换届 党建              both (AND is the default; ``AND`` may be written)
    "基层组织建设"          the exact phrase (also “…” and ＂…＂)
    换届 OR 选举           either (also ``|`` and a standalone 或); binds tighter than AND
    -通报  NOT 通报         not containing
    单位:城关镇  -单位:城关镇  only / not from a unit (name, short name or code; also 單位, unit)

A plain word is normalized and cut into dictionary words (rjieba); each word must occur (as the
run of its character pairs), so 东部乡镇换届 finds an item saying 东部乡镇开展换届. A quoted phrase
must occur as written, up to punctuation and spacing. A lone Han character matches the pairs and
words that start with it (prefix). Nothing here builds SQL: ``search.index`` compiles a
``ParsedQuery`` into the backend's syntax with every token quoted, and passes it as a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xinbao.search.normalize import normalize
from xinbao.search.tokens import HAN, MIN_INDEXED_WORD, han_tokens, segments, stream, words

UNIT_FIELDS = frozenset({"单位", "單位", "unit"})
OR_WORDS = frozenset({"OR", "|", "或", "｜"})
NOT_WORDS = frozenset({"NOT"})
AND_WORDS = frozenset({"AND", "&"})
QUOTES = str.maketrans({"“": '"', "”": '"', "＂": '"'})
LEXEME = re.compile(
    r"""(?P<neg>[-－])?(?:(?P<field>[^\s:：\"]+)[:：])?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))"""
)
HAN_SPACE = re.compile(f"(?<=[{HAN}]) (?=[{HAN}])")
MIN_PIECE = 2


@dataclass(frozen=True)
class Phrase:
    """Tokens that must occur at consecutive positions. ``prefix``: the last token is a prefix
    (a lone Han character). ``word``: a dictionary word asked for as an alternative, which never
    widens the match (the word's pairs are the phrase) but ranks items using the word higher."""

    tokens: tuple[str, ...]
    prefix: bool = False
    word: str | None = None


@dataclass(frozen=True)
class Term:
    """One word or quoted phrase of the query: all its phrases must occur. ``marks`` are the
    normalized strings that snippets highlight."""

    text: str
    phrases: tuple[Phrase, ...]
    marks: tuple[str, ...]


@dataclass
class ParsedQuery:
    groups: list[list[Term]] = field(default_factory=list)  # AND of OR-groups
    excluded: list[Term] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    excluded_units: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return bool(self.groups or self.excluded)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.units or self.excluded_units)

    @property
    def marks(self) -> list[str]:
        return [mark for group in self.groups for term in group for mark in term.marks]


def merge_single_characters(pieces: list[str]) -> list[str]:
    """Attach one-character words to a neighbour (the previous one, else the next), so each
    piece is a run of pairs; a piece stays one character only when the whole run is."""
    merged: list[str] = []
    pending = ""
    for piece in pieces:
        if len(piece) < MIN_PIECE:
            if merged:
                merged[-1] += piece
            else:
                pending += piece
            continue
        merged.append(pending + piece)
        pending = ""
    if pending:
        merged.append(pending)
    return merged


def han_phrase(piece: str, *, dictionary_word: bool) -> Phrase:
    if len(piece) == 1:
        return Phrase((piece,), prefix=True)
    word = piece if dictionary_word and len(piece) >= MIN_INDEXED_WORD else None
    return Phrase(tuple(han_tokens(piece)), word=word)


def word_term(text: str) -> Term | None:
    """A plain word: every dictionary word in it (and every Latin word or number) must occur."""
    phrases: list[Phrase] = []
    marks: list[str] = []
    for segment, is_han in segments(normalize(text)):
        if not is_han:
            phrases.append(Phrase((segment,)))
            marks.append(segment)
            continue
        cut = words(segment)
        merged = merge_single_characters(cut)
        for piece in merged:
            phrases.append(han_phrase(piece, dictionary_word=piece in cut))
            marks.append(piece)
    if not phrases:
        return None
    return Term(text=text, phrases=tuple(phrases), marks=tuple(marks))


def phrase_term(text: str) -> Term | None:
    """A quoted phrase: its tokens at consecutive positions. Spaces between Han characters are
    dropped (“党 建” means 党建); a final lone Han character is a prefix."""
    normalized = HAN_SPACE.sub("", normalize(text))
    tokens = stream(normalized)
    if not tokens:
        return None
    parts = list(segments(normalized))
    last, last_is_han = parts[-1]
    prefix = last_is_han and len(last) == 1
    return Term(text=text, phrases=(Phrase(tuple(tokens), prefix=prefix),), marks=(normalized,))


def parse_query(text: str) -> ParsedQuery:
    parsed = ParsedQuery()
    pending_or = False
    negate_next = False
    for match in LEXEME.finditer(text.translate(QUOTES)):
        neg, field_name, phrase, word = match.group("neg", "field", "phrase", "word")
        if phrase is None and word is not None and not neg and not field_name:
            if word in OR_WORDS:
                pending_or = bool(parsed.groups)
                continue
            if word in NOT_WORDS:
                negate_next = True
                continue
            if word in AND_WORDS:
                continue
        negative = bool(neg) or negate_next
        negate_next = False
        if field_name is not None and field_name.lower() in UNIT_FIELDS:
            value = (phrase if phrase is not None else word or "").strip()
            if value:
                (parsed.excluded_units if negative else parsed.units).append(value)
            pending_or = False
            continue
        if field_name is not None:  # not a field we know: the colon is part of the text
            raw = match.group(0)[1:] if neg else match.group(0)
            term = word_term(raw.replace('"', " "))
        elif phrase is not None:
            term = phrase_term(phrase)
        else:
            term = word_term(word or "")
        if term is None:
            continue
        if negative:
            parsed.excluded.append(term)
            pending_or = False
        elif pending_or:
            parsed.groups[-1].append(term)
            pending_or = False
        else:
            parsed.groups.append([term])
    return parsed
