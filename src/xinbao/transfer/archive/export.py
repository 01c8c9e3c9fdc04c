"""Writing a department's portable archive (``xinbao export_department``); the format is in
``transfer.archive.format``."""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items.models import Attachment, Category
from xinbao.orgs.models import Unit, User
from xinbao.transfer.archive.format import (
    FILES_DIR,
    FORMAT,
    KIND_OF_MODEL,
    KINDS,
    MANIFEST,
    NATURAL_MODELS,
    VERSION,
    ArchiveError,
    Kind,
    Scope,
    encode_value,
    exported_fields,
)
from xinbao.transfer.archive.signing import SIGNATURE, sign, transfer_key

Progress = Callable[[str, int], object]
CHUNK = 2000
FILE_CHUNK = 2**20  # bytes of a stored file read at a time


@dataclass
class _PendingFile:
    """A stored file a row names, to be copied into the archive once the kind's member closes."""

    kind: Kind
    value: FieldFile
    registered: bool  # named by the attachment's registered digest, not one computed here

    def changed(self) -> str:
        instance = self.value.instance
        if self.registered and isinstance(instance, Attachment):
            return _(
                "附件“%(name)s”与登记的 SM3 摘要不符(文件已损坏),请先运行 xinbao scrub 处理。"
            ) % {"name": instance.original_name}
        return _("%(kind)s 的文件 %(name)s 在导出过程中被改动,请重新导出。") % {
            "kind": self.kind.name,
            "name": self.value.name,
        }


@dataclass
class ExportResult:
    path: Path
    counts: dict[str, int]
    files: int
    file_bytes: int
    dropped: dict[str, int] = field(default_factory=dict)


def export_total(department: Unit) -> int:
    """How many rows the archive will hold, about (for a progress bar)."""
    scope = Scope(department)
    return sum(k.rows(scope).count() for k in KINDS)


def department_export(
    *, department: Unit, out: Path, actor: User | None = None, progress: Progress | None = None
) -> ExportResult:
    """Write ``department``'s archive to ``out`` (a zip file, written beside it and renamed at
    the end, so a failed export leaves nothing). Read in one transaction (a repeatable-read
    snapshot on PostgreSQL), so the archive is consistent while the system keeps working.
    ``progress(kind, rows)`` is called as rows are written. Raises ``ArchiveError``."""
    if not department.is_org_department:
        raise ArchiveError([_("%(code)s 不是组织部门。") % {"code": department.code}])
    key = transfer_key()  # a missing or short key stops the export before it reads anything
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    outermost = not connection.in_atomic_block
    try:
        with _read_only_begin(outermost), transaction.atomic():
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            result = _Exporter(department, progress, key).write(partial)
        # Its own transaction: under the snapshot, locking the audit chain's head would fail
        # as soon as anyone else had audited something since the export began.
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="department.export",
                obj=department,
                changes={"counts": result.counts, "files": result.files},
            )
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    result.path = out
    return result


@contextmanager
def _read_only_begin(outermost: bool) -> Iterator[None]:
    """On SQLite, the export's transaction begins DEFERRED rather than IMMEDIATE (the
    installation's mode for writers): it only reads, so it takes a WAL snapshot without holding
    the write lock, and the system (and the job's progress, ``transfer.exports``) keeps writing
    while it runs. (Django issues the BEGIN as ``atomic`` is entered: enter this first.)"""
    if connection.vendor != "sqlite" or not outermost:
        yield
        return
    mode = getattr(connection, "transaction_mode", None)
    connection.transaction_mode = None  # type: ignore[attr-defined]  # plain BEGIN: deferred
    try:
        yield
    finally:
        connection.transaction_mode = mode  # type: ignore[attr-defined]


class _Exporter:
    zip: zipfile.ZipFile  # open while ``write`` runs

    def __init__(self, department: Unit, progress: Progress | None, key: bytes) -> None:
        self.key = key
        self.scope = Scope(department)
        self.progress = progress
        units = Unit.objects.values_list("pk", "code", "parent_id", "department_id")
        self.unit_code = {pk: code for pk, code, _p, _d in units}
        self.unit_links = {pk: (parent, dept) for pk, _c, parent, dept in units}
        self.username = dict(User.objects.values_list("pk", "username"))
        self.category = dict(Category.objects.values_list("pk", "name"))
        self.units_used: set[int] = set()
        self.users_used: set[int] = set()
        self.in_scope: dict[str, set[Any]] = {
            k.name: set(k.rows(self.scope).values_list("pk", flat=True))
            for k in KINDS
            if k.model not in NATURAL_MODELS
        }
        self.files: dict[str, int] = {}
        self.dropped: dict[str, int] = {}
        self.pending: dict[str, _PendingFile] = {}  # by SM3, until the kind's member closes

    # --- references -------------------------------------------------------------------------

    def reference(self, kind: Kind, f: models.Field[Any, Any], raw: Any) -> Any:
        if raw is None:
            return None
        related = f.related_model
        if related is Unit:
            self.units_used.add(raw)
            return self.unit_code[raw]
        if related is User:
            self.users_used.add(raw)
            return self.username[raw]
        if related is Category:
            return self.category[raw]
        target = KIND_OF_MODEL.get(related)  # type: ignore[arg-type]
        if target is None:
            raise RuntimeError(f"{kind.name}.{f.name} refers to {related}, which no kind holds")
        if raw in self.in_scope[target.name]:
            return raw
        if f.null:  # e.g. an item answering another department's topic
            key = f"{kind.name}.{f.name}"
            self.dropped[key] = self.dropped.get(key, 0) + 1
            return None
        raise ArchiveError(
            [
                _("%(kind)s 的一行引用了不属于本部门的 %(target)s(编号 %(id)s),无法导出。")
                % {"kind": kind.name, "target": target.name, "id": raw}
            ]
        )

    def file(self, kind: Kind, value: FieldFile) -> dict[str, str] | None:
        """The row's reference to a stored file; the bytes follow once the kind's member is
        closed (``copy_pending``: one open member at a time). An attachment's registered SM3
        digest names it without reading it here (checked while it is copied); any other file is
        read once, in chunks, for its digest."""
        if not value or not value.name:
            return None
        instance = value.instance
        registered = instance.sm3 if isinstance(instance, Attachment) else ""
        digest = registered or self.digest_of(kind, value)
        if digest not in self.files and digest not in self.pending:
            self.pending[digest] = _PendingFile(kind, value, registered=bool(registered))
        return {"sm3": digest, "name": Path(value.name).name}

    def digest_of(self, kind: Kind, value: FieldFile) -> str:
        digest = hashlib.new("sm3")
        with closing(self.chunks(kind, value)) as chunks:
            for chunk in chunks:
                digest.update(chunk)
        return digest.hexdigest()

    def chunks(self, kind: Kind, value: FieldFile) -> Generator[bytes]:
        """The stored file in ``FILE_CHUNK`` pieces; ``ArchiveError`` when it cannot be read."""
        try:
            handle = value.storage.open(value.name or "", "rb")
        except OSError as exc:
            raise ArchiveError([self.unreadable(kind, value, exc)]) from exc
        with handle:
            while True:
                try:
                    chunk = handle.read(FILE_CHUNK)
                except OSError as exc:
                    raise ArchiveError([self.unreadable(kind, value, exc)]) from exc
                if not chunk:
                    return
                yield chunk

    @staticmethod
    def unreadable(kind: Kind, value: FieldFile, exc: OSError) -> str:
        return _("%(kind)s 的文件 %(name)s 无法读取:%(error)s") % {
            "kind": kind.name,
            "name": value.name,
            "error": exc,
        }

    def copy_pending(self) -> None:
        """The files the kind's rows named, each streamed from storage into its own member in
        ``FILE_CHUNK`` pieces (memory bounded whatever the file's size; zip64 when it needs it),
        its SM3 digest computed on the way and compared with the name it was given."""
        for digest, pending in self.pending.items():
            info = zipfile.ZipInfo(FILES_DIR + digest, date_time=time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            streamed, size = hashlib.new("sm3"), 0
            with (
                closing(self.chunks(pending.kind, pending.value)) as chunks,
                self.zip.open(info, "w", force_zip64=True) as member,
            ):
                for chunk in chunks:
                    streamed.update(chunk)
                    member.write(chunk)
                    size += len(chunk)
            if streamed.hexdigest() != digest:
                raise ArchiveError([pending.changed()])
            self.files[digest] = size
        self.pending.clear()

    # --- rows -------------------------------------------------------------------------------

    def encode(
        self, kind: Kind, obj: models.Model, fields: list[models.Field[Any, Any]]
    ) -> dict[str, Any]:
        row: dict[str, Any] = {}
        if kind.has_ref:
            row["ref"] = obj.pk
        for f in fields:
            if f.is_relation:
                row[f.name] = self.reference(kind, f, getattr(obj, f.attname))
            elif isinstance(f, models.FileField):
                row[f.name] = self.file(kind, getattr(obj, f.name))
            else:
                row[f.name] = encode_value(f, f.value_from_object(obj))
        return row

    def m2m(self, kind: Kind) -> dict[str, dict[int, list[str]]]:
        """Each many-to-many field of the kind: row pk → natural keys of the related rows."""
        result: dict[str, dict[int, list[str]]] = {}
        for name in kind.m2m:
            f = cast("models.ManyToManyField[Any, Any]", kind.model._meta.get_field(name))
            through = cast("type[models.Model]", f.remote_field.through)
            source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
            related = f.related_model
            names = self.unit_code if related is Unit else self.username
            used = self.units_used if related is Unit else self.users_used
            links: dict[int, list[str]] = {}
            pairs = through._default_manager.filter(
                **{f"{source}__in": kind.rows(self.scope).values("pk")}
            ).values_list(f"{source}_id", f"{target}_id")
            for owner, other in pairs.order_by(f"{source}_id", f"{target}_id"):
                used.add(other)
                links.setdefault(owner, []).append(names[other])
            result[name] = links
        return result

    def write_kind(self, kind: Kind, rows: Iterable[models.Model]) -> tuple[int, str]:
        fields = exported_fields(kind)
        links = self.m2m(kind)
        digest = hashlib.new("sm3")
        count = 0
        info = zipfile.ZipInfo(kind.file, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        with self.zip.open(info, "w") as member:
            for obj in rows:
                row = self.encode(kind, obj, fields)
                for name, by_owner in links.items():
                    row[name] = by_owner.get(obj.pk, [])
                extra = self.row_extra(kind, obj)
                row.update(extra)
                line = (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode()
                member.write(line)
                digest.update(line)
                count += 1
                if self.progress is not None and count % 500 == 0:
                    self.progress(kind.name, 500)
        if self.progress is not None:
            self.progress(kind.name, count % 500)
        self.copy_pending()
        return count, digest.hexdigest()

    def row_extra(self, kind: Kind, obj: models.Model) -> dict[str, Any]:
        if kind.model is Unit:
            return {"context": obj.pk not in self.owned_units}
        if kind.model is User:
            return {"context": obj.pk not in self.owned_users}
        return {}

    def write(self, path: Path) -> ExportResult:
        self.owned_units = set(self.scope.units.values_list("pk", flat=True))
        self.owned_users = set(
            User.objects.filter(unit__in=self.scope.units).values_list("pk", flat=True)
        )
        entries: dict[str, dict[str, Any]] = {}
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as self.zip:
            # Everything but units and users first: they add the units and people they name.
            for kind in KINDS:
                if kind.model in (Unit, User):
                    continue
                rows = kind.model._default_manager.filter(pk__in=_ids(kind, self)).order_by("pk")
                count, digest = self.write_kind(kind, rows.iterator(chunk_size=CHUNK))
                entries[kind.name] = {"file": kind.file, "count": count, "sm3": digest}
            users_kind = KIND_OF_MODEL[User]
            user_ids = self.owned_users | self.users_used
            users = User.objects.filter(pk__in=user_ids).order_by("pk")
            self.units_used |= set(users.exclude(unit=None).values_list("unit_id", flat=True))
            count, digest = self.write_kind(users_kind, users.iterator(chunk_size=CHUNK))
            entries["users"] = {"file": users_kind.file, "count": count, "sm3": digest}
            unit_ids = self._unit_closure(self.owned_units | self.units_used)
            units = sorted(
                Unit.objects.filter(pk__in=unit_ids), key=lambda u: (u.path.count("/"), u.code)
            )
            units_kind = KIND_OF_MODEL[Unit]
            count, digest = self.write_kind(units_kind, units)
            entries["units"] = {"file": units_kind.file, "count": count, "sm3": digest}
            department = self.scope.department
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "department": {"code": department.code, "name": department.name},
                "exported_at": timezone.now().isoformat(),
                "kinds": [entries[k.name] | {"name": k.name} for k in KINDS],
                "files": [
                    {"name": FILES_DIR + digest, "sm3": digest, "size": size}
                    for digest, size in sorted(self.files.items())
                ],
                "dropped_references": self.dropped,
            }
            raw = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
            self.zip.writestr(MANIFEST, raw)
            self.zip.writestr(SIGNATURE, sign(raw, self.key))
        return ExportResult(
            path=path,
            counts={k.name: entries[k.name]["count"] for k in KINDS},
            files=len(self.files),
            file_bytes=sum(self.files.values()),
            dropped=self.dropped,
        )

    def _unit_closure(self, ids: set[int]) -> set[int]:
        """The units and every unit above them (parents and departments)."""
        todo, seen = list(ids), set()
        while todo:
            pk = todo.pop()
            if pk is None or pk in seen:
                continue
            seen.add(pk)
            todo.extend(self.unit_links[pk])
        return seen


def _ids(kind: Kind, exporter: _Exporter) -> Any:
    return kind.rows(exporter.scope).values("pk")
