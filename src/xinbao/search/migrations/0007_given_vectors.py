"""PostgreSQL: the trigger keeping ``search_searchdocument.vector`` stores a vector given with
the tokens by a rebuild's session (``xinbao.search.fulltext.GIVEN_VECTORS``) instead of parsing
the tokens again. Replaces the trigger's function only (a catalog change). Nothing on SQLite."""

from django.db import migrations

from xinbao.search import fulltext

PREVIOUS = """CREATE OR REPLACE FUNCTION search_doc_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.vector := to_tsvector('simple'::regconfig, NEW.tokens);
        RETURN NEW;
    END $$;"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(fulltext.VECTOR_FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("search", "0006_document_window")]
    operations = [migrations.RunPython(forwards, backwards)]
