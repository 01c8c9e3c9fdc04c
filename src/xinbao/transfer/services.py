"""Historical import: a folder of .docx files and a spreadsheet of their metadata.

The spreadsheet (.xlsx or .csv, read like the unit import) has one row per file, and one more row
with the same file name for each further adoption:

    文件名 | 单位代码 | 报送日期 | 类别 | 采用级别 | 采用刊物 | 采用期次 | 采用日期

Every row is checked first (file present, readable and safe; unit in the department with an
officer, and a sign-off leader where the unit requires one; dates; category; level); any bad row
stops the import before anything is written, with a message naming row and column. Each document
is then brought in through the item services — created by the unit's officer, submitted, signed
off where required, adopted or declined by the importing editor — in its own transaction, with
its timestamps set back to the recorded dates and its adoptions recorded. A document already
imported for the department (same content digest) is skipped, so an interrupted run resumes.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items.docx_extract import Extracted, extract_docx
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Category, Item, ItemEvent, Revision
from xinbao.items.services import ItemData, item_create, transition
from xinbao.orgs.importing.reading import fold, read_table
from xinbao.orgs.importing.results import UnitImportError
from xinbao.orgs.models import Role, Unit, User
from xinbao.publishing.models import ExternalAdoption, Level
from xinbao.topics.timeliness import timeliness_rebuild
from xinbao.transfer.models import HistoricalImport, ImportedDocument

COLUMNS = {
    "file": ("文件名",),
    "unit_code": ("单位代码",),
    "submitted_on": ("报送日期",),
    "category": ("类别",),
    "level": ("采用级别",),
    "outlet": ("采用刊物",),
    "issue": ("采用期次",),
    "adopted_on": ("采用日期",),
}
REQUIRED = ("file", "unit_code", "submitted_on")
LEVEL_WORDS = {str(label): value for value, label in Level.choices} | {v: v for v in Level.values}
DEFAULT_CATEGORY = "动态"
DECLINE_COMMENT = "历史资料导入:当时未采用。"


class HistoricalImportError(UnitImportError):
    """The folder cannot be imported; ``messages`` names every bad row. Nothing was written."""


@dataclass
class PlannedAdoption:
    level: str
    outlet: str
    issue_label: str
    adopted_on: datetime.date


@dataclass
class PlannedDocument:
    row: int
    file_name: str
    digest: str
    unit: Unit
    officer: User
    signer: User | None
    submitted_on: datetime.date
    category: Category
    text: Extracted
    adoptions: list[PlannedAdoption] = field(default_factory=list)


def parse_date(text: str) -> datetime.date | None:
    cleaned = fold(text).replace("/", "-").replace(".", "-").split(" ")[0]
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def historical_import_plan(
    *, folder: Path, metadata: bytes, department: Unit
) -> list[PlannedDocument]:
    """Every document of the folder as it would be imported, or ``HistoricalImportError``."""
    return _Planner(folder, department).plan(read_table(metadata))


class _Planner:
    """Checks the metadata rows against the folder and the department's units and people."""

    def __init__(self, folder: Path, department: Unit) -> None:
        self.folder = folder.resolve()
        self.units = {u.code: u for u in Unit.objects.filter(department=department, is_active=True)}
        self.categories = {c.name: c for c in Category.objects.filter(is_active=True)}
        self.officer_of: dict[int, User] = {}
        self.signer_of: dict[int, User] = {}
        people = User.objects.filter(
            unit__in=self.units.values(),
            is_active=True,
            role__in=[Role.OFFICER, Role.UNIT_LEADER],
        ).order_by("officer_rank", "id")
        for person in people:
            target = self.officer_of if person.role == Role.OFFICER else self.signer_of
            target.setdefault(person.unit_id or 0, person)
        self.messages: list[str] = []
        self.index: dict[str, int] = {}
        self.row = 0
        self.cells: list[str] = []

    def bad(self, column: str, text: str) -> None:
        self.messages.append(
            _("第 %(row)d 行“%(col)s”:%(text)s") % {"row": self.row, "col": column, "text": text}
        )

    def cell(self, name: str) -> str:
        position = self.index.get(name)
        return (
            self.cells[position].strip()
            if position is not None and position < len(self.cells)
            else ""
        )

    def plan(self, rows: list[tuple[int, list[str]]]) -> list[PlannedDocument]:
        if not rows:
            raise HistoricalImportError([_("元数据表是空的。")])
        header_row, header = rows[0]
        self.index = {
            name: header.index(alias)
            for name, aliases in COLUMNS.items()
            for alias in aliases
            if alias in header
        }
        if missing := [COLUMNS[name][0] for name in REQUIRED if name not in self.index]:
            raise HistoricalImportError(
                [
                    _("第 %(row)d 行(表头)缺少列:%(cols)s")
                    % {"row": header_row, "cols": "、".join(missing)}
                ]
            )
        planned: dict[str, PlannedDocument] = {}
        seen: set[str] = set()  # a file's first row, good or bad: later rows add adoptions
        for self.row, self.cells in rows[1:]:
            name = self.cell("file")
            adoption = self.adoption()
            if name in seen:
                if adoption is None:
                    self.bad("采用级别", _("同一文件的后续行只能用来登记更多的采用记录。"))
                elif name in planned:
                    planned[name].adoptions.append(adoption)
                continue
            seen.add(name)
            document = self.document(name)
            if document is not None:
                document.adoptions.extend([adoption] if adoption else [])
                planned[name] = document
        if self.messages:
            raise HistoricalImportError(self.messages)
        return list(planned.values())

    def date(self, name: str, column: str) -> datetime.date | None:
        value = parse_date(self.cell(name))
        if value is None:
            self.bad(column, _("日期无法识别,请写成 2019-03-15。"))
        elif value > timezone.localdate():
            self.bad(column, _("不能晚于今天。"))
            return None
        return value

    def adoption(self) -> PlannedAdoption | None:
        if not (level_text := self.cell("level")):
            return None
        level = LEVEL_WORDS.get(fold(level_text))
        if level is None:
            self.bad("采用级别", _("应为 县级、市级、省级 或 中央。"))
        if not (outlet := self.cell("outlet")):
            self.bad("采用刊物", _("有采用级别时必须填写刊物名称。"))
        adopted_on = self.date("adopted_on", "采用日期")
        if level is None or not outlet or adopted_on is None:
            return None
        return PlannedAdoption(level, outlet[:100], self.cell("issue")[:100], adopted_on)

    def document(self, name: str) -> PlannedDocument | None:
        text = self.text(name)
        unit = self.units.get(fold(self.cell("unit_code")))
        if unit is None:
            self.bad("单位代码", _("不是本部门的在用单位。"))
            return None
        officer = self.officer_of.get(unit.pk)
        signer = self.signer_of.get(unit.pk) if unit.requires_signoff else None
        if officer is None:
            self.bad("单位代码", _("该单位没有在岗信息员,请先导入信息员。"))
        if unit.requires_signoff and signer is None:
            self.bad("单位代码", _("该单位需要签发,但没有签发领导账号。"))
        submitted_on = self.date("submitted_on", "报送日期")
        category = self.categories.get(self.cell("category") or DEFAULT_CATEGORY)
        if category is None:
            self.bad("类别", _("不是系统中的信息类别。"))
        if text is None or officer is None or submitted_on is None or category is None:
            return None
        if unit.requires_signoff and signer is None:
            return None
        data, extracted = text
        return PlannedDocument(
            row=self.row,
            file_name=name,
            digest=hashlib.sha256(data).hexdigest(),
            unit=unit,
            officer=officer,
            signer=signer,
            submitted_on=submitted_on,
            category=category,
            text=extracted,
        )

    def text(self, name: str) -> tuple[bytes, Extracted] | None:
        if not name:
            self.bad("文件名", _("不能为空。"))
            return None
        path = (self.folder / name).resolve()
        if self.folder not in path.parents or path.suffix.lower() != ".docx":
            self.bad("文件名", _("必须是该文件夹中的 .docx 文件。"))
            return None
        if not path.is_file():
            self.bad("文件名", _("文件夹中没有这个文件。"))
            return None
        data = path.read_bytes()
        try:
            extracted = extract_docx(data)
        except InvalidInput as error:
            self.bad("文件名", str(error))
            return None
        if not extracted.title:
            self.bad("文件名", _("无法从文件中识别标题(第一段应为标题)。"))
            return None
        return data, extracted


def check_importer(actor: User) -> Unit:
    """The editor's organization department, or ``NotAllowed``."""
    if not actor.is_active or actor.role != Role.EDITOR or not actor.home_unit.is_org_department:
        raise NotAllowed(_("只有组织部门的编辑可以导入历史信息。"))
    return actor.home_unit


def historical_import_run(
    *,
    actor: User,
    folder: Path,
    metadata: bytes,
    progress: Callable[[HistoricalImport], None] | None = None,
) -> HistoricalImport:
    """Plan (all or nothing), then bring each document in; returns the finished job."""
    department = check_importer(actor)
    plan = historical_import_plan(folder=folder, metadata=metadata, department=department)
    with transaction.atomic():
        job = HistoricalImport.objects.create(
            department=department, started_by=actor, source=folder.name[:200], total=len(plan)
        )
        audit_record(
            actor=actor, action="transfer.import_started", obj=job, changes={"files": len(plan)}
        )
    known = set(
        ImportedDocument.objects.filter(
            department=department, digest__in=[d.digest for d in plan]
        ).values_list("digest", flat=True)
    )
    imported: list[int] = []
    try:
        for document in plan:
            if document.digest in known:
                HistoricalImport.objects.filter(pk=job.pk).update(skipped=F("skipped") + 1)
            else:
                imported.append(import_document(document=document, actor=actor, job=job).pk)
                HistoricalImport.objects.filter(pk=job.pk).update(done=F("done") + 1)
            if progress is not None:
                job.refresh_from_db()
                progress(job)
    except Exception as exc:
        HistoricalImport.objects.filter(pk=job.pk).update(
            status=HistoricalImport.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    timeliness_rebuild(Item.objects.filter(pk__in=imported))
    with transaction.atomic():
        HistoricalImport.objects.filter(pk=job.pk).update(
            status=HistoricalImport.Status.DONE, finished_at=timezone.now()
        )
        job.refresh_from_db()
        audit_record(
            actor=actor,
            action="transfer.import_finished",
            obj=job,
            changes={"imported": job.done, "skipped": job.skipped},
        )
    return job


def import_document(*, document: PlannedDocument, actor: User, job: HistoricalImport) -> Item:
    """One document through the item services, then set back to its recorded dates."""
    with transaction.atomic():
        item = item_create(
            actor=document.officer,
            data=ItemData(
                title=document.text.title,
                body=document.text.body,
                category=document.category,
                event_date=document.submitted_on,
            ),
        )
        item = transition(item=item, actor=document.officer, action="submit")
        if document.signer is not None:
            item = transition(item=item, actor=document.signer, action="approve")
        if document.adoptions:
            item = transition(item=item, actor=actor, action="adopt")
        else:
            item = transition(item=item, actor=actor, action="decline", comment=DECLINE_COMMENT)
        for adoption in document.adoptions:
            ExternalAdoption.objects.create(
                item=item,
                kind=ExternalAdoption.Kind.PUBLICATION,
                level=adoption.level,
                outlet=adoption.outlet,
                issue_label=adoption.issue_label,
                adopted_on=adoption.adopted_on,
                recorded_by=actor,
            )
        at = timezone.make_aware(datetime.datetime.combine(document.submitted_on, datetime.time(9)))
        Item.objects.filter(pk=item.pk).update(created_at=at, updated_at=at, submitted_at=at)
        ItemEvent.objects.filter(item=item).update(created_at=at)
        Revision.objects.filter(item=item).update(created_at=at)
        ImportedDocument.objects.create(
            department=job.department,
            digest=document.digest,
            file_name=document.file_name[:255],
            item=item,
            job=job,
        )
        audit_record(
            actor=actor,
            action="transfer.document_imported",
            obj=item,
            changes={
                "file": document.file_name,
                "row": document.row,
                "adoptions": len(document.adoptions),
            },
        )
    return item
