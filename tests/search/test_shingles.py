"""``search.shingles`` counts shingles as integer ids and computes band keys on arrays: what it
gives is exactly what the definitions on strings give (the code before the ids, kept here as the
reference) — similarity, containment, signatures and band keys — on near-duplicates of every
kind of edit, unrelated texts and the edge cases (short, empty and punctuation-only paragraphs)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from bench import near_duplicates as nd

from xinbao.search import duplicates, parallel
from xinbao.search import shingles as sh


def string_sets(paragraphs: list[str]) -> tuple[set[str], dict[int, set[str]]]:
    """The shingle sets as strings: the whole text's and each long paragraph's."""
    whole: set[str] = set()
    long: dict[int, set[str]] = {}
    for index, paragraph in enumerate(paragraphs):
        if not paragraph:
            continue
        shingles = sh.paragraph_shingles(paragraph)
        whole |= shingles
        if len(paragraph) >= sh.PASSAGE_MIN:
            long[index] = shingles
    return whole, long


def string_measure(a: list[str], b: list[str]) -> tuple[float, float]:
    """``measure`` as defined on the string sets."""
    a_whole, a_long = string_sets(a)
    b_whole, b_long = string_sets(b)
    if not a_whole or not b_whole:
        return 0.0, 0.0
    common = len(a_whole & b_whole)
    similarity = common / (len(a_whole) + len(b_whole) - common)
    containment = common / min(len(a_whole), len(b_whole))
    for mine, theirs in ((a_long, b_whole), (b_long, a_whole)):
        for shingles in mine.values():
            containment = max(containment, len(shingles & theirs) / len(shingles))
    return round(similarity, 4), round(containment, 4)


def string_entry(paragraphs: list[str]) -> tuple[list[int], list[tuple[int, int]]]:
    """Signature and (paragraph, key) bands, one rensa call per string set and one
    ``_band_key`` per band."""
    whole, long = string_sets(paragraphs)
    values = sh.signature(whole) if whole else [0] * sh.NUM_PERM
    keys = []
    if whole:
        keys += [
            (-1, sh._band_key(1, band, values[band * sh.DOC_ROWS : (band + 1) * sh.DOC_ROWS]))
            for band in range(sh.DOC_BANDS)
        ]
    for index, shingles in long.items():
        own = sh.signature(shingles)
        keys += [
            (index, sh._band_key(2, band, own[band * sh.PARA_ROWS : (band + 1) * sh.PARA_ROWS]))
            for band in range(sh.PARA_BANDS)
        ]
    return values, keys


def texts(seed: str, n: int = 30) -> Iterator[tuple[list[str], list[str]]]:
    """Pairs of texts as compared (``paragraphs_of``): a source and each of its edits, the
    source and an unrelated text, and the edge cases."""
    rng = random.Random(seed)
    for i in range(n):
        src = nd.source(rng, nd.themes()[i % len(nd.themes())])
        paragraphs = sh.paragraphs_of(src.title, src.body)
        for edit in nd.EDITS:
            other = nd.variant(rng, src, edit)
            yield paragraphs, sh.paragraphs_of(other.title, other.body)
        unrelated = nd.source(rng, nd.themes()[(i + 1) % len(nd.themes())])
        yield paragraphs, sh.paragraphs_of(unrelated.title, unrelated.body)
    yield ["短", "", "五个字正好", "abcd", "。。"], ["五个字正好", "短"]
    yield ["", ""], ["标题", "正文"]
    yield ["标题"], ["标题"]


@pytest.mark.parametrize("seed", ["ids-1", "ids-2"])
def test_measures_on_shingle_ids_equal_the_measures_on_strings(seed: str) -> None:
    compared = 0
    for a, b in texts(seed):
        measures = sh.measure(sh.Shingled.of(a), sh.Shingled.of(b))
        assert (measures.similarity, measures.containment) == string_measure(a, b), (a, b)
        back = sh.measure(sh.Shingled.from_stored("\n".join(b)), sh.Shingled.of(a))
        assert (back.similarity, back.containment) == string_measure(b, a)
        compared += 1
    assert compared > 200


def test_signatures_and_band_keys_equal_the_string_definitions() -> None:
    for a, b in texts("keys", n=10):
        for paragraphs in (a, b):
            values, keys = string_entry(paragraphs)
            entry = duplicates.Entry.of_shingled(sh.Shingled.of(paragraphs))
            assert entry.values == values
            assert entry.keys == keys


def test_a_rebuild_worker_stores_the_string_definitions() -> None:
    rng = random.Random("worker")
    sources = [nd.source(rng, theme) for theme in nd.themes()]
    sources += [nd.variant(rng, src, edit) for src in sources[:3] for edit in nd.EDITS]
    rows = [(i, src.title, src.body, [], None, 0) for i, src in enumerate(sources)]
    for src, row in zip(sources, parallel.entries_of(rows), strict=True):
        values, keys = string_entry(sh.paragraphs_of(src.title, src.body))
        assert row is not None
        assert row[2] == sh.pack(values)
        assert (row[3], row[4]) == parallel.pack_bands(keys)


def test_a_text_with_no_shingles_has_no_bands_and_measures_nothing() -> None:
    empty = sh.Shingled.of(["", ""])
    entry = duplicates.Entry.of_shingled(empty)
    assert entry.keys == [] and entry.values == [0] * sh.NUM_PERM
    assert sh.measure(empty, sh.Shingled.of(["标题"])) == sh.Measures(0.0, 0.0)
