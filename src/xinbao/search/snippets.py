"""Highlighted snippets, made on the server from the original text.

The query's marks (normalized words and phrases) are looked for in the normalized body, allowing
the one space that punctuation folds to between any two characters. The body is usually folded in
place (``normalize.fold_in_place``: same length, so a match's offsets are the original text's, a
run of spaces allowed where normalization leaves one); otherwise it is normalized with its offset
map (``normalize_with_map``). Both find the same matches. The first match fixes the window:
``CONTEXT`` original characters either side. Matches inside the window are wrapped in
``<mark>``; everything else is HTML-escaped, so text in an item can never become markup.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from xinbao.search.normalize import fold_in_place, normalize_with_map

CONTEXT = 40
ELLIPSIS = "…"


@dataclass(frozen=True)
class MarkPattern:
    """The marks as regexes, longest first: ``collapsed`` for a normalized text (each character
    optionally followed by the one space normalization leaves), ``folded`` for a text folded in
    place (``normalize.fold_in_place``: each character followed by any run of spaces)."""

    collapsed: re.Pattern[str]
    folded: re.Pattern[str]


def mark_pattern(marks: Sequence[str]) -> MarkPattern | None:
    """The patterns of a set of marks (built once per set: a page asks for them per hit)."""
    return _mark_pattern(tuple(marks))


@functools.lru_cache(maxsize=256)
def _mark_pattern(marks: tuple[str, ...]) -> MarkPattern | None:
    ordered = sorted({m.replace(" ", "") for m in marks if m.strip()}, key=len, reverse=True)
    if not ordered:
        return None

    def joined(between: str) -> re.Pattern[str]:
        return re.compile("|".join(between.join(map(re.escape, mark)) for mark in ordered))

    return MarkPattern(collapsed=joined(" ?"), folded=joined(" *"))


def _matches(
    text: str, pattern: MarkPattern | None, *, first: bool = False
) -> list[tuple[int, int]]:
    """Spans of the original ``text`` matched by ``pattern`` in its normalized form (only the
    first with ``first``). Usually the text folds in place and the spans are read off directly;
    otherwise through the offset map of ``normalize_with_map``."""
    if pattern is None or not text:
        return []
    folded = fold_in_place(text)
    if folded is not None:
        found = pattern.folded.finditer(folded)
        spans: Iterable[tuple[int, int]] = (m.span() for m in found)
    else:
        normalized = normalize_with_map(text)
        found = pattern.collapsed.finditer(normalized.text)
        spans = (normalized.original_span(*m.span()) for m in found)
    return list(itertools.islice(spans, 1)) if first else list(spans)


def escape(text: str) -> str:
    """``django.utils.html.escape`` without its lazy-string wrapper and ``SafeString`` per piece
    (the same ``html.escape``; the whole rendering is marked safe once, ``_safe``)."""
    return html.escape(text)


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start < position or span_start >= span_end:
            continue
        out.append(escape(text[position:span_start]))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(escape(text[position:end]))
    return "".join(out)


def _safe(rendered: str) -> SafeString:
    """``_render``'s output is every piece of text escaped plus ``<mark>`` tags of its own: safe
    as it is (running it through the sanitizer cost a page of 20 hits 2–3 ms)."""
    return mark_safe(rendered)  # noqa: S308 - only escaped text and our own <mark> tags


def highlight(text: str, marks: Sequence[str]) -> SafeString:
    """All of ``text``, escaped, with the marks wrapped in ``<mark>`` (for titles)."""
    spans = _matches(text, mark_pattern(marks))
    return _safe(_render(text, spans, 0, len(text)))


def snippet(text: str, marks: Sequence[str], *, context: int = CONTEXT) -> SafeString:
    """About ``2 × context`` characters of ``text`` around the first match, escaped, matches
    marked; the start of the text when nothing matches (the match was in the title, keywords or
    an attachment). Line breaks become spaces.

    The paragraphs are folded (``normalize.fold_in_place``) up to the first with a match, then
    only the window around it: the cost does not grow with the body."""
    paragraphs = [flat for line in text.splitlines() if (flat := " ".join(line.split()))]
    flat = " ".join(paragraphs)
    pattern = mark_pattern(marks)
    first = _first_match(paragraphs, pattern) if pattern is not None else None
    if first is None:
        start, end = 0, min(len(flat), 2 * context)
    else:
        start, end = max(0, first[0] - context), min(len(flat), first[1] + context)
    spans = [(a + start, b + start) for a, b in _matches(flat[start:end], pattern)]
    rendered = _render(flat, spans, start, end)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(flat) else ""
    return _safe(prefix + rendered + suffix)


def _first_match(paragraphs: list[str], pattern: MarkPattern) -> tuple[int, int] | None:
    """The span of the first match in the paragraphs joined by spaces, looking paragraph by
    paragraph (a match across two paragraphs is not looked for).

    The first paragraph is folded alone (the match is often there); the others, when needed,
    together (one conversion and one fold of a longer text cost much less than one each),
    then searched one by one within their bounds."""
    if not paragraphs:
        return None
    first, *rest = paragraphs
    spans = _matches(first, pattern, first=True)
    if spans or not rest:
        return spans[0] if spans else None
    offset = len(first) + 1
    folded = fold_in_place(" ".join(rest))
    for paragraph in rest:
        if folded is None:
            spans = _matches(paragraph, pattern, first=True)
            found = spans[0] if spans else None
        else:
            start = offset - len(first) - 1
            match = pattern.folded.search(folded, start, start + len(paragraph))
            found = (match.start() - start, match.end() - start) if match else None
        if found is not None:
            return found[0] + offset, found[1] + offset
        offset += len(paragraph) + 1
    return None


def plain(snippet_html: str, *, marks: bool = True) -> str:
    """A snippet as plain text: the marks shown as 【…】 (or dropped), entities decoded."""
    opening, closing = ("【", "】") if marks else ("", "")
    return html.unescape(snippet_html.replace("<mark>", opening).replace("</mark>", closing))
