"""The rebuild of the whole near-duplicate index in bulk (``xinbao reindex``).

It gives exactly what re-indexing every item one by one would give — ``duplicates.index_item``
on each item in id order once every entry exists — in a fraction of the time:

1. **Entries.** Items are read ``batch_size`` at a time (plain tuples, no model instances); an
   item whose stored text and band count are current is skipped, the others get their
   signature and bands computed in Python and written with one multi-row statement per table
   (``COPY`` on PostgreSQL), one transaction per batch. When the band table starts empty (a
   first build), its key index is dropped for the pass and built once at the end.
2. **Pairs and novelty**, once every band exists, in batches of items taken in (department,
   submission time) order:

   - *candidates* of all the batch's items come from one grouped self-join of the band table
     over their keys (how many keys each other item shares, and whether a paragraph key is
     among them), ranked as ``duplicates.candidates`` ranks them (most shared keys, then
     lowest id; at most ``CANDIDATE_LIMIT``); whole-text candidates below ``ESTIMATE_MIN``
     are dropped on the stored signatures and the rest confirmed by the exact measures, with
     each stored text shingled once per batch;
   - the *same-event window* of each item (other units of its department, submitted within
     ``EVENT_DAYS`` days, the newest ``EVENT_WINDOW_LIMIT``) is read from an in-memory list of
     every submitted item sorted by department and time, and the estimates are computed on
     the signatures as integers (``shingles.estimated_similarity_int``);
   - a pair is decided by the later-indexed of its two items, i.e. the higher id (indexing an
     item rewrites all its pairs): each item writes its pairs with lower-id items only, after
     deleting exactly those rows; its novelty comes from all its matches.

Differences from one-by-one indexing, both only in degenerate corpora: ``candidates`` reads at
most ``CANDIDATE_ROWS`` band rows per check and the join reads all of them (the two differ
only when a key is shared by thousands of items), and the join's cost grows with the square of
such a key's holders.
"""

from __future__ import annotations

import bisect
import datetime
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from xinbao.items.models import Item
from xinbao.search import duplicates as dup
from xinbao.search import parallel
from xinbao.search import shingles as sh
from xinbao.search.index import attachment_texts_of
from xinbao.search.models import DuplicateSignature, LshBand, SimilarPair

REINDEX_BATCH = 2000
KEY_INDEX = "search_lsh_key_idx"  # LshBand.Meta.indexes
# Stored entries held in memory by the second pass (text and signature: a few KB each).
STORE_LIMIT = 20_000
# Ids per ``IN (…)`` list: below every backend's limit on query parameters.
CHUNK = 900
# Sorts items never submitted first in their department (they have no same-event window).
_NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass
class ReindexResult:
    items: int
    entries_written: int
    pairs: int
    seconds: float
    entries_seconds: float = 0.0  # of which the first pass (signatures and bands)
    cpu_seconds: float = 0.0  # this process's CPU time (on SQLite, the database's work too)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _chunks(values: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _in(n: int) -> str:
    return ", ".join(["%s"] * n)


# ---------------------------------------------------------------------------------------------
# Pass 1: entries
# ---------------------------------------------------------------------------------------------


def _text_batches(batch_size: int) -> Iterator[list[parallel.EntryRow]]:
    """Items in id order, ``batch_size`` at a time: id, title, body, attachments' text, and
    the stored text and band count of its entry (None and 0 without one)."""
    last_id = 0
    while True:
        batch = list(
            Item.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "title", "body")[:batch_size]
        )
        if not batch:
            return
        ids = [pk for pk, _t, _b in batch]
        texts = attachment_texts_of(ids)
        stored, counts = _current(ids)
        yield [
            (pk, title, body, texts.get(pk, []), stored.get(pk), counts[pk])
            for pk, title, body in batch
        ]
        last_id = batch[-1][0]


def _current(ids: Sequence[int]) -> tuple[dict[int, str], Counter[int]]:
    """Stored text and band count of each of ``ids`` that has an entry."""
    texts: dict[int, str] = {}
    counts: Counter[int] = Counter()
    signatures, bands = _q(DuplicateSignature._meta.db_table), _q(LshBand._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            cursor.execute(
                f"SELECT item_id, text FROM {signatures} WHERE item_id IN ({_in(len(chunk))})",  # noqa: S608 - only placeholders are built
                list(chunk),
            )
            texts.update(cursor.fetchall())
            cursor.execute(
                f"SELECT item_id, COUNT(*) FROM {bands} WHERE item_id IN ({_in(len(chunk))}) "  # noqa: S608 - only placeholders are built
                "GROUP BY item_id",
                list(chunk),
            )
            counts.update(dict(cursor.fetchall()))
    return texts, counts


def _copy_rows(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` in bulk: ``COPY`` on PostgreSQL, one prepared multi-row insert
    otherwise."""
    names = ", ".join(_q(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {_q(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {_q(table)} ({names}) VALUES ({_in(len(columns))})"  # noqa: S608 - constant names and placeholders
            cursor.executemany(sql, list(rows))


def write_entries(changed: Sequence[tuple[int, str, bytes, Sequence[tuple[int, int]]]]) -> None:
    """Replace the entry of each ``(item id, stored text, packed signature, bands)``, in bulk:
    the item's bands deleted, its signature upserted, all the bands inserted at once."""
    if not changed:
        return
    ids = [row[0] for row in changed]
    signatures, bands = DuplicateSignature._meta.db_table, LshBand._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            cursor.execute(
                f"DELETE FROM {_q(bands)} WHERE item_id IN ({_in(len(chunk))})",  # noqa: S608 - only placeholders are built
                list(chunk),
            )
        cursor.executemany(
            f"INSERT INTO {_q(signatures)} (item_id, text, signature, computed_at) "  # noqa: S608 - constant names
            "VALUES (%s, %s, %s, %s) ON CONFLICT (item_id) DO UPDATE SET text = excluded.text, "
            "signature = excluded.signature, computed_at = excluded.computed_at",
            [(pk, stored, signature, now) for pk, stored, signature, _k in changed],
        )
    _copy_rows(
        bands,
        ("item_id", "key", "paragraph"),
        ((pk, key, paragraph) for pk, _s, _g, keys in changed for paragraph, key in keys),
    )


def _entries_pass(
    batch_size: int, progress: Callable[[int], object] | None, workers: int
) -> tuple[int, int]:
    done = written = 0
    for computed in parallel.ordered_map(parallel.entries_of, _text_batches(batch_size), workers):
        changed = [row for row in computed if row is not None]
        with transaction.atomic():
            write_entries(changed)
        written += len(changed)
        done += len(computed)
        if progress is not None:
            progress(len(computed))
    return done, written


# ---------------------------------------------------------------------------------------------
# Pass 2: pairs and novelty
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """What pass 2 knows of every item, in memory (a few dozen bytes each)."""

    pk: int
    department_id: int
    unit_id: int
    submitted_at: datetime.datetime | None


class _Store:
    """Stored entries read on demand and kept for the batch (and the next ones, up to
    ``limit``): text shingled once, signature as an integer."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self.text: dict[int, str] = {}
        self.signature: dict[int, int] = {}
        self._shingled: dict[int, sh.Shingled] = {}

    def shingled(self, pk: int) -> sh.Shingled:
        """Shingled on first use: most items are never confirmed against anything."""
        found = self._shingled.get(pk)
        if found is None:
            found = self._shingled[pk] = sh.Shingled.from_stored(self.text[pk])
        return found

    def load(self, ids: Iterable[int]) -> None:
        """Make sure every one of ``ids`` is held (dropping all the others when the store would
        grow past its limit)."""
        needed = set(ids)
        missing = sorted(pk for pk in needed if pk not in self.signature)
        if not missing:
            return
        if len(self.signature) + len(missing) > self.limit:
            self.text.clear()
            self.signature.clear()
            self._shingled.clear()
            missing = sorted(needed)
        table = _q(DuplicateSignature._meta.db_table)
        with connection.cursor() as cursor:
            for chunk in _chunks(missing):
                cursor.execute(
                    f"SELECT item_id, text, signature FROM {table} "  # noqa: S608 - only placeholders are built
                    f"WHERE item_id IN ({_in(len(chunk))})",
                    list(chunk),
                )
                for pk, text, signature in cursor.fetchall():
                    self.text[pk] = text
                    self.signature[pk] = sh.packed_int(bytes(signature))

    def estimate(self, a: int, b: int) -> float:
        return sh.estimated_similarity_int(self.signature[a], self.signature[b])


def _rows() -> dict[int, _Row]:
    rows = Item.objects.filter(duplicate_signature__isnull=False).values_list(
        "pk", "department_id", "unit_id", "submitted_at"
    )
    return {pk: _Row(pk, dept, unit, at) for pk, dept, unit, at in rows.iterator(2000)}


class _Timeline:
    """Every submitted item of each department, sorted by (submission time, id): the
    same-event window of an item is a slice of its department's list."""

    def __init__(self, rows: Iterable[_Row]) -> None:
        by_dept: dict[int, list[tuple[datetime.datetime, int, int]]] = defaultdict(list)
        for row in rows:
            if row.submitted_at is not None:
                by_dept[row.department_id].append((row.submitted_at, row.pk, row.unit_id))
        for entries in by_dept.values():
            entries.sort()
        self.by_dept = by_dept
        self.times = {dept: [e[0] for e in entries] for dept, entries in by_dept.items()}

    def window(self, row: _Row) -> list[int]:
        """``duplicates._same_event_window``'s rows for ``row``, newest first (before the
        estimate filter)."""
        if row.submitted_at is None:
            return []
        span = datetime.timedelta(days=dup.EVENT_DAYS)
        entries, times = self.by_dept[row.department_id], self.times[row.department_id]
        start = bisect.bisect_left(times, row.submitted_at - span)
        end = bisect.bisect_right(times, row.submitted_at + span)
        out = []
        for index in range(end - 1, start - 1, -1):
            _at, pk, unit_id = entries[index]
            if unit_id == row.unit_id or pk == row.pk:
                continue
            out.append(pk)
            if len(out) == dup.EVENT_WINDOW_LIMIT:
                break
        return out


def _shared_keys(ids: Sequence[int]) -> dict[int, dict[int, tuple[int, bool]]]:
    """For each of ``ids``: every other item sharing a band key with it → (rows of that item
    holding one of its keys, whether one is a paragraph key) — ``duplicates.candidates``'
    counts, for a whole batch in one grouped query per chunk."""
    table = _q(LshBand._meta.db_table)
    key = _q("key")
    out: dict[int, dict[int, tuple[int, bool]]] = defaultdict(dict)
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            cursor.execute(
                f"SELECT a.item_id, b.item_id, COUNT(*), MAX(b.paragraph) "  # noqa: S608 - only placeholders are built
                f"FROM (SELECT DISTINCT item_id, {key} FROM {table} "
                f"WHERE item_id IN ({_in(len(chunk))})) a "
                f"JOIN {table} b ON b.{key} = a.{key} AND b.item_id <> a.item_id "
                "GROUP BY a.item_id, b.item_id",
                list(chunk),
            )
            for item_id, other_id, count, paragraph in cursor.fetchall():
                out[item_id][other_id] = (count, paragraph >= 0)
    return out


def _ranked(shared: dict[int, tuple[int, bool]]) -> dict[int, bool]:
    best = sorted(shared.items(), key=lambda kv: (-kv[1][0], kv[0]))[: dup.CANDIDATE_LIMIT]
    return {pk: by_paragraph for pk, (_n, by_paragraph) in best}


def _item_view(
    row: _Row,
    candidates: dict[int, bool],
    window: list[int],
    rows: dict[int, _Row],
    store: _Store,
) -> tuple[list[SimilarPair], float, int | None]:
    """What ``duplicates.index_item`` computes for one item: its pairs (with lower-id items
    only, see the module docstring) and its novelty."""
    matches = []
    for pk, by_paragraph in candidates.items():
        if not by_paragraph and store.estimate(row.pk, pk) < dup.ESTIMATE_MIN:
            continue
        other = rows[pk]
        measures = sh.measure(store.shingled(row.pk), store.shingled(pk))
        matches.append(dup.Match(pk, measures, other.submitted_at, other.unit_id))
    matches.sort(key=lambda m: (-m.score, -m.similarity, -m.item_id))
    event_ids = {pk for pk in window if store.estimate(row.pk, pk) >= dup.EVENT_MIN}
    by_id = {m.item_id: m for m in matches}
    for pk in event_ids:
        if pk not in by_id:
            other = rows[pk]
            measures = sh.measure(store.shingled(row.pk), store.shingled(pk))
            by_id[pk] = dup.Match(pk, measures, other.submitted_at, other.unit_id)
    pairs = [
        pair
        for pair in dup.pair_rows(row.pk, by_id.values(), event_ids)
        if max(pair.item_id, pair.other_id) == row.pk
    ]
    novelty, nearest = dup.novelty(row.submitted_at, matches)
    return pairs, novelty, nearest


def _write_pairs(
    ids: Sequence[int], pairs: list[SimilarPair], novelties: list[tuple[float, int | None, int]]
) -> None:
    table = _q(SimilarPair._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            marks = _in(len(chunk))
            cursor.execute(
                f"DELETE FROM {table} WHERE (item_id IN ({marks}) AND other_id < item_id) "  # noqa: S608 - only placeholders are built
                f"OR (other_id IN ({marks}) AND item_id < other_id)",
                [*chunk, *chunk],
            )
        cursor.executemany(
            f"UPDATE {_q(DuplicateSignature._meta.db_table)} "  # noqa: S608 - constant names
            "SET novelty = %s, nearest_id = %s WHERE item_id = %s",
            novelties,
        )
    _copy_rows(
        SimilarPair._meta.db_table,
        ("item_id", "other_id", "similarity", "containment", "score", "flagged", "same_event"),
        (
            (p.item_id, p.other_id, p.similarity, p.containment, p.score, p.flagged, p.same_event)
            for p in pairs
        ),
    )


def _pairs_pass(batch_size: int, progress: Callable[[int], object] | None) -> None:
    rows = _rows()
    timeline = _Timeline(rows.values())
    order = sorted(
        rows.values(),
        key=lambda r: (r.department_id, r.submitted_at or _NEVER, r.pk),
    )
    store = _Store(limit=STORE_LIMIT)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        ids = [row.pk for row in batch]
        with transaction.atomic():
            shared = _shared_keys(ids)
            candidates = {pk: _ranked(shared.get(pk, {})) for pk in ids}
            windows = {row.pk: timeline.window(row) for row in batch}
            needed = set(ids)
            for pk in ids:
                needed.update(candidates[pk])
                needed.update(windows[pk])
            store.load(needed)
            pairs: list[SimilarPair] = []
            novelties: list[tuple[float, int | None, int]] = []
            for row in batch:
                found, novelty, nearest = _item_view(
                    row, candidates[row.pk], windows[row.pk], rows, store
                )
                pairs += found
                novelties.append((novelty, nearest, row.pk))
            _write_pairs(ids, pairs, novelties)
        if progress is not None:
            progress(len(batch))


def restore_key_index() -> None:
    """Create the band table's key index if a rebuild left it dropped (interrupted).

    PostgreSQL refuses to index a table with foreign-key checks still pending (Django's are
    deferred to the commit): inside an enclosing transaction they are run first, then deferred
    again."""
    pending = connection.vendor == "postgresql" and connection.in_atomic_block
    with connection.cursor() as cursor:
        if pending:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {_q(KEY_INDEX)} "
            f"ON {_q(LshBand._meta.db_table)} ({_q('key')})"
        )
        if pending:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def analyze() -> None:
    """Refresh PostgreSQL's statistics of the index tables: right after a bulk load they are
    missing, and the planner then reads the band table whole for every check (a sequential
    scan of 1.8 million rows, 200 ms, instead of the key index). SQLite plans without them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (DuplicateSignature, LshBand, SimilarPair):
            cursor.execute(f"ANALYZE {_q(model._meta.db_table)}")


def reindex(
    *,
    batch_size: int = REINDEX_BATCH,
    progress: Callable[[int], object] | None = None,
    workers: int = 1,
) -> ReindexResult:
    """Rebuild the whole near-duplicate index (see the module docstring). ``progress`` gets the
    items done per batch of each pass (so twice the number of items in all). The entries of
    the first pass are computed by ``workers`` processes (``search.parallel``; 1: in this
    one) while this process writes."""
    started, cpu = time.perf_counter(), time.process_time()
    restore_key_index()
    if LshBand.objects.exists():
        done, written = _entries_pass(batch_size, progress, workers)
    else:
        # A first build (or after a wipe): the bands go in without their index, which is then
        # built once (sorted) — a third of the cost of inserting into it row by row.
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {_q(KEY_INDEX)}")
        try:
            done, written = _entries_pass(batch_size, progress, workers)
        finally:
            restore_key_index()
    entries_seconds = time.perf_counter() - started
    _pairs_pass(batch_size, progress)
    analyze()
    return ReindexResult(
        items=done,
        entries_written=written,
        pairs=SimilarPair.objects.count() // 2,
        seconds=time.perf_counter() - started,
        entries_seconds=entries_seconds,
        cpu_seconds=time.process_time() - cpu,
    )
