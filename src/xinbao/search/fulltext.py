"""The backend full-text structures over ``search_searchdocument`` (installed by migration
``search/0002``).

SQLite: an FTS5 *external-content* table ``search_fts`` whose rowid is the item id and whose one
column is the token string; triggers on ``search_searchdocument`` add, replace and delete its
entries in the same transaction as the row. The ``ascii`` tokenizer splits only on ASCII spaces and
punctuation, so the precomputed Chinese tokens (换届, 组织部) are indexed exactly as written.
``detail=full`` keeps positions, which phrase queries need.

PostgreSQL: a stored generated column ``vector = to_tsvector('simple', tokens)`` and a GIN index
on it. The ``simple`` configuration only lower-cases; its parser splits on the spaces between our
tokens (a token has no punctuation to split on).

Note for later migrations: on SQLite, Django alters a table by rebuilding it, which drops its
triggers; any schema change to ``SearchDocument`` must run ``install`` again afterwards.
"""

from __future__ import annotations

from typing import Any

TABLE = "search_searchdocument"
FTS = "search_fts"

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
        """ALTER TABLE search_searchdocument ADD COLUMN IF NOT EXISTS vector tsvector
            GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, tokens)) STORED;""",
        """CREATE INDEX IF NOT EXISTS search_doc_vector_gin
            ON search_searchdocument USING gin (vector);""",
    ],
}
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS search_doc_au;",
        "DROP TRIGGER IF EXISTS search_doc_ad;",
        "DROP TRIGGER IF EXISTS search_doc_ai;",
        "DROP TABLE IF EXISTS search_fts;",
    ],
    "postgresql": [
        "DROP INDEX IF EXISTS search_doc_vector_gin;",
        "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS vector;",
    ],
}


# A first build (``search.index.reindex`` into an empty table) loads the rows without the
# per-row maintenance and builds the backend index once at the end: on SQLite without the
# insert trigger, then FTS5 ``rebuild`` (a third of the CPU of the trigger's row-by-row
# inserts); on PostgreSQL without the GIN index, then one sorted index build.
BULK_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS search_doc_ai;"],
    "postgresql": ["DROP INDEX IF EXISTS search_doc_vector_gin;"],
}
BULK_RESTORE = {
    "sqlite": [CREATE["sqlite"][1]],
    "postgresql": [CREATE["postgresql"][1]],
}
# After a bulk load on SQLite the FTS table must be rebuilt from the rows (``rebuild`` also
# repairs entries the missing trigger did not add while a load was interrupted).
BULK_FINISH = {"sqlite": ["INSERT INTO search_fts(search_fts) VALUES ('rebuild');"]}


def install(schema_editor: Any) -> None:
    for sql in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def remove(schema_editor: Any) -> None:
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)
