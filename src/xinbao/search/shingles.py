"""The text side of near-duplicate detection: shingles, MinHash signatures, LSH band keys and the
exact measures that confirm a candidate. Pure functions, no database (``search.duplicates`` keeps
the index).

A text — an item's title, body paragraphs and the paragraphs of its attachments' extracted
text — is compared in its search form (``search.normalize``) with the spaces left by folded
punctuation removed, so punctuation, script (繁/简) and full-width forms never matter:

- **shingles**: the set of overlapping ``SHINGLE`` -character substrings of each paragraph
  (a paragraph shorter than that is one shingle);
- **signature**: ``NUM_PERM`` MinHash values of the shingle set (rensa's ``RMinHash``, fixed
  seed, so every process computes the same signature);
- **band keys**: the whole text's signature cut into ``DOC_BANDS`` bands of ``DOC_ROWS`` rows, and
  each long paragraph's (``PASSAGE_MIN`` characters or more) first ``PARA_BANDS × PARA_ROWS``
  values cut likewise; each band is hashed with its kind and number to one signed 64-bit key.
  Two texts share a document key with probability ``1 − (1 − J^3)^42`` (J the Jaccard similarity:
  0.996 at J = 0.5, 0.99996 at J = 0.6, 0.005 at J = 0.05 — the typical pair of items on one
  theme, which the stored signatures then filter out cheaply); two paragraphs share a
  paragraph key with probability ``1 − (1 − J^4)^16`` (0.99 at J = 0.75), which is how a
  copied paragraph inside a longer new item is found although the two whole texts are not
  alike;
- **exact measures** of a candidate: ``similarity`` (Jaccard of the whole shingle sets) and
  ``containment`` — the larger of the overlap coefficient ``|A∩B| / min(|A|, |B|)`` and, for
  every long paragraph of either text, the share of its shingles found in the other text.
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from rensa import RMinHash  # type: ignore[import-untyped]  # rensa ships no type hints

from xinbao.items.models import split_paragraphs
from xinbao.search.normalize import normalize

SHINGLE = 5
NUM_PERM = 128
SEED = 20260
DOC_BANDS, DOC_ROWS = 42, 3
PARA_BANDS, PARA_ROWS = 16, 4
# A paragraph this long (in its normalized form, about 120 characters with punctuation) is
# indexed and compared on its own.
PASSAGE_MIN = 100
# Flagged as 高度相似: either measure at or above its bar.
SIMILARITY_MIN = 0.5
CONTAINMENT_MIN = 0.8
# Paragraph pairs shown side by side share at least this much.
PASSAGE_SHOW_MIN = 0.5

_PACK = struct.Struct(f"<{NUM_PERM}I")


def original_paragraphs(title: str, body: str, attachments: Sequence[str] = ()) -> list[str]:
    """An item's paragraphs as compared: its title, each body paragraph, then each paragraph
    of the extracted text of its attachments (``AttachmentText``), in attachment order."""
    out = [title, *split_paragraphs(body)]
    for text in attachments:
        out += split_paragraphs(text)
    return out


def paragraphs_of(title: str, body: str, attachments: Sequence[str] = ()) -> list[str]:
    """``original_paragraphs`` normalized, without spaces (index for index: a paragraph of only
    punctuation becomes empty and is skipped by the shingles)."""
    return [
        normalize(text).replace(" ", "") for text in original_paragraphs(title, body, attachments)
    ]


def paragraph_shingles(paragraph: str) -> set[str]:
    if len(paragraph) <= SHINGLE:
        return {paragraph}
    return {paragraph[i : i + SHINGLE] for i in range(len(paragraph) - SHINGLE + 1)}


@dataclass
class Shingled:
    """A text's paragraphs and shingle sets (the whole, and each long paragraph's)."""

    paragraphs: list[str]
    whole: set[str] = field(default_factory=set)
    long: dict[int, set[str]] = field(default_factory=dict)  # paragraph index → its shingles

    @classmethod
    def of(cls, paragraphs: Sequence[str]) -> Shingled:
        shingled = cls(list(paragraphs))
        for index, paragraph in enumerate(paragraphs):
            if not paragraph:
                continue
            shingles = paragraph_shingles(paragraph)
            shingled.whole |= shingles
            if len(paragraph) >= PASSAGE_MIN:
                shingled.long[index] = shingles
        return shingled

    @property
    def stored(self) -> str:
        """The form kept in the index (``DuplicateSignature.text``): one paragraph a line."""
        return "\n".join(self.paragraphs)

    @classmethod
    def from_stored(cls, text: str) -> Shingled:
        return cls.of(text.split("\n"))


def signature(shingles: set[str]) -> list[int]:
    minhash = RMinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update(list(shingles))  # a minimum: the order of the shingles does not matter
    return list(minhash.digest())


def pack(values: Sequence[int]) -> bytes:
    return _PACK.pack(*values)


def unpack(data: bytes) -> tuple[int, ...]:
    return _PACK.unpack(bytes(data))


def estimated_similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """The share of equal MinHash values: an unbiased estimate of the Jaccard similarity."""
    return sum(map(operator.eq, a, b)) / NUM_PERM


_MASK = (1 << 64) - 1
_FNV_PRIME = 0x100000001B3


def _band_key(kind: int, band: int, rows: Sequence[int]) -> int:
    """One band as a signed 64-bit key: FNV-1a over (kind, band number, rows) — plain integer
    arithmetic, the same in every process and Python version. A collision of two different
    bands only adds a candidate, which the exact measures then drop."""
    key = 0xCBF29CE484222325
    for value in (kind, band, *rows):
        key = ((key ^ value) * _FNV_PRIME) & _MASK
    return key - (1 << 64) if key >= 1 << 63 else key


def _prefix(kind: int, band: int) -> int:
    """FNV-1a's state after (kind, band): where every key of that band starts."""
    key = 0xCBF29CE484222325
    for value in (kind, band):
        key = ((key ^ value) * _FNV_PRIME) & _MASK
    return key


_DOC_PREFIXES = [_prefix(1, band) for band in range(DOC_BANDS)]
_PARA_PREFIXES = [_prefix(2, band) for band in range(PARA_BANDS)]


def _keys(prefixes: Sequence[int], rows: int, values: Sequence[int]) -> list[int]:
    """``_band_key`` of each band, from the precomputed prefixes (the hot loop of a rebuild:
    a few multiplications per band instead of a call)."""
    out = []
    start = 0
    for key in prefixes:
        for value in values[start : start + rows]:
            key = ((key ^ value) * _FNV_PRIME) & _MASK
        out.append(key - ((key >> 63) << 64))
        start += rows
    return out


def doc_keys(values: Sequence[int]) -> list[int]:
    return _keys(_DOC_PREFIXES, DOC_ROWS, values)


def paragraph_keys(values: Sequence[int]) -> list[int]:
    return _keys(_PARA_PREFIXES, PARA_ROWS, values)


# Equal MinHash values of two packed signatures, counted on whole integers: the lanes of
# ``a ^ b`` that are zero are the equal values.
_LOW = int.from_bytes(b"\xff\xff\xff\x7f" * NUM_PERM, "little")
_HIGH = int.from_bytes(b"\x00\x00\x00\x80" * NUM_PERM, "little")


def packed_int(data: bytes) -> int:
    """A packed signature (``pack``) as one integer, for ``estimated_similarity_int``."""
    return int.from_bytes(data, "little")


def estimated_similarity_int(a: int, b: int) -> float:
    """``estimated_similarity`` of two ``packed_int`` signatures, exactly the same value, about
    ten times faster: a lane of ``a ^ b`` is non-zero iff adding 0x7fffffff to its low 31 bits,
    or its own top bit, sets the top bit (no carry crosses a lane)."""
    x = a ^ b
    differing = ((((x & _LOW) + _LOW) | x) & _HIGH).bit_count()
    return (NUM_PERM - differing) / NUM_PERM


@dataclass(frozen=True)
class Measures:
    similarity: float
    containment: float

    @property
    def score(self) -> float:
        return max(self.similarity, self.containment)

    @property
    def flagged(self) -> bool:
        return self.similarity >= SIMILARITY_MIN or self.containment >= CONTAINMENT_MIN


def measure(a: Shingled, b: Shingled) -> Measures:
    """The exact similarity and containment of two texts (see the module docstring)."""
    if not a.whole or not b.whole:
        return Measures(0.0, 0.0)
    common = len(a.whole & b.whole)
    similarity = common / (len(a.whole) + len(b.whole) - common)  # |A ∪ B|, without building it
    containment = common / min(len(a.whole), len(b.whole))
    for mine, theirs in ((a, b), (b, a)):
        for shingles in mine.long.values():
            share = len(shingles & theirs.whole) / len(shingles)
            containment = max(containment, share)
    return Measures(round(similarity, 4), round(containment, 4))


@dataclass(frozen=True)
class PassagePair:
    """Paragraph ``left_index`` of one text beside paragraph ``right_index`` of the other, the
    one that shares most with it; ``share`` of the shorter one's shingles are common."""

    left_index: int
    right_index: int
    share: float


def passage_pairs(a: Shingled, b: Shingled) -> list[PassagePair]:
    """For each paragraph of ``a``, the paragraph of ``b`` it shares most shingles with, when
    the share is at least ``PASSAGE_SHOW_MIN`` of the shorter one; in ``a``'s order."""
    b_sets = [paragraph_shingles(p) if p else set() for p in b.paragraphs]
    pairs = []
    for i, paragraph in enumerate(a.paragraphs):
        if not paragraph:
            continue
        mine = paragraph_shingles(paragraph)
        best, best_share = -1, 0.0
        for j, theirs in enumerate(b_sets):
            if not theirs:
                continue
            share = len(mine & theirs) / min(len(mine), len(theirs))
            if share > best_share:
                best, best_share = j, share
        if best >= 0 and best_share >= PASSAGE_SHOW_MIN:
            pairs.append(PassagePair(i, best, round(best_share, 4)))
    return pairs


def shared_runs(
    left: str, right: str, *, min_run: int = SHINGLE
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The spans of ``left`` and of ``right`` (original texts) that the two have in common,
    runs of at least ``min_run`` characters (difflib's matching blocks)."""
    matcher = SequenceMatcher(None, left, right, autojunk=False)
    lefts, rights = [], []
    for block in matcher.get_matching_blocks():
        if block.size >= min_run:
            lefts.append((block.a, block.a + block.size))
            rights.append((block.b, block.b + block.size))
    return lefts, rights
