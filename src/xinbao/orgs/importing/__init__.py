"""Importing the org tree (units, and optionally one officer per unit) from a spreadsheet.

``unit_import`` is the one entry point; the management command ``import_units`` and the Unit
admin's import page both call it. The contract:

1. The file is read by content, not by name: a zip is taken for .xlsx (first worksheet, read-only
   mode), anything else for CSV in UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode text")
   or GB18030 (what Excel in China saves by default). Row 1 is the header, with Chinese or English
   column names (``COLUMNS``); blank rows are skipped but still counted, so row numbers in
   messages are the ones the user sees in the spreadsheet.
2. Every row is checked, then the file as a whole against the database: required cells, choices,
   lengths, duplicate codes, parents that exist neither in the file nor in the database, cycles
   (through both), organization departments without a level, accounts that belong to someone who
   is not an officer. Every problem becomes one Chinese message naming the row and the column;
   if there is any, ``UnitImportError`` carries all of them and nothing has been written.
3. Otherwise the plan is computed: each row's unit (matched by code) is created, updated or
   unchanged. A blank cell in an optional column keeps the existing value (a new unit gets the
   default); a blank parent code makes a top-level unit. Order within the file does not matter.
4. Unless it is a dry run, the plan is written in one transaction: the whole tree is derived in
   memory top-down with ``orgs.services.derive_tree_fields`` (so units outside the file whose
   path or department changes because an ancestor moved or became an organization department
   are kept right too), new units are bulk-created depth by depth, changed ones bulk-updated,
   officers created or updated, and one ``unit.import`` audit record summarizes the change.

New officer accounts get an unusable password and ``must_change_password``: an administrator
sets the first password. An import never creates a guessable default password.

Layout: ``reading`` (step 1, and the column names and cell words), ``planning`` (steps 2 and 3),
``writing`` (step 4), ``results`` (``ImportResult``, its plans, and ``UnitImportError``).
"""

from __future__ import annotations

from django.db import transaction

from xinbao.orgs.importing.planning import MAX_ROWS, Importer
from xinbao.orgs.importing.reading import MAX_BYTES, read_table
from xinbao.orgs.importing.results import (
    CREATE,
    MAX_MESSAGES_SHOWN,
    UNCHANGED,
    UPDATE,
    FieldChange,
    ImportResult,
    OfficerPlan,
    UnitImportError,
    UnitPlan,
)
from xinbao.orgs.importing.writing import apply
from xinbao.orgs.models import User

__all__ = [
    "CREATE",
    "MAX_BYTES",
    "MAX_MESSAGES_SHOWN",
    "MAX_ROWS",
    "UNCHANGED",
    "UPDATE",
    "FieldChange",
    "ImportResult",
    "OfficerPlan",
    "UnitImportError",
    "UnitPlan",
    "unit_import",
]


def unit_import(
    *, data: bytes, actor: User | None, filename: str = "", dry_run: bool = False
) -> ImportResult:
    """Check the whole file, then (unless ``dry_run``) write it in one transaction.

    Raises ``UnitImportError`` with every row's message when anything is wrong.
    """
    rows = read_table(data)
    if dry_run:
        return Importer(rows, lock=False).plan(dry_run=True)
    with transaction.atomic():
        importer = Importer(rows, lock=True)
        result = importer.plan(dry_run=False)
        apply(importer, actor=actor, filename=filename, result=result)
    return result
