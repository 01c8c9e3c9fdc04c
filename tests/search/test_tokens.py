"""Tokens: character pairs of Han runs, lone characters, Latin words and numbers, long words."""

from __future__ import annotations

from xinbao.search.tokens import (
    MAX_POSITION,
    MAX_POSITIONS,
    document_tokens,
    long_words,
    stream,
    tsvector,
)


def test_a_han_run_becomes_its_overlapping_pairs() -> None:
    assert stream("基层组织建设") == ["基层", "层组", "组织", "织建", "建设"]


def test_two_character_terms_are_single_tokens() -> None:
    assert stream("换届") == ["换届"]
    assert stream("党建 换届") == ["党建", "换届"]


def test_a_lone_han_character_is_its_own_token() -> None:
    assert stream("第 3 届") == ["第", "3", "届"]


def test_latin_words_and_numbers_are_tokens_between_han_runs() -> None:
    assert stream("2025年换届abc123") == ["2025", "年换", "换届", "abc123"]


def test_long_dictionary_words_are_added_after_the_pairs() -> None:
    assert "组织部" in long_words("县委组织部召开会议")
    assert all(len(word) >= 3 for word in long_words("县委组织部召开换届工作会议"))


def test_document_tokens_are_normalized_and_space_separated() -> None:
    tokens = document_tokens(["換屆工作", "ＡＢＣ，党建！"]).split(" ")
    assert tokens[:3] == ["换届", "届工", "工作"]
    assert "abc" in tokens
    assert "党建" in tokens
    assert all(token and not any(c in token for c in ' ,!"') for token in tokens)


def test_the_vector_holds_each_token_with_its_first_positions() -> None:
    tokens = ["党建", "abc", "党建", "2025", *(["换届"] * (MAX_POSITIONS + 5))]
    vector = tsvector(tokens)
    assert vector is not None
    lexemes = dict(part.split(":") for part in vector.split(" "))
    assert lexemes["党建"] == "1,3" and lexemes["abc"] == "2" and lexemes["2025"] == "4"
    assert lexemes["换届"].split(",") == [str(p) for p in range(5, 5 + MAX_POSITIONS)]


def test_the_vector_is_left_to_the_server_for_tokens_its_parser_may_cut() -> None:
    assert tsvector(["1e5x"]) is None  # the parser reads a number then a word
    assert tsvector(["café"]) is None and tsvector(["〇一"]) is None
    assert tsvector(["基层"] * (MAX_POSITION + 1)) is None
    assert tsvector([]) == ""
