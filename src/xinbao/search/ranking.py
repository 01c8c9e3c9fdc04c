"""Relevance, computed in Python from the stored token strings of a bounded set of items.

The same scores on SQLite and PostgreSQL, and a cost that depends only on how many items are
ranked (the search ranks at most the newest ``RELEVANCE_WINDOW`` matches), never on how common a
word is in the whole installation. (FTS5's own ``bm25()`` counts every match of every phrase in
the index before it scores a single row, which for a very common word costs more than the search.)

Okapi BM25 over the ranked set: for each positive phrase of the query, ``tf`` is the number of
its occurrences in the item's token stream — a phrase is its tokens at consecutive positions, so
that is a substring count over the space-separated token string — plus the occurrences of its
dictionary word (which rewards items that use the word as a word); ``idf`` and the average length
are those of the ranked set itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from xinbao.search.query import ParsedQuery, Phrase

K1 = 1.2
B = 0.75


class _Counter:
    """Counts a phrase's occurrences in a space-padded token string: a plain substring count
    (C speed) for whole tokens, a regex only when the last token is a prefix."""

    def __init__(self, tokens: tuple[str, ...], *, prefix: bool, word: str | None) -> None:
        self.needles = [] if prefix else [" " + " ".join(tokens) + " "]
        if word:
            self.needles.append(f" {word} ")
        self.pattern = None
        if prefix:
            escaped = [re.escape(token) for token in tokens]
            self.pattern = re.compile(" " + " ".join(escaped) + r"[^ ]*(?= )")

    def __call__(self, padded: str) -> int:
        found = sum(padded.count(needle) for needle in self.needles)
        if self.pattern is not None:
            found += len(self.pattern.findall(padded))
        return found


def phrase_counters(parsed: ParsedQuery) -> list[_Counter]:
    """One counter per distinct positive phrase (with its dictionary word, if any)."""
    seen: dict[Phrase, _Counter] = {}
    for group in parsed.groups:
        for term in group:
            for phrase in term.phrases:
                if phrase not in seen:
                    seen[phrase] = _Counter(phrase.tokens, prefix=phrase.prefix, word=phrase.word)
    return list(seen.values())


def bm25(parsed: ParsedQuery, documents: Mapping[int, str]) -> dict[int, float]:
    """Score of each of ``documents`` (item id → token string) for ``parsed``; higher is better."""
    counters = phrase_counters(parsed)
    if not documents or not counters:
        return dict.fromkeys(documents, 0.0)
    padded = {pk: f" {tokens} " for pk, tokens in documents.items()}
    lengths = {pk: tokens.count(" ") + 1 for pk, tokens in documents.items()}
    average = sum(lengths.values()) / len(lengths)
    total = len(documents)
    scores = dict.fromkeys(documents, 0.0)
    for counter in counters:
        frequency = {pk: counter(text) for pk, text in padded.items()}
        containing = sum(1 for tf in frequency.values() if tf)
        idf = math.log(1 + (total - containing + 0.5) / (containing + 0.5))
        for pk, tf in frequency.items():
            if tf:
                norm = K1 * (1 - B + B * lengths[pk] / average)
                scores[pk] += idf * tf * (K1 + 1) / (tf + norm)
    return scores
