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
from collections import Counter
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
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
# Items of one department submitted in one window: at most this many are compared for 撞车.
EVENT_WINDOW_LIMIT = 1000


@dataclass
class Entry:
    """What a text contributes to the index."""

    shingled: sh.Shingled
    values: list[int]
    keys: list[tuple[int, int]]  # (paragraph, key); paragraph −1 for the whole text

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
        values = sh.signature(shingled.whole) if shingled.whole else [0] * sh.NUM_PERM
        keys = [(-1, key) for key in sh.doc_keys(values)] if shingled.whole else []
        for index, paragraph_set in shingled.long.items():
            keys += [(index, key) for key in sh.paragraph_keys(sh.signature(paragraph_set))]
        return cls(shingled, values, keys)


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


def candidates(entry: Entry, *, exclude_item_id: int | None = None) -> dict[int, bool]:
    """The items sharing a band key with ``entry``, most shared keys first (then lowest id), at
    most ``CANDIDATE_LIMIT``: item id → whether a paragraph key was among those shared.

    One indexed lookup (``search_lsh_key_idx``) in plain SQL: the ORM's cost of building an
    ``IN`` of a hundred keys is larger than the query's."""
    keys = list({key for _p, key in entry.keys})
    if not keys:
        return {}
    table = connection.ops.quote_name(LshBand._meta.db_table)
    key = connection.ops.quote_name("key")
    sql = f"SELECT item_id, paragraph FROM {table} WHERE {key} IN ({_placeholders(len(keys))})"  # noqa: S608 - only placeholders are built
    params: list[int] = keys
    if exclude_item_id is not None:
        sql += " AND item_id <> %s"
        params = [*keys, exclude_item_id]
    hits: Counter[int] = Counter()
    by_paragraph: set[int] = set()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT {CANDIDATE_ROWS}", params)
        for item_id, paragraph in cursor.fetchall():
            hits[item_id] += 1
            if paragraph >= 0:
                by_paragraph.add(item_id)
    best = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATE_LIMIT]
    return {item_id: item_id in by_paragraph for item_id, _n in best}


def _entries(ids: list[int]) -> list[tuple[int, str, bytes, datetime.datetime | None, int]]:
    """Stored text, signature, submission time and unit of each of ``ids`` (plain SQL, as
    ``candidates``)."""
    signatures = connection.ops.quote_name(DuplicateSignature._meta.db_table)
    items = connection.ops.quote_name(Item._meta.db_table)
    sql = (
        f"SELECT s.item_id, s.text, s.signature, i.submitted_at, i.unit_id FROM {signatures} s "  # noqa: S608 - only placeholders are built
        f"JOIN {items} i ON i.id = s.item_id WHERE s.item_id IN ({_placeholders(len(ids))})"
    )
    field = Item._meta.get_field("submitted_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    converters = connection.ops.get_db_converters(field.get_col(Item._meta.db_table))
    out = []
    for item_id, text, signature, submitted_at, unit_id in rows:
        for converter in converters:
            submitted_at = converter(submitted_at, field.get_col(Item._meta.db_table), connection)
        out.append((item_id, text, bytes(signature), submitted_at, unit_id))
    return out


def check(entry: Entry, *, exclude_item_id: int | None = None) -> list[Match]:
    """The items like ``entry``'s text, confirmed exactly, most similar first (flagged or not:
    callers keep what they need, see ``Measures.flagged``)."""
    found = candidates(entry, exclude_item_id=exclude_item_id)
    if not found:
        return []
    matches = []
    for item_id, text, signature, submitted_at, unit_id in _entries(list(found)):
        if not found[item_id]:
            estimate = sh.estimated_similarity(entry.values, sh.unpack(signature))
            if estimate < ESTIMATE_MIN:
                continue
        measures = sh.measure(entry.shingled, sh.Shingled.from_stored(text))
        matches.append(Match(item_id, measures, submitted_at, unit_id))
    matches.sort(key=lambda m: (-m.score, -m.similarity, -m.item_id))
    return matches


def check_text(title: str, body: str, *, exclude_item_id: int | None = None) -> list[Match]:
    return check(Entry.of(title, body), exclude_item_id=exclude_item_id)


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------


def _write_entry(
    item_id: int, entry: Entry, novelty: float | None = None, nearest_id: int | None = None
) -> None:
    """The item's signature row (one upsert, its novelty with it) and its band keys."""
    DuplicateSignature.objects.bulk_create(
        [
            DuplicateSignature(
                item_id=item_id,
                text=entry.shingled.stored,
                signature=sh.pack(entry.values),
                novelty=novelty,
                nearest_id=nearest_id,
            )
        ],
        update_conflicts=True,
        unique_fields=["item"],
        update_fields=["text", "signature", "novelty", "nearest", "computed_at"],
    )
    LshBand.objects.filter(item_id=item_id).delete()
    LshBand.objects.bulk_create(
        [LshBand(item_id=item_id, key=key, paragraph=paragraph) for paragraph, key in entry.keys]
    )


def _same_event_window(item: Item, entry: Entry) -> dict[int, float]:
    """Items of other units of the item's department submitted within ``EVENT_DAYS`` days of
    it whose estimated similarity reaches ``EVENT_MIN``: id → estimate."""
    if item.submitted_at is None:
        return {}
    span = datetime.timedelta(days=EVENT_DAYS)
    rows = (
        DuplicateSignature.objects.filter(
            item__department_id=item.department_id,
            item__submitted_at__range=(item.submitted_at - span, item.submitted_at + span),
        )
        .exclude(item__unit_id=item.unit_id)
        .exclude(item_id=item.pk)
        .order_by("-item__submitted_at", "-item_id")
        .values_list("item_id", "signature")[:EVENT_WINDOW_LIMIT]
    )
    near = {}
    for item_id, signature in rows:
        estimate = sh.estimated_similarity(entry.values, sh.unpack(signature))
        if estimate >= EVENT_MIN:
            near[item_id] = estimate
    return near


# item id, other id, similarity, containment, score, flagged, same event
PairValues = tuple[int, int, float, float, float, bool, bool]


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


def pair_rows(item_id: int, matches: Iterable[Match], event_ids: Set[int]) -> list[SimilarPair]:
    """``pair_values`` as unsaved ``SimilarPair`` rows."""
    return [
        SimilarPair(
            item_id=pk,
            other_id=other,
            similarity=similarity,
            containment=containment,
            score=score,
            flagged=flagged,
            same_event=same_event,
        )
        for pk, other, similarity, containment, score, flagged, same_event in pair_values(
            item_id, matches, event_ids
        )
    ]


def _pairs(item: Item, entry: Entry, matches: list[Match]) -> list[SimilarPair]:
    """The item's pairs, both ways round: flagged matches and same-event neighbours."""
    event_ids = _same_event_window(item, entry)
    by_id = {m.item_id: m for m in matches}
    missing = [pk for pk in event_ids if pk not in by_id]
    for item_id, text, _signature, submitted_at, unit_id in _entries(missing) if missing else []:
        measures = sh.measure(entry.shingled, sh.Shingled.from_stored(text))
        by_id[item_id] = Match(item_id, measures, submitted_at, unit_id)
    return pair_rows(item.pk, by_id.values(), set(event_ids))


PAIR_FIELDS = ("item_id", "other_id", "similarity", "containment", "score", "flagged", "same_event")


def _write_pairs(item_id: int, pairs: list[SimilarPair]) -> None:
    """Make the item's pairs (both ways round) exactly ``pairs``: the rows that differ are
    deleted and inserted, the others left alone (a recheck after a workflow move mostly finds
    the same pairs: no rows, and no index entries, are rewritten for them)."""
    stored = {
        row[1:]: row[0]
        for row in SimilarPair.objects.filter(Q(item_id=item_id) | Q(other_id=item_id)).values_list(
            "pk", *PAIR_FIELDS
        )
    }
    new = []
    for pair in sorted(pairs, key=lambda p: (p.item_id, p.other_id)):
        if stored.pop(tuple(getattr(pair, name) for name in PAIR_FIELDS), None) is None:
            new.append(pair)
    if stored:
        SimilarPair.objects.filter(pk__in=sorted(stored.values())).delete()
    SimilarPair.objects.bulk_create(new)


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
    """The item's entry as the index holds it (None: it has none yet)."""
    row = DuplicateSignature.objects.filter(item_id=item_id).values_list("text", "signature")
    found = row.first()
    if found is None:
        return None
    keys = LshBand.objects.filter(item_id=item_id).order_by("id").values_list("paragraph", "key")
    return Entry(sh.Shingled.from_stored(found[0]), list(sh.unpack(found[1])), list(keys))


def index_item(
    item: Item, entry: Entry | None = None, *, text_unchanged: bool = False
) -> list[Match]:
    """(Re)index one item: its entry, its pairs and its novelty, in one transaction. Returns
    the matches found. ``text_unchanged`` (a workflow move: the text is the one last indexed)
    reuses the stored entry and rewrites only the pairs and the novelty."""
    with transaction.atomic():
        lock_pairs()
        stored = _stored_entry(item.pk) if text_unchanged and entry is None else None
        entry = stored or entry or Entry.of_item(item)
        # The item's own rows are left out of every read below, so they are written last,
        # novelty and all, in one upsert.
        matches = check(entry, exclude_item_id=item.pk)
        _write_pairs(item.pk, _pairs(item, entry, matches))
        value, nearest = novelty(item.submitted_at, matches)
        if stored is not None:
            DuplicateSignature.objects.filter(item_id=item.pk).update(
                novelty=value, nearest_id=nearest, computed_at=timezone.now()
            )
        else:
            _write_entry(item.pk, entry, value, nearest)
    return matches
