"""Snippets: cut from the original text around the first match, matches marked, all escaped."""

from __future__ import annotations

from xinbao.search.snippets import highlight, plain, snippet


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
