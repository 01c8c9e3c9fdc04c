"""Snippets: cut from the original text around the first match, matches marked, all escaped."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from xinbao.search.normalize import normalize_with_map
from xinbao.search.query import parse_query
from xinbao.search.snippets import _render, highlight, mark_pattern, plain, snippet


def test_the_snippet_marks_the_match_in_the_original_script() -> None:
    body = "今年以來,城關鎮堅持把換屆工作作為基層組織建設的重點。"
    assert str(snippet(body, ["换届"])) == (
        "今年以來,城關鎮堅持把<mark>換屆</mark>工作作為基層組織建設的重點。"
    )


def test_the_snippet_is_cut_around_the_first_match() -> None:
    body = "甲" * 100 + "换届选举" + "乙" * 100
    cut = str(snippet(body, ["换届"], context=10))
    assert cut == "…" + "甲" * 10 + "<mark>换届</mark>" + "选举" + "乙" * 8 + "…"


def test_a_match_across_folded_punctuation_is_marked_whole() -> None:
    assert str(snippet("党建。引领", ["党建引领"])) == "<mark>党建。引领</mark>"


def test_item_text_is_escaped_never_markup() -> None:
    body = '换届<script>alert("x")</script><b>加粗</b>&amp;'
    cut = str(snippet(body, ["换届"], context=100))
    assert "<script>" not in cut and "<b>" not in cut
    assert cut == (
        # every piece of text goes through django.utils.html.escape (quotes too)
        "<mark>换届</mark>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;加粗&lt;/b&gt;"
        "&amp;amp;"
    )
    assert str(highlight("<i>换届</i>", ["换届"])) == "&lt;i&gt;<mark>换届</mark>&lt;/i&gt;"


def test_a_match_inside_markup_like_text_is_escaped_too() -> None:
    assert str(snippet("a<换届>b", ["换届"])) == "a&lt;<mark>换届</mark>&gt;b"


def test_without_a_match_the_snippet_is_the_start_of_the_text() -> None:
    assert str(snippet("第一段。\n第二段。", ["换届"])) == "第一段。 第二段。"


def test_plain_text_for_the_terminal() -> None:
    assert plain("<mark>换届</mark>&lt;b&gt;") == "【换届】<b>"
    assert plain("<mark>换届</mark>", marks=False) == "换届"


def test_the_first_match_may_be_in_a_later_paragraph_and_span_a_space() -> None:
    body = "第一段没有。\n第二段 abc def 在这里。\n第三段。"
    assert str(snippet(body, ["abc def"], context=3)) == "…二段 <mark>abc def</mark> 在这…"


# The snippet as first written (every paragraph up to the match normalized with its offset map,
# then the window): the in-place folding must mark exactly the same.


def _reference_matches(text: str, marks: list[str]) -> list[tuple[int, int]]:
    pattern = mark_pattern(marks)
    if pattern is None or not text:
        return []
    normalized = normalize_with_map(text)
    return [
        normalized.original_span(*m.span()) for m in pattern.collapsed.finditer(normalized.text)
    ]


def _reference_snippet(text: str, marks: list[str], context: int = 40) -> str:
    paragraphs = [flat for line in text.splitlines() if (flat := " ".join(line.split()))]
    flat = " ".join(paragraphs)
    first, offset = None, 0
    for paragraph in paragraphs:
        spans = _reference_matches(paragraph, marks)
        if spans:
            first = spans[0][0] + offset, spans[0][1] + offset
            break
        offset += len(paragraph) + 1
    if first is None:
        start, end = 0, min(len(flat), 2 * context)
    else:
        start, end = max(0, first[0] - context), min(len(flat), first[1] + context)
    spans = [(a + start, b + start) for a, b in _reference_matches(flat[start:end], marks)]
    rendered = _render(flat, spans, start, end)
    return ("…" if start > 0 else "") + rendered + ("…" if end < len(flat) else "")


PIECES = st.sampled_from(
    [
        "换届",
        "換屆",
        "选举",
        "選舉",
        "党建",
        "黨建",
        "工作",
        "组织",
        "組織",
        "基层",
        "，",
        "。",
        "……",
        "——",
        "“",
        "”",
        " ",
        "\u3000",
        "\n",
        "\n\n",
        "ＡＢ",
        "ab",
        "①",
        "2025",
        "\u200b",
        "ﬁ",
        "<b>",
        "&",
        "甲乙丙丁戊己庚辛壬癸" * 3,
    ]
)
QUERIES = ["换届", "换届选举", "党建 工作", '"组织 基层"', "换 OR 选举", "ab", "ＡＢ2025", "组织"]


@settings(deadline=None, max_examples=300)
@given(st.lists(PIECES, max_size=60), st.sampled_from(QUERIES), st.integers(1, 40))
def test_snippets_and_highlights_are_those_of_the_mapped_normal_form(
    pieces: list[str], query: str, context: int
) -> None:
    text = "".join(pieces)
    marks = parse_query(query).marks
    assert str(snippet(text, marks, context=context)) == _reference_snippet(text, marks, context)
    assert str(highlight(text, marks)) == _render(
        text, _reference_matches(text, marks), 0, len(text)
    )
