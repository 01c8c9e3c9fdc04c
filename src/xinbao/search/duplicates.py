"""The near-duplicate index: writes, the candidate lookup and the check at save and submission.

Everything lives in three tables (no state in memory, so any process or app server sees the
same index): ``DuplicateSignature`` (per item: compared text, MinHash signature, novelty),
``LshBand`` (per item: one row per LSH band of the whole text and of each long paragraph, looked
up by the indexed ``key``) and ``SimilarPair`` (confirmed pairs, both ways round).

``check(entry)`` finds the items whose band keys meet the text's (``candidates``), confirms each
by the exact measures of ``search.shingles`` and returns them most similar first. An item is
checked against every other item: ``exclude_item_id`` is the item itself, so an item never
matches itself, and revisions are not indexed, so an item resubmitted after return never matches
its own earlier text.

``index_item(item)`` (called by the signals when an item's text is saved and when it is
submitted, and by ``reindex``) rewrites the item's signature and bands, then its pairs:
the flagged ones (高度相似) and the same-event ones (撞车: another unit of the same department,
submitted within ``EVENT_DAYS`` days, estimated similarity ≥ ``EVENT_MIN``), and its novelty.
``search.rebuild`` rebuilds the whole index in bulk with the same result.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from xinbao.audit.services import lock_chain
from xinbao.items.models import Item
from xinbao.search import shingles as sh
from xinbao.search.index import attachment_texts_of
from xinbao.search.models import DuplicateSignature, LshBand, SimilarPair

# At most this many candidates (those sharing most keys first) are confirmed exactly.
CANDIDATE_LIMIT = 50
# A key shared by very many items (a boilerplate paragraph) is read no further than this.
CANDIDATE_ROWS = 5000
# A candidate found only through whole-text bands is confirmed when its estimated similarity
# (from the stored signatures) reaches this; below it, it cannot be flagged.
ESTIMATE_MIN = 0.25
EVENT_DAYS = 3
EVENT_MIN = 0.2
# Items of one department submitted in one window: at most this many are compared for 撞车,
# and the item is paired with at most EVENT_PARTNER_LIMIT of them (the closest estimates; the
# newest first among equals): more than every unit of a county, and the clusters join through
# their pairs, but one event reported hundreds of times does not make each report write and
# re-measure hundreds of pairs.
EVENT_WINDOW_LIMIT = 1000
EVENT_PARTNER_LIMIT = 100


@dataclass
class Entry:
    """What a text contributes to the index."""

    shingled: sh.Shingled
    values: list[int]
    # (paragraph, key); paragraph −1 for the whole text. Empty in an entry read back from the
    # index (``_stored_entry``): the lookup then reads the item's band rows itself.
    keys: list[tuple[int, int]]

    @classmethod
    def of(cls, title: str, body: str, attachments: Sequence[str] = ()) -> Entry:
        return cls.of_shingled(sh.Shingled.of(sh.paragraphs_of(title, body, attachments)))

    @classmethod
    def of_item(cls, item: Item) -> Entry:
        """The entry of a saved item: its title, body and attachments' text."""
        texts = attachment_texts_of([item.pk]).get(item.pk, [])
        return cls.of(item.title, item.body, texts)

    @classmethod
    def of_shingled(cls, shingled: sh.Shingled) -> Entry:
        values, keys, paragraphs = cls.computed(shingled)
        return cls(shingled, values, list(zip(paragraphs.tolist(), keys.tolist(), strict=True)))

    @staticmethod
    def computed(
        shingled: sh.Shingled,
    ) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.int16]]:
        """The text's signature, and its band keys with their paragraph numbers as arrays
        (``shingles.band_arrays``): what ``of_shingled`` holds and a rebuild stores."""
        values = [0] * sh.NUM_PERM if shingled.empty else sh.signature(shingled.windows())
        long = [sh.signature(windows) for windows in shingled.long_windows()]
        keys, paragraphs = sh.band_arrays(None if shingled.empty else values, shingled.long, long)
        return values, keys, paragraphs

    @functools.cached_property
    def packed_bytes(self) -> bytes:
        """The signature as stored (``shingles.pack``)."""
        return sh.pack(self.values)

    @functools.cached_property
    def packed(self) -> int:
        """The signature as one integer (``shingles.packed_int``), for estimates."""
        return sh.packed_int(self.packed_bytes)


@dataclass(frozen=True)
class Match:
    item_id: int
    measures: sh.Measures
    submitted_at: datetime.datetime | None
    unit_id: int

    @property
    def similarity(self) -> float:
        return self.measures.similarity

    @property
    def containment(self) -> float:
        return self.measures.containment

    @property
    def score(self) -> float:
        return self.measures.score


def _placeholders(n: int) -> str:
    return ", ".join(["%s"] * n)


def _in(values: Sequence[int]) -> tuple[str, list[Any]]:
    """The condition "is one of ``values``" and its parameters: on PostgreSQL ``= ANY`` of one
    array, so that the statement's text is the same for any number of values (psycopg parses
    a statement's placeholders once and caches it, but not one of more than 50 parameters,
    which it parses again on every call); elsewhere ``IN (%s, …)``."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", [list(values)]
    return f"IN ({_placeholders(len(values))})", list(values)


def column_in(column: str, values: Sequence[int], *, seek: bool = True) -> Any:
    """A ``QuerySet.filter`` condition "``column`` is one of ``values``" with one array
    parameter on PostgreSQL (see ``_in``: Django prepares and psycopg parses one placeholder
    per value otherwise; for hundreds of ids that costs more than the query). ``column`` is
    the model's own column (no join).

    ``seek=False``: SQLite tests the condition on the rows the other conditions found and
    never looks rows up by it (a unary ``+`` on the column). Given two such lists on the two
    columns of an index, SQLite otherwise probes the index with every pair of values: the
    inbox's same-event pairs among 500 open items, 250,000 probes."""
    sqlite = connection.vendor != "postgresql"
    if sqlite and seek:
        return Q(**{f"{column}__in": list(values)})
    sql, params = _in(values)
    name = f"+{_quote(column)}" if sqlite else _quote(column)
    condition = f"{name} {sql}"  # a quoted name and placeholders, no value
    return RawSQL(condition, params, output_field=models.BooleanField())  # noqa: S611


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: type[models.Model]) -> str:
    return _quote(model._meta.db_table)


def _datetime_reader() -> Callable[[Any], datetime.datetime | None]:
    """The database's value of ``Item.submitted_at`` as the ORM gives it (SQLite: a string)."""
    field = Item._meta.get_field("submitted_at")
    column = field.get_col(Item._meta.db_table)
    converters = connection.ops.get_db_converters(column)

    def read(value: Any) -> datetime.datetime | None:
        for converter in converters:
            value = converter(value, column, connection)
        return cast("datetime.datetime | None", value)

    return read


# item id, any shared key a paragraph key, stored text, signature, submission time, unit
Candidate = tuple[int, bool, str, bytes, datetime.datetime | None, int]


def candidates(
    entry: Entry, *, exclude_item_id: int | None = None, keys_of: int | None = None
) -> list[Candidate]:
    """The items sharing a band key with ``entry``, most shared keys first (then lowest id), at
    most ``CANDIDATE_LIMIT``, with what confirming them needs (their stored text and signature,
    submission time and unit). Shared keys are counted over the band rows holding one of the
    entry's distinct keys, at most ``CANDIDATE_ROWS`` of them (a key shared by very many items,
    a boilerplate paragraph, is read no further).

    ``keys_of``: the entry's keys are that item's band rows in the index (an entry read back by
    ``_stored_entry``, whose ``keys`` are not loaded): the database reads them itself.

    One query in plain SQL (the band rows through ``search_lsh_key_cover_idx``, counted and ranked
    by the database, joined to the ranked items' entries): the ORM's cost of building an ``IN``
    of a hundred keys is larger than the query's."""
    key, bands = _quote("key"), _table(LshBand)
    if keys_of is not None:
        where = f"IN (SELECT {key} FROM {bands} WHERE item_id = %s)"  # noqa: S608 - names only
        params = [keys_of]
    else:
        keys = sorted({k for _p, k in entry.keys})
        if not keys:
            return []
        where, params = _in(keys)
    if exclude_item_id is not None:
        where += " AND item_id <> %s"
        params = [*params, exclude_item_id]
    sql = (
        "SELECT b.item_id, b.paragraph, s.text, s.signature, i.submitted_at, i.unit_id FROM ("  # noqa: S608 - only placeholders and names are built
        "SELECT h.item_id, COUNT(*) AS shared, MAX(h.paragraph) AS paragraph FROM ("
        f"SELECT item_id, paragraph FROM {bands} WHERE {key} {where} "
        f"LIMIT {CANDIDATE_ROWS}) h "
        f"GROUP BY h.item_id ORDER BY shared DESC, h.item_id LIMIT {CANDIDATE_LIMIT}) b "
        f"JOIN {_table(DuplicateSignature)} s ON s.item_id = b.item_id "
        f"JOIN {_table(Item)} i ON i.id = b.item_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    read = _datetime_reader()
    return [
        (item_id, paragraph >= 0, text, bytes(signature), read(submitted_at), unit_id)
        for item_id, paragraph, text, signature, submitted_at, unit_id in rows
    ]


def _entries(ids: list[int]) -> list[tuple[int, str, bytes, datetime.datetime | None, int]]:
    """Stored text, signature, submission time and unit of each of ``ids`` (plain SQL, as
    ``candidates``)."""
    sql = (
        f"SELECT s.item_id, s.text, s.signature, i.submitted_at, i.unit_id "  # noqa: S608 - only placeholders are built
        f"FROM {_table(DuplicateSignature)} s JOIN {_table(Item)} i ON i.id = s.item_id "
        "WHERE s.item_id {}"
    )
    where, params = _in(ids)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(where), params)
        rows = cursor.fetchall()
    read = _datetime_reader()
    return [
        (item_id, text, bytes(signature), read(submitted_at), unit_id)
        for item_id, text, signature, submitted_at, unit_id in rows
    ]


def _confirm(entry: Entry, found: Iterable[Candidate]) -> list[Match]:
    """The ``found`` candidates confirmed exactly, most similar first; one found only through
    whole-text keys is confirmed when its estimated similarity reaches ``ESTIMATE_MIN``."""
    matches = []
    for item_id, by_paragraph, text, signature, submitted_at, unit_id in found:
        if not by_paragraph:
            estimate = sh.estimated_similarity_int(entry.packed, sh.packed_int(signature))
            if estimate < ESTIMATE_MIN:
                continue
        measures = sh.measure(entry.shingled, sh.Shingled.from_stored(text))
        matches.append(Match(item_id, measures, submitted_at, unit_id))
    matches.sort(key=lambda m: (-m.score, -m.similarity, -m.item_id))
    return matches


def check(entry: Entry, *, exclude_item_id: int | None = None) -> list[Match]:
    """The items like ``entry``'s text, confirmed exactly, most similar first (flagged or not:
    callers keep what they need, see ``Measures.flagged``)."""
    return _confirm(entry, candidates(entry, exclude_item_id=exclude_item_id))


def check_text(title: str, body: str, *, exclude_item_id: int | None = None) -> list[Match]:
    return check(Entry.of(title, body), exclude_item_id=exclude_item_id)


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------


@functools.cache
def _column_types(model: type[models.Model], columns: tuple[str, ...]) -> list[str]:
    """PostgreSQL's types of ``columns`` (``_insert`` casts its arrays to them)."""
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(c)) for c in columns]
    return [cast(str, field.db_type(connection)) for field in fields]


def _insert(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``rows`` inserted in plain SQL (no model instance built per row): on PostgreSQL in one
    statement, one array per column (``unnest``: the same statement text for any number of
    rows, see ``_in``); elsewhere with as few multi-row ``INSERT`` as the parameter limit
    (``max_query_params``) allows."""
    if not rows:
        return
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in _column_types(model, tuple(columns)))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_table(model)} ({names}) SELECT * FROM unnest({arrays})",  # noqa: S608 - only placeholders and names are built
                [list(column) for column in zip(*rows, strict=True)],
            )
        return
    one = f"({_placeholders(len(columns))})"
    limit = connection.features.max_query_params  # None: no limit
    per_statement = len(rows) if limit is None else limit // len(columns)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {_table(model)} ({names}) VALUES {', '.join([one] * len(chunk))}",  # noqa: S608 - only placeholders and names are built
                [value for row in chunk for value in row],
            )


def _now() -> Any:
    """``timezone.now()`` as a datetime column takes it in plain SQL."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _write_entry(
    item_id: int,
    entry: Entry,
    novelty: float | None = None,
    nearest_id: int | None = None,
    *,
    created: bool = False,
) -> None:
    """The item's signature row (one upsert, its novelty with it) and its band keys
    (``created``: the item was inserted in this transaction, so it has no band rows to delete)."""
    columns = [_quote(c) for c in ("item_id", "text", "signature", "novelty", "nearest_id")]
    columns.append(_quote("computed_at"))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(DuplicateSignature)} ({', '.join(columns)}) "  # noqa: S608 - only placeholders and names are built
            f"VALUES ({_placeholders(len(columns))}) "
            f"ON CONFLICT (item_id) DO UPDATE SET {updates}",
            [item_id, entry.shingled.stored, entry.packed_bytes, novelty, nearest_id, _now()],
        )
        if not created:
            cursor.execute(f"DELETE FROM {_table(LshBand)} WHERE item_id = %s", [item_id])  # noqa: S608 - no value is built into it
    _insert(
        LshBand,
        ("item_id", "key", "paragraph"),
        [(item_id, key, paragraph) for paragraph, key in entry.keys],
    )


def _same_event_window(item: Item, entry: Entry) -> dict[int, float]:
    """Items of other units of the item's department submitted within ``EVENT_DAYS`` days of
    it (the newest ``EVENT_WINDOW_LIMIT``) whose estimated similarity reaches ``EVENT_MIN``,
    the ``EVENT_PARTNER_LIMIT`` closest: id → estimate. Plain SQL, as ``candidates``."""
    if item.submitted_at is None:
        return {}
    span = datetime.timedelta(days=EVENT_DAYS)
    sql = (
        f"SELECT s.item_id, s.signature FROM {_table(DuplicateSignature)} s "  # noqa: S608 - only placeholders and names are built
        f"JOIN {_table(Item)} i ON i.id = s.item_id "
        "WHERE i.department_id = %s AND i.submitted_at BETWEEN %s AND %s "
        "AND i.unit_id <> %s AND s.item_id <> %s "
        f"ORDER BY i.submitted_at DESC, s.item_id DESC LIMIT {EVENT_WINDOW_LIMIT}"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        item.department_id,
        adapt(item.submitted_at - span),
        adapt(item.submitted_at + span),
        item.unit_id,
        item.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    near = []
    mine = entry.packed
    for item_id, signature in rows:
        estimate = sh.estimated_similarity_int(mine, sh.packed_int(bytes(signature)))
        if estimate >= EVENT_MIN:
            near.append((item_id, estimate))
    near.sort(key=lambda found: -found[1])  # stable: the newest first among equal estimates
    return dict(near[:EVENT_PARTNER_LIMIT])


# item id, other id, similarity, containment, score, flagged, same event
PairValues = tuple[int, int, float, float, float, bool, bool]
PAIR_COLUMNS = (
    "item_id",
    "other_id",
    "similarity",
    "containment",
    "score",
    "flagged",
    "same_event",
)


def pair_values(item_id: int, matches: Iterable[Match], event_ids: Set[int]) -> list[PairValues]:
    """The pairs of item ``item_id``, both ways round, from its ``matches``: the flagged ones
    and the same-event ones (``event_ids``), as plain tuples (what ``search.rebuild`` writes)."""
    pairs = []
    for match in matches:
        flagged = match.measures.flagged
        same_event = match.item_id in event_ids
        if not (flagged or same_event):
            continue
        values = (match.similarity, match.containment, match.score, flagged, same_event)
        pairs.append((item_id, match.item_id, *values))
        pairs.append((match.item_id, item_id, *values))
    return pairs


def _pairs(item: Item, entry: Entry, matches: list[Match]) -> list[PairValues]:
    """The item's pairs, both ways round: flagged matches and same-event neighbours."""
    event_ids = _same_event_window(item, entry)
    by_id = {m.item_id: m for m in matches}
    missing = [pk for pk in event_ids if pk not in by_id]
    for item_id, text, _signature, submitted_at, unit_id in _entries(missing) if missing else []:
        measures = sh.measure(entry.shingled, sh.Shingled.from_stored(text))
        by_id[item_id] = Match(item_id, measures, submitted_at, unit_id)
    return pair_values(item.pk, by_id.values(), set(event_ids))


def _write_pairs(item_id: int, pairs: list[PairValues], *, created: bool = False) -> None:
    """Make the item's pairs (both ways round) exactly ``pairs``: the rows that differ are
    deleted and inserted, the others left alone (a recheck after a workflow move mostly finds
    the same pairs: no rows, and no index entries, are rewritten for them). ``created``: the
    item was inserted in this transaction, so no pair row can name it yet."""
    table = _table(SimilarPair)
    stored: dict[tuple[Any, ...], int] = {}
    with connection.cursor() as cursor:
        if not created:
            cursor.execute(
                f"SELECT id, {', '.join(PAIR_COLUMNS)} FROM {table} "  # noqa: S608 - no value is built into it
                "WHERE item_id = %s OR other_id = %s",
                [item_id, item_id],
            )
            # SQLite gives the booleans back as 0 and 1, which compare and hash as False, True.
            stored = {row[1:]: row[0] for row in cursor.fetchall()}
        new = [pair for pair in sorted(pairs) if stored.pop(pair, None) is None]
        if stored:
            where, params = _in(sorted(stored.values()))
            cursor.execute(f"DELETE FROM {table} WHERE id {where}", params)  # noqa: S608 - only placeholders are built
    _insert(SimilarPair, PAIR_COLUMNS, new)


def novelty(
    submitted_at: datetime.datetime | None, matches: Iterable[Match]
) -> tuple[float, int | None]:
    """1 − the best score against the matches reported before an item submitted at
    ``submitted_at`` (never submitted: all reported ones), and that match's item."""
    earlier = [
        m
        for m in matches
        if m.submitted_at is not None and (submitted_at is None or m.submitted_at < submitted_at)
    ]
    nearest = max(earlier, key=lambda m: (m.score, -m.item_id), default=None)
    if nearest is None:
        return 1.0, None
    return round(1.0 - nearest.score, 4), nearest.item_id


def lock_pairs() -> None:
    """Serialize the rewriting of similar pairs until the transaction ends.

    Two similar items indexed at the same moment each rewrite both rows of their pair (A→B and
    B→A); two app servers then deadlocked on the pair's unique index (seen under load). A lock
    of its own deadlocked against the audit chain's lock, taken by every audited write in
    whatever order, so the pairs are rewritten under that same lock (``audit.services``).
    """
    lock_chain()


def _stored_entry(item_id: int) -> Entry | None:
    """The item's entry as the index holds it (None: it has none yet), without its ``keys``:
    ``candidates(..., keys_of=item_id)`` reads them in its own query."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT text, signature FROM {_table(DuplicateSignature)} WHERE item_id = %s",  # noqa: S608 - no value is built into it
            [item_id],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    return Entry(sh.Shingled.from_stored(found[0]), list(sh.unpack(found[1])), [])


def index_item(
    item: Item,
    entry: Entry | None = None,
    *,
    text_unchanged: bool = False,
    created: bool = False,
) -> list[Match]:
    """(Re)index one item: its entry, its pairs and its novelty, in one transaction. Returns
    the matches found. ``text_unchanged`` (a workflow move: the text is the one last indexed)
    reuses the stored entry and rewrites only the pairs and the novelty. ``created``: the item
    was inserted in the caller's transaction (``post_save`` with ``created``), so it has no
    rows of its own to read or delete.

    Inside the caller's transaction no savepoint is taken: an error here fails that
    transaction, as it should (the index must not fall behind the item's text)."""
    with transaction.atomic(savepoint=False):
        lock_pairs()
        stored = _stored_entry(item.pk) if text_unchanged and entry is None else None
        entry = stored or entry or Entry.of_item(item)
        # The item's own rows are left out of every read below, so they are written last,
        # novelty and all, in one upsert.
        found = candidates(
            entry, exclude_item_id=item.pk, keys_of=item.pk if stored is not None else None
        )
        matches = _confirm(entry, found)
        _write_pairs(item.pk, _pairs(item, entry, matches), created=created)
        value, nearest = novelty(item.submitted_at, matches)
        if stored is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {_table(DuplicateSignature)} "  # noqa: S608 - no value is built into it
                    "SET novelty = %s, nearest_id = %s, computed_at = %s WHERE item_id = %s",
                    [value, nearest, _now(), item.pk],
                )
        else:
            _write_entry(item.pk, entry, value, nearest, created=created)
    return matches
