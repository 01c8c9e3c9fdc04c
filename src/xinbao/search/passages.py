"""The side-by-side view of what two items share, paragraph by paragraph (the editor's
"相似段落对照"). Computed from the two items' current text when the page is asked for."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xinbao.items.models import Item
from xinbao.search import shingles as sh
from xinbao.search.index import attachment_texts_of


@dataclass
class PassageRow:
    left_html: SafeString
    right_html: SafeString
    share: float


@dataclass
class Comparison:
    item: Item
    other: Item
    measures: sh.Measures
    rows: list[PassageRow]


def _marked(text: str, spans: list[tuple[int, int]]) -> SafeString:
    out, last = [], 0
    for start, end in spans:
        out += [escape(text[last:start]), "<mark>", escape(text[start:end]), "</mark>"]
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text is escaped above


def compare(item: Item, other: Item) -> Comparison:
    """The measures of the two texts (attachments' text included, after the body) and, for each
    paragraph of ``item`` (title first) that
    shares at least half of itself with a paragraph of ``other``, the two side by side with
    their common runs of characters marked."""
    texts = attachment_texts_of([pk for pk in (item.pk, other.pk) if pk is not None])
    mine, theirs = texts.get(item.pk, []), texts.get(other.pk, [])
    left_originals = sh.original_paragraphs(item.title, item.body, mine)
    right_originals = sh.original_paragraphs(other.title, other.body, theirs)
    left = sh.Shingled.of(sh.paragraphs_of(item.title, item.body, mine))
    right = sh.Shingled.of(sh.paragraphs_of(other.title, other.body, theirs))
    rows = []
    for pair in sh.passage_pairs(left, right):
        a, b = left_originals[pair.left_index], right_originals[pair.right_index]
        a_spans, b_spans = sh.shared_runs(a, b)
        rows.append(PassageRow(_marked(a, a_spans), _marked(b, sorted(b_spans)), pair.share))
    return Comparison(item, other, sh.measure(left, right), rows)
