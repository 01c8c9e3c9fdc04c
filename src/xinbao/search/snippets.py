"""Highlighted snippets, made on the server from the original text.

The body is normalized with its offset map (``normalize_with_map``); the query's marks (normalized
words and phrases) are looked for in the normalized body, allowing the one space that punctuation
folds to between any two characters. The first match fixes the window: ``CONTEXT`` original
characters either side. Matches inside the window are wrapped in ``<mark>``; everything else is
HTML-escaped, so text in an item can never become markup.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xinbao.search.normalize import normalize, normalize_with_map

CONTEXT = 40
ELLIPSIS = "…"


def mark_pattern(marks: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for all marks, longest first, each character optionally followed by a space
    (built once per set of marks: a page asks for it once per hit)."""
    return _mark_pattern(tuple(marks))


@functools.lru_cache(maxsize=256)
def _mark_pattern(marks: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives = []
    for mark in sorted({m.replace(" ", "") for m in marks if m.strip()}, key=len, reverse=True):
        alternatives.append(" ?".join(re.escape(char) for char in mark))
    if not alternatives:
        return None
    return re.compile("|".join(alternatives))


def _matches(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Spans of the original ``text`` matched by ``pattern`` in its normalized form."""
    if pattern is None or not text:
        return []
    normalized = normalize_with_map(text)
    return [normalized.original_span(*m.span()) for m in pattern.finditer(normalized.text)]


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

    Only the paragraph with the first match is mapped (the others are tested with the fast
    ``normalize``), then only the window around it: the cost does not grow with the body."""
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


def _first_match(paragraphs: list[str], pattern: re.Pattern[str]) -> tuple[int, int] | None:
    """The span of the first match in the paragraphs joined by spaces, looking paragraph by
    paragraph (a match across two paragraphs is not looked for)."""
    offset = 0
    for paragraph in paragraphs:
        if pattern.search(normalize(paragraph)):
            spans = _matches(paragraph, pattern)
            if spans:
                return spans[0][0] + offset, spans[0][1] + offset
        offset += len(paragraph) + 1
    return None


def plain(snippet_html: str, *, marks: bool = True) -> str:
    """A snippet as plain text: the marks shown as 【…】 (or dropped), entities decoded."""
    opening, closing = ("【", "】") if marks else ("", "")
    return html.unescape(snippet_html.replace("<mark>", opening).replace("</mark>", closing))
