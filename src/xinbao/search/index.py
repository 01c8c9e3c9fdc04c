"""The full-text index of items: writes and the backend-specific reads.

Writes: ``index_item`` upserts the item's ``SearchDocument`` (token string, see
``search.tokens``); the backend index follows in the same transaction (FTS5 triggers on SQLite, a
trigger-kept ``tsvector`` column on PostgreSQL — ``search.fulltext``). ``remove_item`` deletes it
(deleting the item cascades to it anyway). ``reindex`` rebuilds every entry in batches.

Reads: ``compile_query`` turns a ``ParsedQuery`` into the backend's query syntax — FTS5 MATCH
expressions, or PostgreSQL ``to_tsquery('simple', …)`` input — with every token quoted, and the
SQL takes it as a parameter; no user text is ever part of the SQL. ``matching`` is a subquery of
matching item ids for ``QuerySet.filter(pk__in=…)``; ``token_strings`` feeds ``search.ranking``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import BigIntegerField, BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from xinbao.items.models import Item
from xinbao.search import fulltext, parallel
from xinbao.search.models import AttachmentText, SearchDocument
from xinbao.search.query import ParsedQuery, Phrase, Term, parse_query
from xinbao.search.tokens import document_tokens

REINDEX_BATCH = 500
# ``matches(per_item=True)`` asks per item only when the expression matches at least this many.
PER_ITEM_ABOVE = 2000

# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------


def item_fields(item: Item, attachment_texts: Iterable[str] = ()) -> list[str]:
    """The texts an item is indexed from. The title is given twice: a word in the title counts
    double for relevance."""
    return parallel.fields(item.title, item.keywords, item.body, list(attachment_texts))


def attachment_texts_of(item_ids: Sequence[int]) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = {}
    rows = (
        AttachmentText.objects.filter(attachment__item_id__in=item_ids)
        .exclude(text="")
        .order_by("attachment_id")
        .values_list("attachment__item_id", "text")
    )
    for item_id, text in rows:
        texts.setdefault(item_id, []).append(text)
    return texts


SCOPE_FIELDS = ("unit_id", "department_id", "state")


def scope_of(item: Item) -> dict[str, object]:
    """The item's fields that visibility reads, as ``SearchDocument`` keeps a copy of them."""
    return {name: getattr(item, name) for name in SCOPE_FIELDS}


def _upsert(documents: list[SearchDocument]) -> None:
    SearchDocument.objects.bulk_create(
        documents,
        update_conflicts=True,
        unique_fields=["item"],
        update_fields=["tokens", "indexed_at", *SCOPE_FIELDS],
    )


def index_item(item: Item, texts: list[str] | None = None) -> None:
    """(Re)index one item from its current title, keywords, body and attachment text (``texts``
    when the caller has read them), with its current unit, department and state."""
    if texts is None:
        texts = attachment_texts_of([item.pk]).get(item.pk, [])
    tokens = document_tokens(item_fields(item, texts))
    _upsert([SearchDocument(item_id=item.pk, tokens=tokens, **scope_of(item))])


def scope_sync(item: Item) -> None:
    """Copy the item's unit, department and state onto its entry (after a workflow move, or any
    write that changes them without changing the text). No entry yet: nothing to do."""
    SearchDocument.objects.filter(item_id=item.pk).update(**scope_of(item))


def remove_item(item_id: int) -> None:
    SearchDocument.objects.filter(item_id=item_id).delete()


@dataclass
class ReindexResult:
    items: int
    written: int
    seconds: float


def _text_batches(
    batch_size: int, *, by_department: bool = False
) -> Iterator[list[parallel.TextRow]]:
    """Items ``batch_size`` at a time, as plain tuples: in id order, or ``by_department``: one
    department after another, newest first within each (``item_dept_newest_idx``)."""
    parts: list[Q] = [Q()]
    order = ["pk"]
    if by_department:
        departments = Item.objects.order_by("department_id").values_list("department_id", flat=True)
        parts = [Q(department_id=d) for d in departments.distinct()]
        order = ["-pk"]
    for part in parts:
        after = Q()
        while True:
            batch = list(
                Item.objects.filter(part, after)
                .order_by(*order)
                .values_list("pk", "title", "keywords", "body")[:batch_size]
            )
            if not batch:
                break
            texts = attachment_texts_of([row[0] for row in batch])
            yield [(pk, title, kw, body, texts.get(pk, [])) for pk, title, kw, body in batch]
            last = batch[-1][0]
            after = Q(pk__lt=last) if by_department else Q(pk__gt=last)


# PostgreSQL: a batch of a rebuild's entries, on its way in (``_write_documents``).
DOCUMENTS_TEMP = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS search_rebuild_documents (item_id bigint, tokens text,"
    " vector tsvector, unit_id integer, department_id integer, state varchar(20),"
    " indexed_at timestamp with time zone) ON COMMIT DELETE ROWS"
)
DOCUMENTS_UPSERT = (
    "INSERT INTO search_searchdocument"
    " (item_id, tokens, vector, unit_id, department_id, state, indexed_at)"
    " SELECT * FROM search_rebuild_documents ON CONFLICT (item_id) DO UPDATE SET"
    " tokens = excluded.tokens, vector = excluded.vector,"
    " unit_id = excluded.unit_id, department_id = excluded.department_id,"
    " state = excluded.state, indexed_at = excluded.indexed_at"
)
# A first build's batch that met an entry its item's own save wrote meanwhile: that entry was
# computed from text at least as new as the batch's, so it stays.
DOCUMENTS_INSERT_NEW = (
    "INSERT INTO search_searchdocument"
    " (item_id, tokens, vector, unit_id, department_id, state, indexed_at)"
    " SELECT * FROM search_rebuild_documents ON CONFLICT (item_id) DO NOTHING"
)


def _write_documents(computed: list[tuple[int, str, str | None]], *, first: bool = False) -> int:
    """Write the documents of ``computed`` (id, tokens, tsvector or None: see
    ``parallel.tokens_of``) whose tokens or copied fields (``SCOPE_FIELDS``, read here from the
    items) changed; how many were written. On PostgreSQL a given vector is stored as it is (the
    session's ``fulltext.GIVEN_VECTORS``), a missing one is computed by the server's trigger.

    ``first``: none of these items had an entry when the batch was read (a first build). On
    PostgreSQL the rows are then copied straight into the table (``_copy_documents``), unless an
    item's own save wrote its entry meanwhile: then the others are inserted and that entry,
    from newer text, is left as it is (``DOCUMENTS_INSERT_NEW``). Otherwise they are upserted."""
    ids = [row[0] for row in computed]
    scopes = {
        row[0]: row[1:] for row in Item.objects.filter(pk__in=ids).values_list("pk", *SCOPE_FIELDS)
    }
    current = {
        row[0]: row[1:]
        for row in SearchDocument.objects.filter(item_id__in=ids).values_list(
            "item_id", "tokens", *SCOPE_FIELDS
        )
    }
    changed = [
        (pk, tokens, vector, *scopes[pk])
        for pk, tokens, vector in computed
        if pk in scopes and current.get(pk) != (tokens, *scopes[pk])
    ]
    if not changed:
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "postgresql" and first and _copy_documents(changed, now):
        return len(changed)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Copied into a temporary table, then upserted by one statement: an upsert per row
            # cost the backend 0.05 ms and this process 0.045 ms more a row (its parse and plan).
            cursor.execute(DOCUMENTS_TEMP)
            # Emptied first: inside an enclosing transaction, ON COMMIT has not come yet.
            cursor.execute("TRUNCATE search_rebuild_documents")
            with cursor.cursor.copy("COPY search_rebuild_documents FROM STDIN") as copy:
                for row in changed:
                    copy.write_row((*row, now))
            cursor.execute(DOCUMENTS_INSERT_NEW if first else DOCUMENTS_UPSERT)
            if first:
                return int(cursor.rowcount)
        else:
            cursor.executemany(
                "INSERT INTO search_searchdocument"
                " (item_id, tokens, unit_id, department_id, state, indexed_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (item_id) DO UPDATE SET"
                " tokens = excluded.tokens, unit_id = excluded.unit_id,"
                " department_id = excluded.department_id, state = excluded.state,"
                " indexed_at = excluded.indexed_at",
                [(pk, tokens, *rest, now) for pk, tokens, _v, *rest in changed],
            )
    return len(changed)


COPY_DOCUMENTS = (
    "COPY search_searchdocument"
    " (item_id, tokens, vector, unit_id, department_id, state, indexed_at) FROM STDIN"
)


def copy_new_rows(sql: str, rows: Iterable[tuple[Any, ...]]) -> bool:
    """PostgreSQL: ``rows`` written by the ``COPY … FROM STDIN`` statement ``sql``, in a
    savepoint; False (nothing written) when one of them already has its row (a unique
    violation: in a rebuild, an item's own save wrote its entry since the batch was read)."""
    try:  # the raw cursor's errors are psycopg's: wrapped into Django's, as its cursor does
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)
    except IntegrityError:
        return False
    return True


def _copy_documents(rows: list[tuple[Any, ...]], now: object) -> bool:
    """PostgreSQL: ``COPY`` the entries straight into their table (``copy_new_rows``); False
    when an item's own save wrote its entry meanwhile, and the caller inserts the others
    instead. The temporary table's way writes every token string and vector twice, compressed
    and stored out of line both times."""
    return copy_new_rows(COPY_DOCUMENTS, ((*row, now) for row in rows))


def reindex(
    *,
    batch_size: int = REINDEX_BATCH,
    progress: Callable[[int], object] | None = None,
    workers: int = 1,
) -> ReindexResult:
    """Bring every item's entry up to date, ``batch_size`` items per transaction, in id order
    (a first build on PostgreSQL: by department, ``_text_batches``).

    Entries whose tokens and copied fields (``scope_of``) did not change are not rewritten, so a
    rebuild of a current index writes nothing. Writers are never blocked for more than one
    batch; an item edited during the run is indexed by its own save. ``progress`` is called
    with the number of items done per batch. The tokens are computed by ``workers`` processes
    (``search.parallel``; 1: in this one) while this process writes; rows are written with one
    upsert per batch (no model instances; PostgreSQL: copied into a temporary table, then
    upserted by one statement), the backend index following by its
    triggers — except in a first build (an empty table), which loads the rows without that
    maintenance (PostgreSQL: copied straight into the table, ``_write_documents``) and builds
    the backend indexes once at the end (``fulltext.BULK_DROP``; ``restore_backend`` repairs an
    interrupted one). PostgreSQL's tables are then analyzed and vacuumed (``after_load``).
    """
    with bulk_session():
        return _reindex(batch_size, progress, workers)


# A rebuild's session on PostgreSQL: memory to build the indexes in (sorted in one piece: the
# GIN build over a million entries is several times faster than with the default 64 MB), and
# commits that do not wait for the disk (a crash loses at most the last batches, which the
# next run redoes), and the vectors computed by the workers stored as given (the server's own
# ``to_tsvector`` of every document cost more CPU than all the rest of the full-text pass).
BULK_SETTINGS = {
    "maintenance_work_mem": "512MB",
    "synchronous_commit": "off",
    fulltext.GIVEN_VECTORS: "on",
}
# And the values written compressed with LZ4 rather than pglz, when the server was built with
# it (Debian's is): the token strings, vectors and compared texts all go out of line
# compressed, and pglz cost the backend more CPU.
LZ4 = ("default_toast_compression", "lz4")


@contextmanager
def bulk_session() -> Iterator[None]:
    """``BULK_SETTINGS`` for this connection until the block ends (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        yield
        return
    settings = dict(BULK_SETTINGS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = %s", [LZ4[0]])
        found = cursor.fetchone()
        if found is not None and LZ4[1] in (found[0] or []):
            settings[LZ4[0]] = LZ4[1]
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                for name in settings:
                    cursor.execute(f"RESET {name}")
        except DatabaseError:  # a failed transaction: its rollback undoes the settings
            pass


def _reindex(
    batch_size: int, progress: Callable[[int], object] | None, workers: int
) -> ReindexResult:
    started = time.perf_counter()
    done = written = 0
    restore_backend()
    bulk = not SearchDocument.objects.exists()
    if bulk:
        _run(fulltext.BULK_DROP)
    try:
        tokens_of = functools.partial(parallel.tokens_of, vectors=connection.vendor == "postgresql")
        # A first build on PostgreSQL writes the table's rows in the order they come: by
        # department, each department's entries then lie together (``_text_batches``). A county
        # editor's search visits its matches' rows: at a million items in ten counties, one row
        # in ten of a page was theirs in id order, and a common word's 5,000 matches lay in 4,176
        # of 13,415 pages; clustered, in 1,313 (newest first 15.6 → 9.0 ms). Later entries are
        # appended wherever there is room (``docs/deploy.md``: re-clustering).
        clustered = bulk and connection.vendor == "postgresql"
        batches = _text_batches(batch_size, by_department=clustered)
        for computed in parallel.ordered_map(tokens_of, batches, workers):
            with transaction.atomic():
                written += _write_documents(computed, first=bulk)
            done += len(computed)
            if progress is not None:
                progress(len(computed))
    finally:
        if bulk:
            _run(fulltext.BULK_FINISH)
            restore_backend()
    if connection.vendor == "sqlite" and written:
        with connection.cursor() as cursor:  # merge the index segments the batches left
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    if written:
        after_load(["search_searchdocument"], vacuum=["search_searchdocument"])
    return ReindexResult(items=done, written=written, seconds=time.perf_counter() - started)


def after_load(tables: Sequence[str], *, vacuum: Sequence[str] = ()) -> None:
    """PostgreSQL, after a rebuild loaded ``tables``: the planner's statistics (missing after a
    bulk load) and, outside a transaction (VACUUM runs in none), a vacuum of ``vacuum``. A bulk
    load leaves no page marked all-visible and every row's commit unchecked: until autovacuum
    comes by (it had not 10 minutes after a million-item build), index-only reads (the checks'
    band keys, the search windows' floors) visit the rows anyway, and each first read of a row
    looks its transaction up. The statistics are written with a synchronous commit first, which
    puts the load's asynchronous commits (``BULK_SETTINGS``) on disk: VACUUM marks a page
    all-visible only then."""
    if connection.vendor != "postgresql":
        return
    if connection.in_atomic_block or not connection.get_autocommit():
        vacuum = ()
    with connection.cursor() as cursor:
        if vacuum:
            cursor.execute("SELECT set_config('synchronous_commit', 'on', false)")
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        for table in vacuum:
            cursor.execute(f"VACUUM {connection.ops.quote_name(table)}")


def _run(statements: dict[str, list[str]]) -> None:
    """The backend's ``statements``. PostgreSQL refuses to create or drop an index of a table
    with foreign-key checks pending (Django defers them to the commit): inside an enclosing
    transaction they are run first, then deferred again."""
    pending = connection.vendor == "postgresql" and connection.in_atomic_block
    with connection.cursor() as cursor:
        if pending:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in statements.get(connection.vendor, []):
            cursor.execute(sql)
        if pending:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def restore_backend() -> None:
    """Put back the per-row maintenance a first build drops (``fulltext.BULK_DROP``) if an
    interrupted run left it dropped; a first build then starts with an empty table again, or a
    later run's ``index_item``s are maintained as usual. On SQLite a missing insert trigger
    means rows may lack their FTS entries: those are rebuilt as well."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'search_doc_ai'"
            )
            if cursor.fetchone() is not None:
                return
        _run(fulltext.BULK_FINISH)
    _run(fulltext.BULK_RESTORE)


def rebuild_backend() -> None:
    """Rebuild the database's own index structure from ``SearchDocument`` (SQLite: the FTS5
    table filled again, ``fulltext.FILL``; PostgreSQL: the vectors still missing since the
    upgrade, then ``REINDEX`` of the GIN index — the trigger keeps every other vector current)."""
    if connection.vendor == "postgresql":
        fulltext.backfill()
        with connection.cursor() as cursor:
            cursor.execute("REINDEX INDEX search_doc_scope_gin")
    else:
        _run(fulltext.FILL)


# ---------------------------------------------------------------------------------------------
# Query compilation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledQuery:
    """``positive``: what matching items must satisfy, negations folded in (``None`` when the
    query only excludes). ``excluded``: when there is no positive part, what they must not.
    ``relaxed``: ``positive`` with each positive phrase asked for as all its tokens in any
    position (PostgreSQL ``&`` for ``<->``): it matches a superset, which a GIN index answers
    exactly without rereading any stored vector; ``None`` when it is ``positive`` itself."""

    positive: str | None
    excluded: str | None
    relaxed: str | None = None


def _fts5_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _pg_string(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _fts5_phrase(phrase: Phrase) -> str:
    expression = " + ".join(_fts5_string(token) for token in phrase.tokens)
    if phrase.prefix:
        expression += " *"
    if phrase.word:
        expression = f"({_fts5_string(phrase.word)} OR ({expression}))"
    return expression


def _pg_phrase(
    phrase: Phrase, joiner: str = " <-> ", shares: Callable[[], Shares] | None = None
) -> str:
    tokens = phrase.tokens if shares is None else _rarest(phrase, shares)
    quoted = [_pg_string(token) for token in tokens]
    if phrase.prefix:
        quoted[-1] += ":*"
    expression = joiner.join(quoted)
    if phrase.word:
        expression = f"({_pg_string(phrase.word)} | ({expression}))"
    return expression


# PostgreSQL: a phrase's relaxed form (``CompiledQuery.relaxed``, the GIN index's prefilter, each
# candidate then checked exactly) asks for at most this many of its tokens, the rarest by the
# planner's statistics (``lexeme_shares``): the GIN index reads the posting list of every
# token it is asked for, and a long phrase's common pairs cost most and narrow least (基层组织建设,
# a county editor at 1,000,000 entries: 基层 and 建设 are in 57 % of the entries, 层组 and 织建
# in 12.5 %; the GIN bitmap of all five pairs cost 15 ms and found the same 12,720 candidates).
RELAXED_TOKENS = 2
Shares = dict[str, float]


def _rarest(phrase: Phrase, shares: Callable[[], Shares]) -> tuple[str, ...]:
    """The phrase's ``RELAXED_TOKENS`` rarest tokens by ``shares()`` (asked only for a longer
    phrase; a token the statistics do not list is rarer than every listed one), in their
    order; a prefix phrase keeps all its tokens."""
    if phrase.prefix or len(phrase.tokens) <= RELAXED_TOKENS:
        return phrase.tokens
    known = shares()
    ranked = sorted(range(len(phrase.tokens)), key=lambda i: known.get(phrase.tokens[i], 0.0))
    keep = set(ranked[:RELAXED_TOKENS])
    return tuple(token for i, token in enumerate(phrase.tokens) if i in keep)


@dataclass(frozen=True)
class _Syntax:
    phrase: Callable[[Phrase], str]
    and_: str
    or_: str
    and_not: str  # "positive AND NOT excluded"


SYNTAX = {
    "sqlite": _Syntax(_fts5_phrase, " AND ", " OR ", " NOT "),
    "postgresql": _Syntax(_pg_phrase, " & ", " | ", " & !"),
}


def _syntax() -> _Syntax:
    try:
        return SYNTAX[connection.vendor]
    except KeyError:
        raise ImproperlyConfigured(
            f"full-text search supports SQLite and PostgreSQL, not {connection.vendor}"
        ) from None


def _term(syntax: _Syntax, term: Term) -> str:
    return "(" + syntax.and_.join(syntax.phrase(phrase) for phrase in term.phrases) + ")"


def _groups(syntax: _Syntax, parsed: ParsedQuery) -> list[str]:
    return [
        "(" + syntax.or_.join(_term(syntax, term) for term in group) + ")"
        for group in parsed.groups
    ]


def compile_query(parsed: ParsedQuery, shares: Callable[[], Shares] | None = None) -> CompiledQuery:
    """``shares``: PostgreSQL, what gives the statistics' share of the entries holding each
    common lexeme (``lexeme_shares``, asked only for a phrase of more than ``RELAXED_TOKENS``
    tokens); the relaxed form then asks for each phrase's rarest tokens only."""
    syntax = _syntax()
    groups = _groups(syntax, parsed)
    excluded = (
        "(" + syntax.or_.join(_term(syntax, term) for term in parsed.excluded) + ")"
        if parsed.excluded
        else None
    )
    if not groups:
        return CompiledQuery(positive=None, excluded=_in_tokens(excluded))
    positive = syntax.and_.join(groups)
    relaxed = None
    if connection.vendor == "postgresql":
        loose = replace(syntax, phrase=lambda phrase: _pg_phrase(phrase, " & ", shares))
        relaxed = syntax.and_.join(_groups(loose, parsed))
        relaxed = None if relaxed == positive else relaxed
    if excluded:
        positive = f"({positive}){syntax.and_not}{excluded}"
        relaxed = f"({relaxed}){syntax.and_not}{excluded}" if relaxed else None
    return CompiledQuery(positive=_in_tokens(positive), excluded=None, relaxed=relaxed)


def _in_tokens(expression: str | None) -> str | None:
    """SQLite: ``expression`` asked of the ``tokens`` column only (the FTS5 table also indexes
    the scope tokens, ``fulltext.SCOPED_CREATE``, which a word such as ``u12`` must not match)."""
    if expression is None or connection.vendor != "sqlite":
        return expression
    return f"tokens : ({expression})"


def scope_token(part: Q) -> str | None:
    """SQLite: the scope token (``fulltext.SCOPED_CREATE``) that every entry of a part of the
    visibility (``items.permissions.visible_parts``) has: ``u<id>`` for a part that names one
    unit, ``d<id>`` for one that names one department; ``None`` for any other part (the items
    forwarded to a department, named by id)."""
    if part.negated or part.connector != Q.AND:
        return None
    fields: dict[str, Any] = dict(c for c in part.children if isinstance(c, tuple))
    if fields.get("unit_id") is not None:
        return f"u{int(fields['unit_id'])}"
    if fields.get("department_id") is not None:
        return f"d{int(fields['department_id'])}"
    return None


def scoped(expression: str, token: str | None) -> str:
    """SQLite: ``expression`` (from ``compile_query``) matched only by entries with the scope
    token ``token`` (``scope_token``; ``None``: all entries). FTS5 intersects the two inside the
    index, so a department's newest matches are found without walking past the matches of every
    other department."""
    if token is None:
        return expression
    return f"({expression}) AND scope : {_fts5_string(token)}"


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


def _match_sql() -> str:
    if connection.vendor == "sqlite":
        return "SELECT rowid FROM search_fts WHERE search_fts MATCH %s"
    _syntax()
    return "SELECT item_id FROM search_searchdocument WHERE vector @@ to_tsquery('simple', %s)"


def matching(expression: str) -> RawSQL:
    """The ids of the items matching ``expression`` (from ``compile_query``), as a subquery."""
    return RawSQL(_match_sql(), [expression])  # noqa: S611 - constant SQL, the query is a parameter


def matches(expression: str, *, per_item: bool = False) -> Q:
    """A filter on items: those matching ``expression``.

    By default ``id IN (all matching ids)``. With ``per_item`` on SQLite, when the expression
    matches thousands of items, each candidate item asks FTS5 about its own id instead (a
    correlated ``EXISTS`` with a rowid constraint), which is cheaper when the other filters leave
    few candidates (one unit's items). PostgreSQL's planner makes that choice itself.
    """
    if (
        per_item
        and connection.vendor == "sqlite"
        and not _fewer_matches_than(expression, PER_ITEM_ABOVE)
    ):
        exists = RawSQL(
            "EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH %s "
            'AND search_fts.rowid = "items_item"."id")',
            [expression],
            output_field=BooleanField(),
        )
        return Q(exists)
    return Q(pk__in=matching(expression))


# PostgreSQL, newest first: the candidates (entries matching the relaxed expression) sorted
# once, then each checked against the exact one in that order until ``LIMIT`` are found. The
# check is a lateral subquery, so it runs per candidate in that order whatever the planner
# expects of the candidates: as a plain join, a larger estimate of them (a relaxed expression
# of fewer tokens) made it match the exact expression over the whole table first and hash-join
# the two (124,475 entries tested, 820 ms, for a phrase the per-candidate check answers in 4).
EXACT_SQL = """
    SELECT c.item_id FROM ({candidates} ORDER BY 1 DESC OFFSET 0) AS c
    CROSS JOIN LATERAL (
        SELECT 1 FROM search_searchdocument AS d
        WHERE d.item_id = c.item_id AND d.vector @@ to_tsquery('simple', %s) LIMIT 1
    ) AS exact
    ORDER BY c.item_id DESC LIMIT %s
"""


# A subquery: a windowed part has its own ORDER BY and takes no second one after it.
NEWEST_SQL = "SELECT * FROM ({candidates}) AS w ORDER BY 1 DESC LIMIT %s"


def document_match(expression: str) -> Q:
    """PostgreSQL: a filter on ``SearchDocument``, the entries whose vector matches."""
    match = RawSQL(
        "search_searchdocument.vector @@ to_tsquery('simple', %s)",
        [expression],
        output_field=BooleanField(),
    )
    return Q(match)


# PostgreSQL, newest first: each part of the view is first read only over its newest
# ``WINDOW_PER_ID × limit`` entries (see ``newest_document_ids``).
WINDOW_PER_ID = 2
# The statement's planner settings. The full read: no sequential scan (the planner costs ``@@``
# as one cheap operator, not as the reading of a stored vector — kilobytes, compressed — and
# would rather test every vector than read the GIN index). The windowed read: no bitmaps and no
# sequential scan, so each part walks its own newest index (``fulltext.WINDOW_INDEXES``, the
# floor in its key) newest first, testing each entry's vector, and stops at its ``limit``:
# at most the window's entries are read, whatever the table's size. The GIN bitmap of a
# common word is not: its posting list is the whole table's (工作, a county editor at
# 1,000,000 entries: 14 ms for the GIN bitmap ANDed with the window's key range, against 3 ms
# walking the department's newest entries; EXPLAIN in the commit).
# For the statement only: the transaction gets the defaults back.
# The full read of a word (not a phrase) takes each part's newest ``limit`` matches: no index
# scan either, so that each part's ``ORDER BY … LIMIT`` is a top-N sort of its GIN bitmap's
# rows, never a walk of the primary key newest first testing each vector until ``limit`` match
# (which the planner, costing ``@@`` as cheap, would pick for a common word). Sorting each part
# top-N rather than the union of all its matches whole: 换届, a county editor at 1,000,000
# entries, 4.6 → 3.6 ms (the union hashed 3,897 ids, then sorted them).
PLANNER_OFF = {
    "full": "SET LOCAL enable_seqscan = off",
    "newest": "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off",
    "window": "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off",
}
PLANNER_BACK = (
    "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_bitmapscan TO DEFAULT;"
    " SET LOCAL enable_indexscan TO DEFAULT"
)


def _newest_key() -> RawSQL:
    """The newest-first key of the window indexes, as written there."""
    return RawSQL('-"search_searchdocument"."item_id"', [], output_field=BigIntegerField())


def _union(
    parts: Sequence[QuerySet[SearchDocument]],
    expression: str,
    floors: Sequence[int | None] | None = None,
    limit: int | None = None,
) -> tuple[str, list[Any]] | None:
    """The ids of the entries in any of ``parts`` matching ``expression``, as one ``UNION``;
    ``None`` when every part can match nothing (a filter on a unit that does not exist).

    With ``floors``, the windowed read: part ``i`` only from ``floors[i]`` up (when not
    ``None``), as a walk of its newest index with the floor in the key, each part's newest
    ``limit`` matches at most. Without, ``limit``: each part's newest ``limit`` matches (run
    with ``PLANNER_OFF["newest"]``)."""
    selects: list[str] = []
    params: list[Any] = []
    for i, part in enumerate(parts):
        qs = part.filter(document_match(expression))
        floor = floors[i] if floors is not None else None
        if floor is not None:
            qs = qs.filter(LessThanOrEqual(_newest_key(), -floor)).order_by(_newest_key().asc())
            if limit is not None:
                qs = qs[:limit]
        elif floors is None and limit is not None:
            qs = qs.order_by("-item_id")[:limit]
        try:
            sql, part_params = qs.values_list("item_id").query.sql_with_params()
        except EmptyResultSet:  # a filter that matches nothing (no such unit)
            continue
        selects.append(f"({sql})")
        params.extend(part_params)
    if not selects:
        return None
    # Django built each part and keeps its values in ``params``: no user text in the SQL.
    return " UNION ".join(selects), params


def _newest(
    parts: Sequence[QuerySet[SearchDocument]],
    compiled: CompiledQuery,
    limit: int,
    *,
    floors: Sequence[int | None] | None = None,
) -> list[int]:
    """The newest ``limit`` matching ids of ``parts`` (see ``_union``), in one statement."""
    if compiled.positive is None:
        raise ValueError("newest_document_ids needs a positive expression")
    # A phrase's candidates are checked exactly, newest first, until ``limit`` pass: no part's
    # candidates can be cut at ``limit``.
    union = _union(
        parts, compiled.relaxed or compiled.positive, floors, None if compiled.relaxed else limit
    )
    if union is None:
        return []
    candidates, params = union
    if compiled.relaxed:
        sql = EXACT_SQL.replace("{candidates}", candidates)
        params += [compiled.positive, limit]
    else:
        sql = NEWEST_SQL.replace("{candidates}", candidates)
        params.append(limit)
    planner = "window" if floors is not None else "full" if compiled.relaxed else "newest"
    rows = _planned(sql, params, PLANNER_OFF[planner])
    return list(dict.fromkeys(row[0] for row in rows))


def _planned(sql: str, params: list[Any], planner: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` run with the ``planner`` settings for that statement only.

    With client-side binding (Django's default for psycopg 3) the settings, the statement and
    their reset go as one query string: one round trip, where a transaction of its own would
    take five (BEGIN, SET, the statement, the reset, COMMIT). Outside a transaction the string
    is one implicit transaction, whose end ends the ``SET LOCAL``; inside one the reset does.
    With server-side binding (no several statements in one) they go one by one."""
    import psycopg

    with connection.cursor() as cursor:
        raw = cursor.cursor
        if isinstance(raw, psycopg.ClientCursor):
            cursor.execute(f"{planner}; {sql}; {PLANNER_BACK}", params)
            while raw.description is None and raw.nextset():  # past the settings' results
                pass
            return list(raw.fetchall())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(planner)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.execute(PLANNER_BACK)
    return list(rows)


# Planning answers kept in the cache (Redis in deployments, shared by the app servers): what
# the planner's statistics say of an expression (``common``) and the window floor of each part
# of a view (``window_floors``). Neither changes what a search finds, only how it is read
# (``newest_document_ids``: any floors give the same ids), so an answer made stale by new or
# moved items costs a wider window or a second read, never a wrong or unpermitted row. Keys
# are digests of the expression, or of the floors' statement with its values (the part's
# department or unit and states: one view's floors are never another's).
PLAN_CACHE_SECONDS = 60
PLAN_CACHE_PREFIX = "search:plan:1:"


def _plan_key(kind: str, *values: object) -> str:
    text = json.dumps(values, ensure_ascii=False, default=str)
    return f"{PLAN_CACHE_PREFIX}{kind}:{hashlib.sha256(text.encode()).hexdigest()}"


def window_floors(
    parts: Sequence[QuerySet[SearchDocument]], rows: int, *, view: str | None = None
) -> list[int | None]:
    """PostgreSQL: for each of ``parts``, the id of its ``rows``-th newest entry (``None`` when
    it has no more than ``rows`` entries, or can match nothing), in one statement answered from
    the indexes ``fulltext.WINDOW_INDEXES`` alone; the answer is kept ``PLAN_CACHE_SECONDS`` in
    the cache (a floor below the current one only widens the window). ``view``: a name of the
    parts that the caller knows determines them (a user's role and unit), so that a cached
    answer is found without building the statement; otherwise the statement is its key."""
    named = _plan_key("view-floors", view, rows) if view is not None else None
    if named is not None and (cached := cache.get(named)) is not None:
        return list(cached)
    newest = _newest_key()
    selects: list[str] = []
    params: list[Any] = []
    for part in parts:
        qs = part.order_by(newest.asc()).values_list("item_id")[rows - 1 : rows]
        try:
            sql, part_params = qs.query.sql_with_params()
        except EmptyResultSet:
            sql, part_params = "SELECT NULL", ()
        selects.append(f"({sql})")
        params.extend(part_params)
    if not selects:
        return []
    sql = "SELECT " + ", ".join(selects)
    key = _plan_key("floors", sql, params)
    floors: list[int | None] | None = cache.get(key)
    if floors is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            floors = list(cursor.fetchone())
        cache.set(key, floors, PLAN_CACHE_SECONDS)
    if named is not None:
        cache.set(named, floors, PLAN_CACHE_SECONDS)
    return floors


def newest_document_ids(
    parts: Sequence[QuerySet[SearchDocument]],
    compiled: CompiledQuery,
    limit: int,
    *,
    windows: Sequence[QuerySet[SearchDocument]] | None = None,
    is_common: Callable[[str | None], bool] | None = None,
    view: str | None = None,
) -> list[int]:
    """PostgreSQL: the ids of the items whose entries are in any of ``parts`` (each already
    narrowed by visibility and filters on the copied fields) and match ``compiled.positive``,
    newest first, at most ``limit``.

    Each part asks the GIN index ``search_doc_scope_gin`` for its unit or department and the
    match together, so only visible matches are read. Phrases are asked for relaxed (all their
    tokens, which the index answers without rechecking a vector); the exact expression is then
    checked newest first, only until ``limit`` ids are found.

    Windowed first (``windows``: part ``i`` of the view before the filters, ``windows[i]``
    contains ``parts[i]``): a common word matches thousands of a department's entries, and
    reading them all to sort them costs one page visit each. So each part is first read only
    from its ``WINDOW_PER_ID × limit``-th newest entry up (``window_floors``, from an index
    alone; a part with fewer entries is read whole), by walking the part's newest index from
    its newest entry down to the floor, testing each entry, until ``limit`` match: a common
    word's matches are found among the first entries, and the GIN index, whose posting list of
    a common word is the whole table's, is not read at all. The matches from the
    highest such floor up are then exactly those of the full read; when ``limit`` of them are
    found (a word in at least about half of the entries) they are the answer, otherwise the full
    read follows. The window is tried only for a word the planner's statistics call common
    (``common``, or ``is_common`` that remembers its answer), and not for a phrase (checked
    exactly entry by entry, by key). ``view`` names the windows (``window_floors``)."""
    if windows is None or compiled.relaxed or not (is_common or common)(compiled.positive):
        return _newest(parts, compiled, limit)
    floors = window_floors(windows, WINDOW_PER_ID * limit, view=view)
    floor = max((f for f in floors if f is not None), default=None)
    if floor is None:  # every part is read whole anyway
        return _newest(parts, compiled, limit)
    found = _newest(parts, compiled, limit, floors=floors)
    if len(found) >= limit and found[limit - 1] >= floor:
        return found[:limit]
    return _newest(parts, compiled, limit)


# The windowed read is tried for an expression the planner expects in at least this share of
# the entries: below it, the window would hold too few matches and the full read follow anyway
# (a rarer word is cheap to read in full).
COMMON_SHARE = 0.25
ESTIMATE_SQL = """EXPLAIN (FORMAT JSON)
    SELECT 1 FROM search_searchdocument WHERE vector @@ to_tsquery('simple', %s)
    UNION ALL SELECT 1 FROM search_searchdocument"""


def common(expression: str | None) -> bool:
    """PostgreSQL: whether the planner's statistics (the most common lexemes of the vectors,
    kept by ``ANALYZE``) put ``expression`` in at least ``COMMON_SHARE`` of the entries. One
    planning, no rows read; the answer is kept ``PLAN_CACHE_SECONDS`` in the cache (it is the
    same for every user: the statistics are the whole table's)."""
    if expression is None:
        return False
    key = _plan_key("common", expression)
    answer: bool | None = cache.get(key)
    if answer is None:
        with connection.cursor() as cursor:
            cursor.execute(ESTIMATE_SQL, [expression])
            found = cursor.fetchone()[0]
        plan = json.loads(found) if isinstance(found, str) else found
        matching, total = (child["Plan Rows"] for child in plan[0]["Plan"]["Plans"])
        answer = bool(total) and matching >= COMMON_SHARE * total
        cache.set(key, answer, PLAN_CACHE_SECONDS)
    return answer


SHARES_SQL = """SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
    WHERE schemaname = current_schema() AND tablename = 'search_searchdocument'
    AND attname = 'vector'"""


def lexeme_shares() -> Shares:
    """PostgreSQL: the share of the entries holding each of the vectors' most common lexemes,
    as ``ANALYZE`` last counted them (empty before it ever ran); kept ``PLAN_CACHE_SECONDS`` in
    the cache, like the other planning answers: a hint (``RELAXED_TOKENS``), which changes what
    a search reads, never what it finds."""
    key = _plan_key("shares")
    shares: Shares | None = cache.get(key)
    if shares is None:
        with connection.cursor() as cursor:
            cursor.execute(SHARES_SQL)
            row = cursor.fetchone()
        shares = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
        cache.set(key, shares, PLAN_CACHE_SECONDS)
    return shares


def _fewer_matches_than(expression: str, limit: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH %s LIMIT %s)",
            [expression, limit],
        )
        return int(cursor.fetchone()[0]) < limit


# The ids as one parameter (an array; on SQLite a JSON list), not one literal each: the
# relevance window sends a thousand.
TOKENS_SQL = {
    "postgresql": "SELECT item_id, tokens FROM search_searchdocument WHERE item_id = ANY(%s)",
    "sqlite": "SELECT item_id, tokens FROM search_searchdocument"
    " WHERE item_id IN (SELECT value FROM json_each(%s))",
}


def token_strings(ids: Sequence[int]) -> dict[int, str]:
    """The stored token string of each of ``ids`` that is indexed. A plain cursor (these are
    the ranked window's strings, kilobytes each: Django's rows cost as much again)."""
    ids = [int(pk) for pk in ids]
    if not ids:
        return {}
    _syntax()
    with connection.cursor() as cursor:
        keys = json.dumps(ids) if connection.vendor == "sqlite" else ids
        cursor.execute(TOKENS_SQL[connection.vendor], [keys])
        return dict(cursor.fetchall())


def search_ids(query: str | ParsedQuery, *, limit: int | None = None) -> list[int]:
    """Ids of all items matching the text of ``query``, newest first, with no permission
    filter: for tools and benchmarks. Pages and the API use ``search.queries.search_items``."""
    parsed = parse_query(query) if isinstance(query, str) else query
    compiled = compile_query(parsed)
    qs = Item.objects.all()
    if compiled.positive:
        qs = qs.filter(pk__in=matching(compiled.positive))
    elif compiled.excluded:
        qs = qs.exclude(pk__in=matching(compiled.excluded))
    else:
        return []
    ids = qs.order_by("-pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit is not None else ids)
