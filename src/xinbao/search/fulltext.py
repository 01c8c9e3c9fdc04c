"""The backend full-text structures over ``search_searchdocument`` (installed by migration
``search/0002``).

SQLite: an FTS5 *external-content* table ``search_fts`` whose rowid is the item id and whose one
column is the token string; triggers on ``search_searchdocument`` add, replace and delete its
entries in the same transaction as the row. The ``ascii`` tokenizer splits only on ASCII spaces and
punctuation, so the precomputed Chinese tokens (换届, 组织部) are indexed exactly as written.
``detail=full`` keeps positions, which phrase queries need.

PostgreSQL: a ``vector tsvector`` column kept equal to ``to_tsvector('simple', tokens)`` by a
``BEFORE INSERT OR UPDATE OF tokens`` trigger, and a GIN index on it (a rebuild's session gives the
vector its workers computed instead, which the trigger then keeps: ``GIVEN_VECTORS``). Since
``search/0009`` that index is ``search_doc_scope_gin`` (below) alone: a multicolumn GIN index
answers a condition on any of its columns, so it serves a match on the vector with no unit or
department as well, and the vector's own index (``search_doc_vector_gin``) is gone. The
``simple`` configuration only lower-cases; its parser splits on the spaces between our tokens (a
token has no punctuation to split on). Not a generated column: adding one rewrites the whole table
(74 s for a million documents), while a plain nullable column and a trigger are catalog changes; the
documents that existed before are given their vector by ``backfill`` (``xinbao backfill``), in
batches while the system runs. Until then those rows (``vector`` NULL) match no query. The index is
built ``CONCURRENTLY`` (migrations ``search/0002`` and ``search/0004`` are not atomic), so writers
are never blocked. ``search/0004`` turns the generated column of installations that ran the earlier
``search/0002`` into this one (``DROP EXPRESSION`` keeps the stored values, no rewrite), so every
installation ends in the same schema.

Migration ``search/0005`` copies the item fields that visibility reads onto
``search_searchdocument`` (``unit_id``, ``department_id``, ``state``) and, on PostgreSQL, indexes
them with the vector in one GIN index (``btree_gin`` for the integer columns): a search for
``unit_id = U`` or ``department_id = D`` and ``vector @@ query`` intersects the posting lists inside
the index and reads only the visible matches.

Migration ``search/0008`` gives SQLite's FTS5 table a second column, ``scope``: the entry's
*scope tokens*, ``d<department id> u<unit id>`` (``SCOPED_CREATE``), written by the triggers from
the copied fields. The table is then contentless (the triggers give it both columns; nothing reads
columns back from it) and is filled with ``FILL`` instead of ``rebuild``. A search asks for its
words in the ``tokens`` column only (``search.index.compile_query``) and may add a scope token
(``search.index.scoped``): FTS5 then intersects the word's entries with the department's or unit's
inside the index, so a department's newest matches cost about as much as the matches read, not
as all the matches of every department walked past (ten times as many at ten counties).

Note for later migrations: on SQLite, Django alters a table by rebuilding it, which drops its
triggers; any schema change to ``SearchDocument`` must run ``install_scoped`` again afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

TABLE = "search_searchdocument"
FTS = "search_fts"

# A session that sets this (``search.index.bulk_session``: a rebuild, whose workers compute
# each document's vector as ``to_tsvector`` would, ``tokens.tsvector``) stores a vector it
# gives with the tokens as it is; the trigger computes every other one. Such a session must
# give the vector with every write of ``tokens`` (NULL: the server computes it).
GIVEN_VECTORS = "xinbao.given_vectors"
VECTOR_FUNCTION = """CREATE OR REPLACE FUNCTION search_doc_vector() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.vector IS NULL
                        OR current_setting('xinbao.given_vectors', true) IS DISTINCT FROM 'on' THEN
                    NEW.vector := to_tsvector('simple'::regconfig, NEW.tokens);
                END IF;
                RETURN NEW;
            END $$;"""

# The SQL is written out with the table names (no string building): it is all constant.
CREATE = {
    "sqlite": [
        """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
            tokens,
            content='search_searchdocument',
            content_rowid='item_id',
            tokenize='ascii',
            detail=full
        );""",
        """CREATE TRIGGER IF NOT EXISTS search_doc_ai
            AFTER INSERT ON search_searchdocument BEGIN
                INSERT INTO search_fts(rowid, tokens) VALUES (new.item_id, new.tokens);
            END;""",
        """CREATE TRIGGER IF NOT EXISTS search_doc_ad
            AFTER DELETE ON search_searchdocument BEGIN
                INSERT INTO search_fts(search_fts, rowid, tokens)
                    VALUES ('delete', old.item_id, old.tokens);
            END;""",
        """CREATE TRIGGER IF NOT EXISTS search_doc_au
            AFTER UPDATE OF tokens ON search_searchdocument BEGIN
                INSERT INTO search_fts(search_fts, rowid, tokens)
                    VALUES ('delete', old.item_id, old.tokens);
                INSERT INTO search_fts(rowid, tokens) VALUES (new.item_id, new.tokens);
            END;""",
        # Entries for rows that existed before the table (none on a fresh install).
        "INSERT INTO search_fts(search_fts) VALUES ('rebuild');",
    ],
    "postgresql": [
        "ALTER TABLE search_searchdocument ADD COLUMN IF NOT EXISTS vector tsvector;",
        VECTOR_FUNCTION,
        """CREATE OR REPLACE TRIGGER search_doc_vector
            BEFORE INSERT OR UPDATE OF tokens ON search_searchdocument
            FOR EACH ROW EXECUTE FUNCTION search_doc_vector();""",
    ],
}
# Outside any transaction (CONCURRENTLY); an invalid index left by an interrupted build is
# dropped first, since IF NOT EXISTS would keep it.
INDEX = "search_doc_vector_gin"
CREATE_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS search_doc_vector_gin"
    " ON search_searchdocument USING gin (vector);"
)
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS search_doc_au;",
        "DROP TRIGGER IF EXISTS search_doc_ad;",
        "DROP TRIGGER IF EXISTS search_doc_ai;",
        "DROP TABLE IF EXISTS search_fts;",
    ],
    "postgresql": [
        "DROP INDEX IF EXISTS search_doc_vector_gin;",
        "DROP TRIGGER IF EXISTS search_doc_vector ON search_searchdocument;",
        "DROP FUNCTION IF EXISTS search_doc_vector();",
        "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS vector;",
    ],
}


# SQLite, from ``search/0008``: the FTS5 table with the scope column (contentless: the triggers
# give it both columns, the deletes included). The update trigger re-indexes an entry only when
# its tokens or its unit or department changed (a workflow move rewrites the copied state, which
# the scope tokens do not hold). An entry's scope tokens are ``d<department id> u<unit id>``
# (none while they are NULL: such an entry matches no search until ``scope_backfill``, as
# before). Before ``search/0008``: ``CREATE["sqlite"]``.
SCOPED_CREATE = {
    "sqlite": [
        """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
            tokens,
            scope,
            content='',
            tokenize='ascii',
            detail=full
        );""",
        """CREATE TRIGGER IF NOT EXISTS search_doc_ai
            AFTER INSERT ON search_searchdocument BEGIN
                INSERT INTO search_fts(rowid, tokens, scope) VALUES (
                    new.item_id, new.tokens, 'd' || new.department_id || ' u' || new.unit_id
                );
            END;""",
        """CREATE TRIGGER IF NOT EXISTS search_doc_ad
            AFTER DELETE ON search_searchdocument BEGIN
                INSERT INTO search_fts(search_fts, rowid, tokens, scope) VALUES (
                    'delete', old.item_id, old.tokens,
                    'd' || old.department_id || ' u' || old.unit_id
                );
            END;""",
        """CREATE TRIGGER IF NOT EXISTS search_doc_au
            AFTER UPDATE OF tokens, unit_id, department_id ON search_searchdocument
            WHEN old.tokens IS NOT new.tokens OR old.unit_id IS NOT new.unit_id
                OR old.department_id IS NOT new.department_id BEGIN
                INSERT INTO search_fts(search_fts, rowid, tokens, scope) VALUES (
                    'delete', old.item_id, old.tokens,
                    'd' || old.department_id || ' u' || old.unit_id
                );
                INSERT INTO search_fts(rowid, tokens, scope) VALUES (
                    new.item_id, new.tokens, 'd' || new.department_id || ' u' || new.unit_id
                );
            END;""",
    ],
}
# The contentless table's ``rebuild``: emptied, then every entry added again, then merged into
# one segment (a fill leaves many, each of which every query reads; ``reindex`` merges too).
FILL = {
    "sqlite": [
        "INSERT INTO search_fts(search_fts) VALUES ('delete-all');",
        """INSERT INTO search_fts(rowid, tokens, scope)
            SELECT item_id, tokens, 'd' || department_id || ' u' || unit_id
            FROM search_searchdocument;""",
        "INSERT INTO search_fts(search_fts) VALUES ('optimize');",
    ]
}


def install_scoped(schema_editor: Any) -> None:
    """SQLite: the FTS5 table with the scope column and its triggers, in place of those of
    ``install``, filled from the entries. Nothing elsewhere."""
    vendor = schema_editor.connection.vendor
    if vendor != "sqlite":
        return
    for sql in [*DROP["sqlite"], *SCOPED_CREATE["sqlite"], *FILL["sqlite"]]:
        schema_editor.execute(sql)


def remove_scoped(schema_editor: Any) -> None:
    """SQLite: back to the table of ``install`` (rebuilt from the entries)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in [*DROP["sqlite"], *CREATE["sqlite"]]:
        schema_editor.execute(sql)


# A first build (``search.index.reindex`` into an empty table) loads the rows without the
# per-row maintenance and builds the backend indexes once at the end: on SQLite without the
# insert trigger, then ``FILL`` (a third of the CPU of the trigger's row-by-row inserts); on
# PostgreSQL without the GIN index, then one sorted build of it (inside the rebuild's
# transaction, not CONCURRENTLY: the table was empty when it began).
BULK_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS search_doc_ai;"],
    "postgresql": ["DROP INDEX IF EXISTS search_doc_scope_gin;"],
}
BULK_RESTORE = {
    "sqlite": [SCOPED_CREATE["sqlite"][1]],
    "postgresql": [
        "CREATE INDEX IF NOT EXISTS search_doc_scope_gin ON search_searchdocument"
        " USING gin (unit_id, department_id, vector);",
    ],
}
# After a bulk load on SQLite the FTS table must be filled again from the rows (which also
# repairs entries the missing trigger did not add while a load was interrupted).
BULK_FINISH = FILL


SCOPE_CREATE = {
    # SQLite checks each streamed match against these columns with this covering index alone
    # (the entry's row holds the token string, which the copied fields follow).
    "sqlite": [
        """CREATE INDEX IF NOT EXISTS search_doc_scope_idx
            ON search_searchdocument (item_id, department_id, state, unit_id);""",
    ],
    # Built CONCURRENTLY (the migration is not atomic): writers are never blocked.
    "postgresql": [
        "CREATE EXTENSION IF NOT EXISTS btree_gin;",
        """CREATE INDEX CONCURRENTLY IF NOT EXISTS search_doc_scope_gin
            ON search_searchdocument USING gin (unit_id, department_id, vector);""",
    ],
}
SCOPE_DROP = {
    "sqlite": ["DROP INDEX IF EXISTS search_doc_scope_idx;"],
    "postgresql": ["DROP INDEX IF EXISTS search_doc_scope_gin;"],
}
# The copy of the item fields onto entries written before the columns existed (later entries
# are written with them), one batch of keys at a time.
SCOPE_FILL = {
    "sqlite": """UPDATE search_searchdocument SET (unit_id, department_id, state) =
        (SELECT unit_id, department_id, state FROM items_item WHERE id = item_id)
        WHERE item_id IN (SELECT value FROM json_each(%s)) AND unit_id IS NULL;""",
    "postgresql": """UPDATE search_searchdocument AS d
        SET unit_id = i.unit_id, department_id = i.department_id, state = i.state
        FROM items_item AS i
        WHERE i.id = d.item_id AND d.item_id = ANY(%s) AND d.unit_id IS NULL;""",
}


def drop_if_invalid(schema_editor: Any, index: str) -> None:
    """Drop PostgreSQL index ``index`` if an interrupted ``CREATE INDEX CONCURRENTLY`` left it
    invalid (``IF NOT EXISTS`` would keep it), so that it is built again."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)",
            [index],
        )
        row = cursor.fetchone()
    if row is not None and row[0]:
        schema_editor.execute(
            f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(index)};"
        )


def install_scope(schema_editor: Any) -> None:
    """Create the scope index (each statement idempotent; on PostgreSQL outside a
    transaction: the index is built ``CONCURRENTLY``). A failed concurrent build leaves an
    invalid index behind: it is dropped and built again."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        drop_if_invalid(schema_editor, "search_doc_scope_gin")
    for sql in SCOPE_CREATE.get(connection.vendor, []):
        schema_editor.execute(sql)


def scope_pending() -> int:
    """Entries written before their item's unit, department and state were copied onto them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_searchdocument WHERE unit_id IS NULL")
        return int(cursor.fetchone()[0])


def scope_backfill(
    *, batch_size: int = 5000, progress: Callable[[int], object] | None = None
) -> int:
    """Copy the item fields onto every entry still without them (resumable; a second run
    writes nothing). Until then such an entry matches no search. Returns the rows written."""
    if not scope_pending():
        return 0
    vendor = connection.vendor

    def keys(ids: list[int]) -> str | list[int]:
        return json.dumps(ids) if vendor == "sqlite" else ids  # json_each / ANY

    return _in_key_batches(SCOPE_FILL[vendor], keys, batch_size, progress)


def _in_key_batches(
    statement: str,
    keys: Callable[[list[int]], str | list[int]],
    batch_size: int,
    progress: Callable[[int], object] | None,
) -> int:
    """Run ``statement`` (which writes only rows still missing their value) over the entries
    ``batch_size`` keys at a time in ``item_id`` order, one transaction each; its one parameter
    is ``keys(ids)``. Returns the rows written."""
    last_id, written = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(  # the key index alone: see xinbao.items.backfill._next_ids
                "SELECT item_id FROM search_searchdocument WHERE item_id > %s"
                " ORDER BY item_id LIMIT %s",
                [last_id, batch_size],
            )
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return written
            cursor.execute(statement, [keys(ids)])
            done = cursor.rowcount
        written += done
        last_id = ids[-1]
        if progress is not None:
            progress(done)


# PostgreSQL, newest first (``search.index.newest_document_ids``): the id of a part's N-th newest
# visible entry, read from one of these alone (an index-only scan: the department or unit, the
# entries newest first, state included). The key is ``-item_id`` rather than ``item_id`` so that
# the windowed read that follows (``item_id >= bound``) cannot use it: the planner would walk it
# and test every vector (reading each, kilobytes), where the bitmap of ``search_doc_scope_gin``
# ANDed with the primary key's range reads only the visible matches in the window.
# ``toast_tuple_target``: the token string and the vector go out of line even when they would
# fit compressed, so that the rows a search visits are narrow (an entry row is then about 100
# bytes, not 800: a department's matches are on 2.4 times fewer pages). It applies to rows
# written from then on (a catalog change, no rewrite).
WINDOW_INDEXES = ("search_doc_dept_newest", "search_doc_unit_newest")
WINDOW_CREATE = {
    "postgresql": [
        """CREATE INDEX CONCURRENTLY IF NOT EXISTS search_doc_dept_newest
            ON search_searchdocument (department_id, (-item_id)) INCLUDE (item_id, state);""",
        """CREATE INDEX CONCURRENTLY IF NOT EXISTS search_doc_unit_newest
            ON search_searchdocument (unit_id, (-item_id)) INCLUDE (item_id, state);""",
        "ALTER TABLE search_searchdocument SET (toast_tuple_target = 128);",
    ],
}
WINDOW_DROP = {
    "postgresql": [
        "ALTER TABLE search_searchdocument RESET (toast_tuple_target);",
        "DROP INDEX CONCURRENTLY IF EXISTS search_doc_unit_newest;",
        "DROP INDEX CONCURRENTLY IF EXISTS search_doc_dept_newest;",
    ],
}


def install_window(schema_editor: Any) -> None:
    """Create the newest-first indexes (PostgreSQL, outside a transaction: ``CONCURRENTLY``;
    an invalid index an interrupted build left is dropped and built again). Nothing on SQLite."""
    if schema_editor.connection.vendor == "postgresql":
        for name in WINDOW_INDEXES:
            drop_if_invalid(schema_editor, name)
    for sql in WINDOW_CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def remove_window(schema_editor: Any) -> None:
    for sql in WINDOW_DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def remove_scope(schema_editor: Any) -> None:
    for sql in SCOPE_DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def install(schema_editor: Any) -> None:
    """Create the structures (each statement idempotent). On PostgreSQL call it outside a
    transaction (a non-atomic migration): the index is built ``CONCURRENTLY`` (``search/0009``
    drops it again)."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attgenerated FROM pg_attribute WHERE attrelid = %s::regclass"
                " AND attname = 'vector' AND NOT attisdropped",
                [TABLE],
            )
            row = cursor.fetchone()
        if row is not None and row[0] == "s":  # the generated column of the earlier search/0002
            schema_editor.execute(
                "ALTER TABLE search_searchdocument ALTER COLUMN vector DROP EXPRESSION;"
            )
    for sql in CREATE.get(connection.vendor, []):
        schema_editor.execute(sql)
    if connection.vendor == "postgresql":
        drop_if_invalid(schema_editor, INDEX)
        schema_editor.execute(CREATE_INDEX)


def remove(schema_editor: Any) -> None:
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_vector_index(schema_editor: Any) -> None:
    """PostgreSQL: drop ``search_doc_vector_gin`` (``search/0009``), ``CONCURRENTLY``: outside a
    transaction, never blocking writers. Nothing on SQLite."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX};")


def restore_vector_index(schema_editor: Any) -> None:
    """PostgreSQL: ``search_doc_vector_gin`` built again (``CONCURRENTLY``; an invalid one an
    interrupted build left is dropped first), reversing ``search/0009``."""
    if schema_editor.connection.vendor == "postgresql":
        drop_if_invalid(schema_editor, INDEX)
        schema_editor.execute(CREATE_INDEX)


def vector_pending() -> int:
    """PostgreSQL documents without their vector yet (0 elsewhere)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_searchdocument WHERE vector IS NULL")
        return int(cursor.fetchone()[0])


def backfill(*, batch_size: int = 5000, progress: Callable[[int], object] | None = None) -> int:
    """Give every PostgreSQL document without a vector its vector, one transaction per
    ``batch_size`` keys in ``item_id`` order (resumable: only NULL rows are written, so a second
    run writes nothing). Returns the rows written. Nothing to do on SQLite (FTS5 was rebuilt by
    ``search/0002``)."""
    if connection.vendor != "postgresql" or not vector_pending():
        return 0
    return _in_key_batches(
        "UPDATE search_searchdocument SET vector = to_tsvector('simple'::regconfig, tokens)"
        " WHERE item_id = ANY(%s) AND vector IS NULL",
        lambda ids: ids,
        batch_size,
        progress,
    )
