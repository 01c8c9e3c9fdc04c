"""The rebuild of the whole near-duplicate index in bulk (``xinbao reindex``).

It gives exactly what re-indexing every item one by one would give — ``duplicates.index_item``
on each item in id order once every entry exists — in a fraction of the time:

1. **Entries.** Items are read ``batch_size`` at a time (plain tuples, no model instances); an
   item whose stored text and band count are current is skipped, the others get their
   signature and bands computed in Python and written with one multi-row statement per table
   (``COPY`` on PostgreSQL), one transaction per batch. When the band table starts empty (a
   first build), its key index is dropped for the pass and built once at the end.
2. **Pairs and novelty**, once every entry exists, in memory (``search.pairing``): the first
   pass keeps every entry it wrote or found current — stored text, signature, band keys — and
   each item's department, unit and submission time; the bands shared by two rows or more are
   grouped by key once, and batches of items taken in (department, submission time) order
   get their candidates (from those groups, counted and ranked as ``duplicates.candidates``
   does), same-event windows, exact measures and novelty computed by the ``workers``
   processes, which never touch the database. A pair is decided by the later-indexed of its
   two items, i.e. the higher id (indexing an item rewrites all its pairs): each item writes
   its pairs with lower-id items only, after deleting exactly those rows (nothing to delete
   when the pair table started empty); its novelty comes from all its matches.

The one difference from one-by-one indexing, only in degenerate corpora: ``candidates`` reads at
most ``CANDIDATE_ROWS`` band rows per check, the rebuild all of them (the two differ only when
an item's keys are held by thousands of rows, and then the one-by-one result depends on the
order the database returns the rows in).
"""

from __future__ import annotations

import datetime
import resource
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.utils import timezone

from xinbao.items.models import Item
from xinbao.search import pairing, parallel
from xinbao.search.index import after_load, attachment_texts_of, bulk_session, copy_new_rows
from xinbao.search.models import DuplicateSignature, LshBand, SimilarPair

REINDEX_BATCH = 2000
KEY_INDEX = "search_lsh_key_cover_idx"  # LshBand.Meta.indexes
KEY_COLUMNS = ("key", "item_id", "paragraph")
# Ids per ``IN (…)`` list: below every backend's limit on query parameters.
CHUNK = 900
# Sorts items never submitted first in their department (they have no same-event window).


@dataclass
class ReindexResult:
    items: int
    entries_written: int
    pairs: int
    seconds: float
    entries_seconds: float = 0.0  # of which the first pass (signatures and bands)
    cpu_seconds: float = 0.0  # this process's CPU time (on SQLite, the database's work too)
    entries_cpu_seconds: float = 0.0  # of which the first pass
    # CPU time of the worker processes of each pass (ended ones: the pools are shut down)
    workers_cpu_seconds: tuple[float, float] = (0.0, 0.0)


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


# An item's department, unit and submission time; its stored text, packed signature and
# (paragraph, key) bands.
Meta = tuple[int, int, datetime.datetime | None]
Stored = tuple[str, bytes, tuple[bytes, bytes]]


def _text_batches(
    batch_size: int,
) -> Iterator[tuple[list[parallel.EntryRow], dict[int, Meta], dict[int, Stored]]]:
    """Items in id order, ``batch_size`` at a time: for the workers, id, title, body,
    attachments' text, and the stored text and band count of its entry (None and 0 without
    one); beside them each item's ``Meta`` and stored entry."""
    last_id = 0
    while True:
        batch = list(
            Item.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "title", "body", "department_id", "unit_id", "submitted_at")[
                :batch_size
            ]
        )
        if not batch:
            return
        ids = [row[0] for row in batch]
        texts = attachment_texts_of(ids)
        stored = _current(ids)
        rows: list[parallel.EntryRow] = []
        for pk, title, body, *_meta in batch:
            entry = stored.get(pk)
            text, count = (None, 0) if entry is None else (entry[0], len(entry[2][0]) // 8)
            rows.append((pk, title, body, texts.get(pk, []), text, count))
        yield rows, {row[0]: (row[3], row[4], row[5]) for row in batch}, stored
        last_id = batch[-1][0]


def _current(ids: Sequence[int]) -> dict[int, Stored]:
    """Stored text, packed signature and (paragraph, key) bands of each of ``ids`` that has an
    entry."""
    out: dict[int, Stored] = {}
    signatures, bands = _q(DuplicateSignature._meta.db_table), _q(LshBand._meta.db_table)
    found: dict[int, list[tuple[int, int]]] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            cursor.execute(
                f"SELECT item_id, text, signature FROM {signatures} "  # noqa: S608 - only placeholders are built
                f"WHERE item_id IN ({_in(len(chunk))})",
                list(chunk),
            )
            texts = {pk: (text, bytes(signature)) for pk, text, signature in cursor.fetchall()}
            if not texts:
                continue
            cursor.execute(
                f"SELECT item_id, paragraph, {_q('key')} FROM {bands} "  # noqa: S608 - only placeholders are built
                f"WHERE item_id IN ({_in(len(chunk))}) ORDER BY id",
                list(chunk),
            )
            for pk, paragraph, key in cursor.fetchall():
                found.setdefault(pk, []).append((paragraph, key))
            for pk, (text, signature) in texts.items():
                out[pk] = (text, signature, parallel.pack_bands(found.get(pk, [])))
    return out


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


# PostgreSQL: a batch of signatures on its way in (``write_entries``).
SIGNATURES_TEMP = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS search_rebuild_signatures (item_id bigint, text text,"
    " signature bytea, computed_at timestamp with time zone) ON COMMIT DELETE ROWS"
)


def _replace_signatures(cursor: Any, ids: list[int], rows: list[tuple[Any, ...]]) -> None:
    """Delete the bands of ``ids`` and upsert their signature ``rows`` (PostgreSQL: copied into
    a temporary table, then upserted by one statement, not one a row, each parsed and
    planned)."""
    bands = _q(LshBand._meta.db_table)
    for chunk in _chunks(ids):
        cursor.execute(
            f"DELETE FROM {bands} WHERE item_id IN ({_in(len(chunk))})",  # noqa: S608 - only placeholders are built
            list(chunk),
        )
    upsert = (
        f"INSERT INTO {_q(DuplicateSignature._meta.db_table)} (item_id, text, signature,"
        " computed_at) {} ON CONFLICT (item_id) DO UPDATE SET text = excluded.text,"
        " signature = excluded.signature, computed_at = excluded.computed_at"
    )
    if connection.vendor == "postgresql":
        cursor.execute(SIGNATURES_TEMP)
        # Emptied first: inside an enclosing transaction, ON COMMIT has not come yet.
        cursor.execute("TRUNCATE search_rebuild_signatures")
        with cursor.cursor.copy("COPY search_rebuild_signatures FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(upsert.format("SELECT * FROM search_rebuild_signatures"))
    else:
        cursor.executemany(upsert.format("VALUES (%s, %s, %s, %s)"), rows)


def write_entries(changed: Sequence[parallel.Entry], *, first: bool = False) -> None:
    """Replace the entry of each ``(item id, stored text, packed signature, band keys, band
    paragraphs)`` (``parallel.entries_of``), in bulk: the item's bands deleted, its signature
    upserted (PostgreSQL: copied, then upserted by one statement), all the bands inserted at once
    (PostgreSQL: one binary ``COPY`` built on arrays).

    ``first``: none of these items had an entry when the batch was read. On PostgreSQL their
    signatures are then copied straight into their table (``_copy_signatures``), and when that
    succeeds no item's own save has written its entry since (a save writes the signature and
    the bands together), so there are no bands to delete: a first build never runs the delete,
    which, on a band table growing by millions of rows the planner has no statistics of yet,
    scanned the whole table for every batch."""
    if not changed:
        return
    ids = [row[0] for row in changed]
    bands = LshBand._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [(pk, stored, signature, now) for pk, stored, signature, _k, _p in changed]
    copied = connection.vendor == "postgresql" and first and _copy_signatures(rows)
    with connection.cursor() as cursor:
        if not copied:
            _replace_signatures(cursor, ids, rows)
        keys = np.frombuffer(b"".join(row[3] for row in changed), dtype=np.int64)
        paragraphs = np.frombuffer(b"".join(row[4] for row in changed), dtype=np.int16)
        items = np.repeat(np.array(ids, dtype=np.int64), [len(row[3]) // 8 for row in changed])
        columns = f"(item_id, {_q('key')}, paragraph)"
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(
                f"COPY {_q(bands)} {columns} FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.write(_binary_bands(items, keys, paragraphs))
        else:
            cursor.executemany(
                f"INSERT INTO {_q(bands)} {columns} VALUES (%s, %s, %s)",  # noqa: S608 - constant names
                list(zip(items.tolist(), keys.tolist(), paragraphs.tolist(), strict=True)),
            )


COPY_SIGNATURES = (
    f"COPY {DuplicateSignature._meta.db_table} (item_id, text, signature, computed_at) FROM STDIN"
)


def _copy_signatures(rows: list[tuple[Any, ...]]) -> bool:
    """PostgreSQL: ``COPY`` the signature rows straight into their table
    (``index.copy_new_rows``); False when an item's own save wrote its entry since the batch was
    read: the caller upserts them instead. The temporary table's way writes each compared text
    twice, compressed and stored out of line both times."""
    return copy_new_rows(COPY_SIGNATURES, rows)


# PostgreSQL's binary COPY: a header, then per row the number of fields and each field's length
# and big-endian value (bigint, bigint, smallint), then a trailer.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_BAND_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("item_length", ">i4"),
        ("item", ">i8"),
        ("key_length", ">i4"),
        ("key", ">i8"),
        ("paragraph_length", ">i4"),
        ("paragraph", ">i2"),
    ]
)


def _binary_bands(
    items: npt.NDArray[np.int64], keys: npt.NDArray[np.int64], paragraphs: npt.NDArray[np.int16]
) -> bytes:
    rows = np.empty(len(items), dtype=_BAND_ROW)
    rows["fields"] = 3
    rows["item_length"] = rows["key_length"] = 8
    rows["paragraph_length"] = 2
    rows["item"], rows["key"], rows["paragraph"] = items, keys, paragraphs
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


def _entries_pass(
    batch_size: int, progress: Callable[[int], object] | None, workers: int
) -> tuple[pairing.Corpus, int]:
    """Pass 1; returns every entry (written now or already current) and how many were
    written."""
    corpus = pairing.Corpus()
    written = 0
    # ``ordered_map`` reads batches ahead of the results it yields: what the workers do not
    # need waits here, in the order read.
    pending: deque[tuple[dict[int, Meta], dict[int, Stored]]] = deque()

    def read_ahead() -> Iterator[list[parallel.EntryRow]]:
        for rows, meta, stored in _text_batches(batch_size):
            pending.append((meta, stored))
            yield rows

    for computed in parallel.ordered_map(parallel.entries_of, read_ahead(), workers):
        meta, stored = pending.popleft()
        changed = [row for row in computed if row is not None]
        with transaction.atomic():
            write_entries(changed, first=not stored)
        fresh = {row[0]: row for row in changed}
        for pk in meta:
            if pk in fresh:
                _pk, text, signature, keys, paragraphs = fresh[pk]
                corpus.add(pk, meta[pk], text, signature, (keys, paragraphs))
            else:
                text, signature, bands = stored[pk]
                corpus.add(pk, meta[pk], text, signature, bands)
        written += len(changed)
        if progress is not None:
            progress(len(computed))
    return corpus, written


# ---------------------------------------------------------------------------------------------
# Pass 2: pairs and novelty
# ---------------------------------------------------------------------------------------------


def _write_pairs(
    ids: Sequence[int],
    pairs: list[pairing.PairRow],
    novelties: list[pairing.NoveltyRow],
    *,
    fresh: bool,
) -> None:
    """Replace the pairs of each of ``ids`` with lower-id items by ``pairs`` (both ways round:
    ``fresh``: the table was empty when the pass began, nothing to delete) and write their
    novelty."""
    table = _q(SimilarPair._meta.db_table)
    signatures = _q(DuplicateSignature._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in _chunks(ids) if not fresh else ():
            marks = _in(len(chunk))
            cursor.execute(
                f"DELETE FROM {table} WHERE (item_id IN ({marks}) AND other_id < item_id) "  # noqa: S608 - only placeholders are built
                f"OR (other_id IN ({marks}) AND item_id < other_id)",
                [*chunk, *chunk],
            )
        if connection.vendor == "postgresql":
            # One statement for the batch: the values copied into a temporary table, then
            # joined (an UPDATE per item costs a round trip and a plan each).
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS search_rebuild_novelty (novelty double "
                "precision, nearest_id bigint, item_id bigint) ON COMMIT DELETE ROWS"
            )
            with cursor.cursor.copy("COPY search_rebuild_novelty FROM STDIN") as copy:
                for row in novelties:
                    copy.write_row(row)
            cursor.execute(
                f"UPDATE {signatures} AS s SET novelty = n.novelty, nearest_id = n.nearest_id "  # noqa: S608 - constant names
                "FROM search_rebuild_novelty AS n WHERE s.item_id = n.item_id"
            )
        else:
            cursor.executemany(
                f"UPDATE {signatures} SET novelty = %s, nearest_id = %s WHERE item_id = %s",  # noqa: S608 - constant names
                novelties,
            )
    _copy_rows(
        SimilarPair._meta.db_table,
        ("item_id", "other_id", "similarity", "containment", "score", "flagged", "same_event"),
        pairs,
    )


def _pairs_pass(
    corpus: pairing.Corpus,
    batch_size: int,
    progress: Callable[[int], object] | None,
    workers: int,
) -> None:
    corpus.freeze()
    batches = corpus.batches(batch_size)
    fresh = not SimilarPair.objects.exists()
    pairing.CURRENT = corpus  # read by the workers, which fork after this
    try:
        for batch, (pairs, novelties) in zip(
            batches, parallel.ordered_map(pairing.view_of, batches, workers), strict=True
        ):
            with transaction.atomic():
                _write_pairs([corpus.pks[p] for p in batch], pairs, novelties, fresh=fresh)
            if progress is not None:
                progress(len(batch))
    finally:
        pairing.CURRENT = None


# PostgreSQL: what a first build also drops from the band table and puts back at the end — the
# foreign key Django created (its name is derived from the table and column names, the same on
# every installation; a test checks it). Checking the deferred foreign key of each of a million
# items' ~90 band rows at commit cost more than all the rest of the load; adding the constraint
# back checks every row in one join. The item index stays: a batch an item's own save wrote
# into while the build ran deletes its items' rows first (``write_entries``), through it.
# The primary key's index goes too (each of those rows maintained a second btree; it is built
# once, sorted, at the end).
ITEM_INDEX = "search_lshband_item_id_fcb7e6b9"
ITEM_FK = "search_lshband_item_id_fcb7e6b9_fk_items_item_id"
PKEY = "search_lshband_pkey"
BULK_DROP = [
    f"ALTER TABLE search_lshband DROP CONSTRAINT IF EXISTS {ITEM_FK}",
    f"ALTER TABLE search_lshband DROP CONSTRAINT IF EXISTS {PKEY}",
]
RESTORE_FK = (
    f"ALTER TABLE search_lshband ADD CONSTRAINT {ITEM_FK} FOREIGN KEY (item_id) "
    "REFERENCES items_item (id) DEFERRABLE INITIALLY DEFERRED"
)
RESTORE_PKEY = f"ALTER TABLE search_lshband ADD CONSTRAINT {PKEY} PRIMARY KEY (id)"


def restore_key_index() -> None:
    """Create the band table's key index — and on PostgreSQL its item index, primary key and
    foreign key — if a rebuild left them dropped (interrupted).

    PostgreSQL refuses to index a table with foreign-key checks still pending (Django's are
    deferred to the commit): inside an enclosing transaction they are run first, then deferred
    again."""
    pending = connection.vendor == "postgresql" and connection.in_atomic_block
    with connection.cursor() as cursor:
        if pending:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {_q(KEY_INDEX)} ON {_q(LshBand._meta.db_table)} "
            f"({', '.join(_q(c) for c in KEY_COLUMNS)})"
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {ITEM_INDEX} ON search_lshband (item_id)")
            for name, sql in ((PKEY, RESTORE_PKEY), (ITEM_FK, RESTORE_FK)):
                cursor.execute(
                    "SELECT 1 FROM pg_constraint WHERE conname = %s"
                    " AND conrelid = 'search_lshband'::regclass",
                    [name],
                )
                if cursor.fetchone() is None:
                    cursor.execute(sql)
        if pending:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _drop_for_bulk() -> None:
    """What a first build loads the band table without (see ``restore_key_index`` for the
    pending checks)."""
    pending = connection.vendor == "postgresql" and connection.in_atomic_block
    with connection.cursor() as cursor:
        if pending:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP INDEX IF EXISTS {_q(KEY_INDEX)}")
        if connection.vendor == "postgresql":
            for sql in BULK_DROP:
                cursor.execute(sql)
        if pending:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def analyze() -> None:
    """Refresh PostgreSQL's statistics of the index tables: right after a bulk load they are
    missing, and the planner then reads the band table whole for every check (a sequential
    scan of 1.8 million rows, 200 ms, instead of the key index); and vacuum the band table,
    whose key index answers the checks alone once its pages are all-visible (search/0010,
    ``index.after_load``). SQLite plans without statistics."""
    tables = [model._meta.db_table for model in (DuplicateSignature, LshBand, SimilarPair)]
    after_load(tables, vacuum=[LshBand._meta.db_table])


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
    with bulk_session():
        return _reindex(batch_size, progress, workers)


def _reindex(
    batch_size: int, progress: Callable[[int], object] | None, workers: int
) -> ReindexResult:
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    restore_key_index()
    if LshBand.objects.exists():
        corpus, written = _entries_pass(batch_size, progress, workers)
    else:
        # A first build (or after a wipe): the bands go in without their indexes (and on
        # PostgreSQL without their foreign key), which are then built once (sorted) — a third
        # of the cost of inserting into them row by row.
        _drop_for_bulk()
        try:
            corpus, written = _entries_pass(batch_size, progress, workers)
        finally:
            restore_key_index()
    entries_seconds = time.perf_counter() - started
    entries_cpu, entries_children = time.process_time() - cpu, _children_cpu() - children
    _pairs_pass(corpus, batch_size, progress, workers)
    analyze()
    return ReindexResult(
        items=len(corpus),
        entries_written=written,
        pairs=SimilarPair.objects.count() // 2,
        seconds=time.perf_counter() - started,
        entries_seconds=entries_seconds,
        cpu_seconds=time.process_time() - cpu,
        entries_cpu_seconds=entries_cpu,
        workers_cpu_seconds=(entries_children, _children_cpu() - children - entries_children),
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
