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

The exact measures count shingles as *shingle ids*, not strings (``Shingled``): each shingle's
code points hashed to one 64-bit integer (``_MULTIPLIERS``) for all of a text's shingles at once
on arrays, the sets kept as sorted arrays and intersected by binary search. Two different
shingles of two compared texts get the same id with probability about 2⁻⁶⁴ per pair of shingles
(a few 10⁻¹⁴ per pair of texts), so the measures are those of the strings
(``tests/search/test_shingles.py`` pins them). Signatures still hash the strings (rensa's own
hash: the stored signatures and band keys stay valid), and band keys are computed on arrays,
every band of a text at once.
"""

from __future__ import annotations

import functools
import operator
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TypeVar

import numpy as np
import numpy.typing as npt
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
    """The definition of a paragraph's shingles (``Shingled`` computes their ids)."""
    if len(paragraph) <= SHINGLE:
        return {paragraph}
    return {paragraph[i : i + SHINGLE] for i in range(len(paragraph) - SHINGLE + 1)}


def _windows(paragraph: str) -> list[str]:
    """``paragraph_shingles`` as a list, repeats included (what a MinHash takes: a minimum)."""
    if len(paragraph) <= SHINGLE:
        return [paragraph]
    return [paragraph[i : i + SHINGLE] for i in range(len(paragraph) - SHINGLE + 1)]


UInt64s = npt.NDArray[np.uint64]
T = TypeVar("T", bound=np.generic)
Positions = npt.NDArray[np.intp]

# A shingle's id: Σ code point × multiplier (mod 2⁶⁴), one odd 64-bit multiplier per position.
# A shingle shorter than ``SHINGLE`` (a short paragraph) is padded with ``_PAD``, above every
# code point, so it never equals a full-length one.
_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
    ],
    dtype=np.uint64,
)
_PAD = (0x110000).to_bytes(4, "little") * (SHINGLE - 1)


def _ranges(starts: Positions, lengths: Positions) -> Positions:
    """The concatenation of ``range(s, s + n)`` for each start and length."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(int(ends[-1]), dtype=np.intp)


class Shingled:
    """A text's paragraphs and, computed on first use, the ids of its shingles: ``whole`` (the
    whole text's, sorted, unique) and each long paragraph's (``long``: their indices), kept as
    positions in ``whole``."""

    def __init__(self, paragraphs: Sequence[str]) -> None:
        self.paragraphs = list(paragraphs)
        self.long = [i for i, p in enumerate(self.paragraphs) if len(p) >= PASSAGE_MIN]

    @classmethod
    def of(cls, paragraphs: Sequence[str]) -> Shingled:
        return cls(paragraphs)

    @property
    def empty(self) -> bool:
        """No shingle at all (every paragraph empty)."""
        return not any(self.paragraphs)

    @property
    def stored(self) -> str:
        """The form kept in the index (``DuplicateSignature.text``): one paragraph a line."""
        return "\n".join(self.paragraphs)

    @classmethod
    def from_stored(cls, text: str) -> Shingled:
        return cls(text.split("\n"))

    @functools.cached_property
    def _window_lists(self) -> list[list[str]]:
        return [_windows(paragraph) if paragraph else [] for paragraph in self.paragraphs]

    def windows(self) -> list[str]:
        """Every shingle of the text as a string, repeats included."""
        return [w for windows in self._window_lists for w in windows]

    def long_windows(self) -> list[list[str]]:
        """The shingles of each long paragraph (in ``long`` order), repeats included."""
        return [self._window_lists[i] for i in self.long]

    @functools.cached_property
    def _ids(self) -> tuple[UInt64s, Positions, Positions, Positions]:
        """``whole``; each long paragraph's shingles as positions in it (concatenated), where
        each paragraph's start and how many."""
        lengths = np.array([len(p) for p in self.paragraphs], dtype=np.intp)
        if not lengths.any():
            nothing = np.zeros(0, dtype=np.intp)
            return np.zeros(0, dtype=np.uint64), nothing, nothing, nothing
        # The paragraphs' code points, each followed by a pad, so that every window starting in
        # a paragraph has ``SHINGLE`` values: a full window, or a short paragraph padded.
        encoded = _PAD.join([p.encode("utf-32-le") for p in self.paragraphs]) + _PAD
        codes = np.frombuffer(encoded, dtype="<u4").astype(np.uint64)
        n = len(codes) - SHINGLE + 1
        ids = codes[:n] * _MULTIPLIERS[0]
        for j in range(1, SHINGLE):
            ids += codes[j : j + n] * _MULTIPLIERS[j]
        offsets = np.cumsum(lengths + SHINGLE - 1) - (lengths + SHINGLE - 1)
        counts = np.where(lengths > 0, np.maximum(lengths - SHINGLE + 1, 1), 0)
        whole = _distinct(ids[_ranges(offsets, counts)])
        if not self.long:
            nothing = np.zeros(0, dtype=np.intp)
            return whole, nothing, nothing, nothing
        long = np.array(self.long, dtype=np.intp)
        spans = counts[long]
        positions = np.searchsorted(whole, ids[_ranges(offsets[long], spans)])
        label = np.repeat(np.arange(len(long), dtype=np.intp), spans)
        code = _distinct(label * len(whole) + positions)  # each paragraph's shingles, once
        label, members = np.divmod(code, len(whole))
        sizes = np.bincount(label, minlength=len(long))
        return whole, members, np.cumsum(sizes) - sizes, sizes

    @property
    def whole(self) -> UInt64s:
        """The ids of the text's shingles, sorted, each once."""
        return self._ids[0]

    def long_shares(self, found: npt.NDArray[np.bool_]) -> list[float]:
        """For each long paragraph, the share of its shingles that ``found`` (one flag per
        shingle of ``whole``) marks."""
        _whole, members, starts, sizes = self._ids
        if not len(sizes):
            return []
        hits = np.add.reduceat(found[members].astype(np.intp), starts)
        return (hits / sizes).tolist()


def _distinct(values: npt.NDArray[T]) -> npt.NDArray[T]:
    """``values`` sorted, each once (``np.unique`` costs several times as much on a few
    hundred values)."""
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _common(mine: UInt64s, theirs: UInt64s) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """For each of the sorted, unique ``mine``, whether ``theirs`` (sorted, unique) holds it;
    and the same for each of ``theirs`` (one binary search: the common values of ``theirs``
    are where those of ``mine`` were found)."""
    at = np.searchsorted(theirs, mine)
    at[at == len(theirs)] = 0
    found = theirs[at] == mine
    in_mine = np.zeros(len(theirs), dtype=bool)
    in_mine[at[found]] = True
    return found, in_mine


def signature(shingles: Sequence[str] | set[str]) -> list[int]:
    """The MinHash signature of the shingles (strings; repeats change nothing: each value is a
    minimum)."""
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


_DOC_PREFIXES = np.array([_prefix(1, band) for band in range(DOC_BANDS)], dtype=np.uint64)
_PARA_PREFIXES = np.array([_prefix(2, band) for band in range(PARA_BANDS)], dtype=np.uint64)
_PRIME = np.uint64(_FNV_PRIME)


def _keys(prefixes: UInt64s, rows: int, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """``_band_key`` of each band of each signature (``values``: one signature, or one a row),
    from the precomputed prefixes, on arrays (unsigned 64-bit arithmetic wraps as ``_MASK``
    does); one row of keys per signature."""
    bands = len(prefixes)
    table = np.asarray(values, dtype=np.uint64).reshape(-1, NUM_PERM)[:, : bands * rows]
    table = table.reshape(len(table), bands, rows)
    keys = (prefixes ^ table[:, :, 0]) * _PRIME
    for row in range(1, rows):
        keys ^= table[:, :, row]
        keys *= _PRIME
    return keys.view(np.int64)


def doc_keys(values: Sequence[int]) -> list[int]:
    return list(_keys(_DOC_PREFIXES, DOC_ROWS, values)[0].tolist())


def paragraph_keys(values: Sequence[int]) -> list[int]:
    return list(_keys(_PARA_PREFIXES, PARA_ROWS, values)[0].tolist())


def band_arrays(
    whole: Sequence[int] | None, paragraphs: Sequence[int], signatures: Sequence[Sequence[int]]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int16]]:
    """A text's band keys and their paragraph numbers (−1 for the whole text), as arrays: the
    whole text's ``doc_keys`` (``whole``: its signature, None when it has no shingles), then
    ``paragraph_keys`` of each of ``paragraphs`` (their ``signatures``), in that order."""
    keys = [_keys(_DOC_PREFIXES, DOC_ROWS, whole).ravel()] if whole is not None else []
    numbers = [np.full(DOC_BANDS, -1, dtype=np.int16)] if whole is not None else []
    if paragraphs:
        keys.append(_keys(_PARA_PREFIXES, PARA_ROWS, signatures).ravel())
        numbers.append(np.repeat(np.array(paragraphs, dtype=np.int16), PARA_BANDS))
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int16)
    return np.concatenate(keys), np.concatenate(numbers)


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
    if a.empty or b.empty:
        return Measures(0.0, 0.0)
    a_in_b, b_in_a = _common(a.whole, b.whole)
    common = int(np.count_nonzero(a_in_b))
    similarity = common / (len(a.whole) + len(b.whole) - common)  # |A ∪ B|, without building it
    containment = common / min(len(a.whole), len(b.whole))
    containment = max([containment, *a.long_shares(a_in_b), *b.long_shares(b_in_a)])
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
