"""Normalization: one search form for indexing, queries and duplicate detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinbao.search.normalize import (
    _IN_PLACE,
    fold_in_place,
    normalize,
    normalize_with_map,
    to_simplified,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("換屆選舉", "换届选举"),
        ("黨建引領基層治理", "党建引领基层治理"),
        ("組織部", "组织部"),
        ("换届选举", "换届选举"),  # Simplified stays as it is
    ],
)
def test_traditional_becomes_simplified(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_full_width_latin_digits_and_space_become_ascii_and_lower_case() -> None:
    assert normalize("ＡＢＣ１２３　ＸｉＮｂａｏ") == "abc123 xinbao"


@pytest.mark.parametrize(
    "mark",
    [*list("，。、；：？！“”‘’《》〈〉「」『』【】〔〕（）…—·・～％＃＆＊"), "——", "……"],
)
def test_every_cjk_punctuation_mark_folds_to_a_word_break(mark: str) -> None:
    assert normalize(f"党建{mark}引领") == "党建 引领"


def test_whitespace_runs_fold_to_one_space_and_ends_are_stripped() -> None:
    assert normalize("  换届\n\n\t选举 \u3000 工作  ") == "换届 选举 工作"


def test_invisible_format_characters_are_dropped() -> None:
    assert normalize("换\u200b届\ufeff") == "换届"


def test_numbers_in_compatibility_forms_become_digits_and_zero_stays_a_character() -> None:
    assert normalize("①二〇二五年") == "1二〇二五年"


def test_mixed_script_text_normalizes_to_the_same_form() -> None:
    assert normalize("《組工信息》：換屆“風清氣正”！") == normalize("《组工信息》:换届“风清气正”!")


def test_the_offset_map_points_at_the_original_characters() -> None:
    text = "今年，城關鎮　ＡＢ換屆"
    mapped = normalize_with_map(text)
    assert mapped.text == "今年 城关镇 ab换届"
    start = mapped.text.index("换届")
    assert text[slice(*mapped.original_span(start, start + 2))] == "換屆"
    start = mapped.text.index("ab")
    assert text[slice(*mapped.original_span(start, start + 2))] == "ＡＢ"


ALPHABET = st.sampled_from(
    [*list("换届選舉黨建组織部基層，。、“”《》ＡＢａb1２ \n\t·—…①〇"), "\u200b", "\u3000"]
)


@given(st.text(ALPHABET, max_size=60))
def test_the_mapped_form_is_the_normal_form_and_offsets_increase(text: str) -> None:
    mapped = normalize_with_map(text)
    assert mapped.text == normalize(text)
    assert len(mapped.offsets) == len(mapped.text)
    assert list(mapped.offsets) == sorted(mapped.offsets)
    assert all(0 <= offset < len(text) for offset in mapped.offsets)


@given(st.text(ALPHABET, max_size=60))
def test_normalizing_twice_changes_nothing(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@settings(deadline=None)  # the first example fills the tables
@given(st.text(ALPHABET, max_size=80))
def test_folding_in_place_keeps_offsets_and_the_words_of_the_normal_form(text: str) -> None:
    folded = fold_in_place(text)
    if folded is None:  # a character that folds to nothing or to several (here \u200b)
        assert "\u200b" in text
        return
    assert len(folded) == len(text)
    assert " ".join(folded.split()) == normalize(text)
    # each character is the fold of the one at its offset
    assert all(normalize(a) == b for a, b in zip(text, folded, strict=True) if b != " ")


def test_folding_in_place_by_array_and_by_table_agree_on_every_kind_of_character() -> None:
    # long enough for the array (``_ARRAY_FROM``); first sight of these characters included
    samples = [
        "今年以來,城關鎮堅持把換屆工作作為基層組織建設的重點。" * 2,
        "ＡＢＣ１２３　ＸｉＮｂａｏ①②〇★《》〔〕…—·" * 3,
        "Ελληνικά ÀÉÎ КИРИЛЛИЦА 𠀀𠀁 \U0001d400\U0001d401 tab\there\n" * 2,
    ]
    for text in samples:
        assert fold_in_place(text) == to_simplified(text).translate(_IN_PLACE)
    # … folds to three spaces: one in place
    assert fold_in_place("换届……工作") == "换届  工作"
    # a character folding to two (ﬁ → fi) or to none (zero-width space): no in-place form
    assert fold_in_place("换届工作" * 10 + "ﬁ") is None
    assert fold_in_place("换届工作" * 10 + "\u200b") is None
    assert fold_in_place("ﬁ") is None
