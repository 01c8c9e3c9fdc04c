"""The pairs and novelty of a whole-index rebuild (``search.rebuild``), computed in memory from
what the rebuild's first pass gathered, with no database: run in worker processes
(``search.parallel``) while the main process writes.

``Corpus`` holds every entry of the index — stored text (UTF-8, one buffer), signature (one
``N × NUM_PERM`` array), band keys — and each item's department, unit and submission time,
items in id order. ``Corpus.freeze`` builds, once:

- the *shared buckets*: the band rows whose key is held by two rows or more, grouped by key
  (a key held once gives no candidate), and for each item the buckets it is in;
- the *timeline*: each department's submitted items sorted by (submission time, id).

``view(positions)`` then gives, for a batch of items, exactly what ``duplicates.index_item``
computes for each item once every entry exists:

- *candidates*: every other item sharing a key, counted as ``duplicates.candidates`` counts
  (rows of that item holding one of the item's distinct keys; whether one is a paragraph key),
  the ``CANDIDATE_LIMIT`` best (most shared, then lowest id) — for the whole batch at once, on
  arrays; those found only through whole-text keys are kept when their estimated similarity
  reaches ``ESTIMATE_MIN``; of all those, only the ones whose measure a result reads are
  kept: items of lower id (the pair is this item's to write) or submitted earlier (its
  novelty);
- the *same-event window* (``duplicates._same_event_window``): the department's other units'
  items submitted within ``EVENT_DAYS`` days, newest first, at most ``EVENT_WINDOW_LIMIT``,
  whose estimate reaches ``EVENT_MIN`` (equal signature values counted on the array), the
  ``EVENT_PARTNER_LIMIT`` closest;
- the exact measures of those (texts shingled once while they stay among the process's most
  recently used, ``SHINGLED_KEPT_BYTES`` of text: a few items are candidates of many, at
  100,000 items the 10,000 most compared held three in four of the measures; same-event
  partners of higher id are not measured either), the pairs with lower-id items
  (the later-indexed item of a pair decides it, see ``search.rebuild``) and the novelty.

The process's memory holds the corpus (per item: text about 2.5 KB, signature 0.5 KB, band
rows): the rebuild's process was at 0.65 GB resident at 100,000 items, so expect about 6 GB at
1,000,000. Workers share it (the pool forks after ``freeze``; the bulk of it is arrays and
buffers, not Python objects per item that reference counting would copy).
"""

from __future__ import annotations

import bisect
import datetime
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import numpy.typing as npt

from xinbao.search import duplicates as dup
from xinbao.search import shingles as sh

# item id, other id, similarity, containment, score, flagged, same event
PairRow = tuple[int, int, float, float, float, bool, bool]
# novelty, nearest item id, item id
NoveltyRow = tuple[float, int | None, int]

IntArray = npt.NDArray[np.int64]

# Submission times as integers (``Corpus.submitted_us``): never submitted is after every time,
# so "submitted before the item" is one comparison whether or not the item was submitted.
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_NEVER_US = np.iinfo(np.int64).max
_NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)  # a batch order's never submitted
# The candidates' ranking sorts one 64-bit key per pair while the key's range stays below this.
SORT_KEY_LIMIT = 2**62
# Shingled texts a process keeps for its next batches, the least recently used dropped while
# their stored texts (UTF-8) pass this many bytes; in memory a shingled text takes about six
# times its stored size (its shingle ids, 8 bytes a character, and its long paragraphs'), so
# about 200 MB a process — 20,000 texts of the benchmark's length, fewer long ones (attachments).
# At 100,000 items, against each batch's own texts: texts shingled 1.74 → 0.82 an item, the
# pairs pass's CPU about 0.45 → 0.30 ms an item (``bench/bench_pairs.py``).
SHINGLED_KEPT_BYTES = 32 * 2**20


def _ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """The concatenation of ``range(s, s + n)`` for each start and length."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    offsets = np.repeat(starts - (ends - lengths), lengths)
    return offsets + np.arange(total, dtype=np.int64)


@dataclass
class Corpus:
    """Every entry of the index, gathered item by item in id order (``add``), then frozen."""

    pks: list[int] = field(default_factory=list)
    departments: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    submitted: list[datetime.datetime | None] = field(default_factory=list)
    _text: bytearray = field(default_factory=bytearray)
    _text_ends: array[int] = field(default_factory=lambda: array("q"))
    _signatures: bytearray = field(default_factory=bytearray)
    _band_keys: array[int] = field(default_factory=lambda: array("q"))
    _band_items: array[int] = field(default_factory=lambda: array("i"))
    _band_paragraph: array[int] = field(default_factory=lambda: array("h"))
    frozen: bool = False
    # Each process's own (a worker's starts empty: the pool forks before any ``view``):
    # position → (shingled text, its stored size), and the sizes' sum.
    _shingled: OrderedDict[int, tuple[sh.Shingled, int]] = field(default_factory=OrderedDict)
    _shingled_bytes: int = 0

    def add(
        self,
        pk: int,
        meta: tuple[int, int, datetime.datetime | None],
        text: str,
        signature: bytes,
        bands: tuple[bytes, bytes],
    ) -> None:
        """One item's entry — ``meta`` its (department, unit, submission time), ``bands`` its
        band keys and paragraphs (``parallel.pack_bands``) — after every item of lower id."""
        if self.pks and pk <= self.pks[-1]:
            raise ValueError("entries are added in id order")
        position = len(self.pks)
        self.pks.append(pk)
        department, unit, submitted = meta
        self.departments.append(department)
        self.units.append(unit)
        self.submitted.append(submitted)
        self._text += text.encode()
        self._text_ends.append(len(self._text))
        self._signatures += signature
        keys, paragraphs = bands
        self._band_keys.frombytes(keys)
        self._band_paragraph.frombytes(paragraphs)
        self._band_items.extend(repeat(position, len(keys) // 8))

    def __len__(self) -> int:
        return len(self.pks)

    def freeze(self) -> None:
        """Build the arrays ``view`` reads (see the module docstring)."""
        n = len(self.pks)
        self.pk_array = np.array(self.pks, dtype=np.int64)
        self.unit_array = np.array(self.units, dtype=np.int64)
        self.signature = np.frombuffer(bytes(self._signatures), dtype="<u4").reshape(n, sh.NUM_PERM)
        self._signatures = bytearray()
        self.text_ends = np.frombuffer(self._text_ends, dtype=np.int64)
        self.submitted_us = np.array(
            [_NEVER_US if at is None else (at - _EPOCH) // _MICROSECOND for at in self.submitted],
            dtype=np.int64,
        )
        self._buckets()
        self._timeline()
        self.frozen = True

    def _buckets(self) -> None:
        keys = np.frombuffer(self._band_keys, dtype=np.int64)
        items = np.frombuffer(self._band_items, dtype=np.int32)
        paragraph = np.frombuffer(self._band_paragraph, dtype=np.int16) >= 0
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        del keys
        first = np.ones(len(sorted_keys), dtype=bool)
        first[1:] = sorted_keys[1:] != sorted_keys[:-1]
        del sorted_keys
        starts = np.flatnonzero(first)
        sizes = np.diff(np.append(starts, len(first)))
        shared = sizes >= 2
        keep = np.repeat(shared, sizes)
        rows = order[keep]
        del order, keep
        self.bucket_items = items[rows].astype(np.int64)
        self.bucket_paragraph = paragraph[rows].astype(bool)
        self.bucket_sizes = sizes[shared].astype(np.int64)
        self.bucket_starts = np.cumsum(self.bucket_sizes) - self.bucket_sizes
        self._band_keys, self._band_items, self._band_paragraph = array("q"), array("i"), array("h")
        # Each item's buckets, once each (an item's key counts once, however many of its rows
        # hold it), as offsets into ``item_buckets``.
        n_buckets = len(self.bucket_sizes)
        bucket_of_row = np.repeat(np.arange(n_buckets, dtype=np.int64), self.bucket_sizes)
        codes = np.unique(self.bucket_items * max(n_buckets, 1) + bucket_of_row)
        owners = codes // max(n_buckets, 1)
        self.item_buckets = codes % max(n_buckets, 1)
        self.item_bucket_ptr = np.searchsorted(owners, np.arange(len(self.pks) + 1))

    def _timeline(self) -> None:
        by_dept: dict[int, list[tuple[datetime.datetime, int, int]]] = {}
        for position, at in enumerate(self.submitted):
            if at is not None:
                by_dept.setdefault(self.departments[position], []).append(
                    (at, self.pks[position], position)
                )
        self.dept_times: dict[int, list[datetime.datetime]] = {}
        self.dept_positions: dict[int, IntArray] = {}
        for dept, entries in by_dept.items():
            entries.sort()
            self.dept_times[dept] = [e[0] for e in entries]
            self.dept_positions[dept] = np.array([e[2] for e in entries], dtype=np.int64)

    def _text_span(self, position: int) -> tuple[int, int]:
        """Where the stored text (UTF-8) of the item at ``position`` lies in ``_text``."""
        return int(self.text_ends[position - 1]) if position else 0, int(self.text_ends[position])

    def text(self, position: int) -> str:
        start, end = self._text_span(position)
        return self._text[start:end].decode()

    def text_size(self, position: int) -> int:
        """The stored text's size in bytes (UTF-8)."""
        start, end = self._text_span(position)
        return end - start

    def batches(self, size: int) -> list[list[int]]:
        """Every position, in the re-index's order — department, submission time (never
        submitted first), id — cut into batches of ``size``: a batch's items share a
        department's timeline and many of their candidates."""
        order = sorted(
            range(len(self.pks)),
            key=lambda p: (self.departments[p], self.submitted[p] or _NEVER, self.pks[p]),
        )
        return [order[start : start + size] for start in range(0, len(order), size)]

    # -----------------------------------------------------------------------------------------

    def candidates(self, positions: Sequence[int]) -> list[list[tuple[int, bool]]]:
        """``duplicates.candidates`` of each item at ``positions``, whole-text-only ones below
        ``ESTIMATE_MIN`` and those no result reads already dropped: (position, by paragraph), in
        rank order."""
        batch = np.asarray(positions, dtype=np.int64)
        out: list[list[tuple[int, bool]]] = [[] for _ in positions]
        lo = self.item_bucket_ptr[batch]
        counts = self.item_bucket_ptr[batch + 1] - lo
        slot = np.repeat(np.arange(len(batch), dtype=np.int64), counts)
        buckets = self.item_buckets[_ranges(lo, counts)]
        sizes = self.bucket_sizes[buckets]
        members = _ranges(self.bucket_starts[buckets], sizes)
        slot = np.repeat(slot, sizes)
        others = self.bucket_items[members]
        by_paragraph = self.bucket_paragraph[members]
        mine = others != batch[slot]
        slot, others, by_paragraph = slot[mine], others[mine], by_paragraph[mine]
        if not len(slot):
            return out
        n = len(self.pks)
        code = slot * n + others
        order = np.argsort(code)  # equal codes are one pair: their order does not matter
        code, by_paragraph = code[order], by_paragraph[order]
        first = np.ones(len(code), dtype=bool)
        first[1:] = code[1:] != code[:-1]
        starts = np.flatnonzero(first)
        shared = np.diff(np.append(starts, len(code)))
        paragraph = np.logical_or.reduceat(by_paragraph, starts)
        pair_slot, pair_other = code[starts] // n, code[starts] % n
        # Rank: most shared rows first, then lowest id (positions are in id order); one sort of
        # one key — slot, then shared descending as ``most − shared``, then position — unique to
        # each pair, a few times faster than ``lexsort`` of the three.
        most = int(shared.max()) + 1
        if len(positions) * most * n < SORT_KEY_LIMIT:
            order = np.argsort((pair_slot * most + (most - shared)) * n + pair_other)
        else:  # would not fit in 64 bits
            order = np.lexsort((pair_other, -shared, pair_slot))
        pair_slot, pair_other, paragraph = pair_slot[order], pair_other[order], paragraph[order]
        group_start = np.searchsorted(pair_slot, pair_slot, side="left")
        keep = np.arange(len(pair_slot)) - group_start < dup.CANDIDATE_LIMIT
        pair_slot, pair_other, paragraph = pair_slot[keep], pair_other[keep], paragraph[keep]
        # A candidate's measure is read by the item's pairs (lower ids only) or its novelty
        # (items submitted earlier); no result reads the others'.
        owner = batch[pair_slot]
        keep = (pair_other < owner) | (self.submitted_us[pair_other] < self.submitted_us[owner])
        pair_slot, pair_other, paragraph = pair_slot[keep], pair_other[keep], paragraph[keep]
        # Whole-text candidates below the estimate are never confirmed.
        equal = np.count_nonzero(
            self.signature[batch[pair_slot]] == self.signature[pair_other], axis=1
        )
        keep = paragraph | (equal / sh.NUM_PERM >= dup.ESTIMATE_MIN)
        for s, o, p in zip(
            pair_slot[keep].tolist(),
            pair_other[keep].tolist(),
            paragraph[keep].tolist(),
            strict=True,
        ):
            out[s].append((o, p))
        return out

    def event_window(self, position: int) -> list[int]:
        """The positions of ``duplicates._same_event_window``'s items for the item at
        ``position`` (estimate ≥ ``EVENT_MIN``, the ``EVENT_PARTNER_LIMIT`` closest; the newest
        first among equals)."""
        at = self.submitted[position]
        if at is None:
            return []
        dept = self.departments[position]
        times, positions = self.dept_times[dept], self.dept_positions[dept]
        span = datetime.timedelta(days=dup.EVENT_DAYS)
        start = bisect.bisect_left(times, at - span)
        end = bisect.bisect_right(times, at + span)
        window = positions[start:end][::-1]
        window = window[self.unit_array[window] != self.units[position]][: dup.EVENT_WINDOW_LIMIT]
        if not len(window):
            return []
        equal = np.count_nonzero(self.signature[window] == self.signature[position], axis=1)
        keep = equal / sh.NUM_PERM >= dup.EVENT_MIN
        window, equal = window[keep], equal[keep]
        closest = np.argsort(-equal, kind="stable")[: dup.EVENT_PARTNER_LIMIT]
        return window[closest].tolist()

    def view(self, positions: Sequence[int]) -> tuple[list[PairRow], list[NoveltyRow]]:
        """The pairs (with lower-id items only) and the novelty of each item at ``positions``
        (see the module docstring)."""
        shingled = self._shingled

        def shingles(position: int) -> sh.Shingled:
            kept = shingled.get(position)
            if kept is not None:
                shingled.move_to_end(position)
                return kept[0]
            found, size = sh.Shingled.from_stored(self.text(position)), self.text_size(position)
            shingled[position] = (found, size)
            self._shingled_bytes += size
            while self._shingled_bytes > SHINGLED_KEPT_BYTES and len(shingled) > 1:
                self._shingled_bytes -= shingled.popitem(last=False)[1][1]
            return found

        def match(position: int, other: int) -> dup.Match:
            measures = sh.measure(shingles(position), shingles(other))
            return dup.Match(self.pks[other], measures, self.submitted[other], self.units[other])

        pairs: list[PairRow] = []
        novelties: list[NoveltyRow] = []
        for position, found in zip(positions, self.candidates(positions), strict=True):
            pk = self.pks[position]
            matches = [match(position, other) for other, _p in found]
            matches.sort(key=lambda m: (-m.score, -m.similarity, -m.item_id))
            by_id = {m.item_id: m for m in matches}
            event_ids = set()
            for other in self.event_window(position):
                other_pk = self.pks[other]
                event_ids.add(other_pk)
                if other_pk < pk and other_pk not in by_id:  # a pair of this item's to write
                    by_id[other_pk] = match(position, other)
            pairs += [
                p for p in dup.pair_values(pk, by_id.values(), event_ids) if max(p[0], p[1]) == pk
            ]
            novelty, nearest = dup.novelty(self.submitted[position], matches)
            novelties.append((novelty, nearest, pk))
        return pairs, novelties


# The corpus the worker processes read (set before the pool forks; see ``search.parallel``).
CURRENT: Corpus | None = None


def view_of(positions: Sequence[int]) -> tuple[list[PairRow], list[NoveltyRow]]:
    """``CURRENT.view(positions)``: the function given to ``parallel.ordered_map``."""
    if CURRENT is None:
        raise RuntimeError("no corpus to compare against")
    return CURRENT.view(positions)
