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

Migration ``search/0004`` copies the item fields that visibility reads onto
``search_searchdocument`` (``unit_id``, ``department_id``, ``state``) and, on PostgreSQL, indexes
them with the vector in one GIN index (``btree_gin`` for the integer columns): a search for
``unit_id = U`` or ``department_id = D`` and ``vector @@ query`` intersects the posting lists inside
the index and reads only the visible matches.

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


SCOPE_CREATE = {
    # SQLite checks each streamed match against these columns with this covering index alone
    # (the entry's row holds the token string, which the copied fields follow).
    "sqlite": [
        """CREATE INDEX IF NOT EXISTS search_doc_scope_idx
            ON search_searchdocument (item_id, department_id, state, unit_id);""",
    ],
    "postgresql": [
        "CREATE EXTENSION IF NOT EXISTS btree_gin;",
        """CREATE INDEX IF NOT EXISTS search_doc_scope_gin
            ON search_searchdocument USING gin (unit_id, department_id, vector);""",
    ],
}
SCOPE_DROP = {
    "sqlite": ["DROP INDEX IF EXISTS search_doc_scope_idx;"],
    "postgresql": ["DROP INDEX IF EXISTS search_doc_scope_gin;"],
}
# The copy of the item fields onto every existing entry (later entries are written with them).
SCOPE_FILL = {
    "sqlite": """UPDATE search_searchdocument SET (unit_id, department_id, state) =
        (SELECT unit_id, department_id, state FROM items_item WHERE id = item_id);""",
    "postgresql": """UPDATE search_searchdocument AS d
        SET unit_id = i.unit_id, department_id = i.department_id, state = i.state
        FROM items_item AS i WHERE i.id = d.item_id;""",
}


def install_scope(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor in SCOPE_FILL:
        schema_editor.execute(SCOPE_FILL[vendor])
    for sql in SCOPE_CREATE.get(vendor, []):
        schema_editor.execute(sql)


def remove_scope(schema_editor: Any) -> None:
    for sql in SCOPE_DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def install(schema_editor: Any) -> None:
    for sql in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def remove(schema_editor: Any) -> None:
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)
