"""Importing a department's portable archive (``xinbao import_department``).

Three steps, and nothing is written unless all of them pass:

1. *Read*: the manifest's format and version; its signature (``archive.signing``: nothing is
   trusted before it verifies); every member's SM3 digest and size against the manifest, no
   member missing and none extra; every line valid JSON; counts as listed.
2. *Check*: every row has its fields, every value parses, every reference (unit code, username,
   category, ``ref``) names a row of the archive, every file is in the archive with the digest
   its row records; against this installation: the department, its units and its people must
   not be here already (an archive is imported once; a second run is refused and changes
   nothing).
3. *Write*, in one transaction: rows in ``KINDS`` order with new ids, timestamps as recorded,
   files stored under new names; then the derived data rebuilt (full-text and near-duplicate
   index of the imported items, the points ledger of each year with a rule set, the dashboard
   cache) and one audit record. Any failure rolls the transaction back and removes the files
   already stored.

Memory stays bounded whatever the archive's size: members are read as streams, line by line
(once for each step: the price of holding no rows) and files in 1 MiB chunks, their SM3
computed again while they are copied into storage. Held: the rows of units, users and
categories (small at province size) and, for the kinds other rows refer to, the refs and their
new ids.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import DatabaseError, models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.dashboard import aggregates as dashboard_aggregates
from xinbao.dashboard import cache as dashboard_cache
from xinbao.items.models import Attachment, Category, Item
from xinbao.orgs.models import Unit, User
from xinbao.orgs.services import derive_tree_fields
from xinbao.scoring import ledger
from xinbao.scoring.models import RuleSet
from xinbao.search import duplicates
from xinbao.search import index as search_index
from xinbao.transfer.archive import signing
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
    decode_value,
    exported_fields,
)
from xinbao.uploads import sm3_hex

Progress = Callable[[str, int], object]
BATCH = 500


@dataclass
class ImportResult:
    department: Unit
    counts: dict[str, int]
    created_units: int
    matched_units: int
    created_users: int
    matched_users: int
    files: int


MAX_MANIFEST_BYTES = 256 * 2**20
CHUNK_BYTES = 2**20
# Kinds whose rows other rows name by ``ref``: only their refs are kept (a province's item
# events are many and named by nothing).
REFERENCED = frozenset(
    KIND_OF_MODEL[cast("type[models.Model]", f.related_model)].name
    for kind in KINDS
    for f in exported_fields(kind)
    if f.is_relation and f.related_model in KIND_OF_MODEL and f.related_model not in NATURAL_MODELS
)
# Kinds held in memory once read: the checks against this installation and the natural-key
# matching need all of them, and they stay small at province size (3,000 units, 10,000 people).
SMALL_KINDS = frozenset({"units", "users", "categories"})


@dataclass
class Archive:
    """A read and verified archive: its manifest, the small kinds' rows, and every kind's keys
    (natural keys and ``ref``s) for the reference checks. Other rows stay in the zip and are
    read again, line by line, by ``lines``."""

    manifest: dict[str, Any]
    zip: zipfile.ZipFile
    digest: str
    small: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    names: dict[type[models.Model], set[str]] = field(default_factory=dict)
    refs: dict[str, set[Any]] = field(default_factory=dict)

    def count(self, kind: Kind) -> int:
        entry = next(k for k in self.manifest["kinds"] if k["name"] == kind.name)
        return int(entry["count"])

    @property
    def total(self) -> int:
        return sum(self.count(kind) for kind in KINDS)

    def lines(self, kind: Kind) -> Iterator[tuple[int, dict[str, Any]]]:
        """The kind's rows, numbered from 1, read from the zip one line at a time."""
        if kind.name in self.small:
            yield from enumerate(self.small[kind.name], 1)
            return
        with self.zip.open(kind.file) as member:
            for number, line in enumerate(member, 1):
                yield number, json.loads(line)

    def open_file(self, sm3: str) -> IO[bytes]:
        return self.zip.open(FILES_DIR + sm3)


def archive_read(path: Path) -> Archive:
    """Step 1, streaming: each member is read once, in chunks or lines, its digest computed on
    the way; only the small kinds' rows and the keys are kept. Raises ``ArchiveError`` naming
    what is wrong."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ArchiveError([_("无法打开归档文件:%(error)s") % {"error": exc}]) from exc
    try:
        return _read(zf)
    except BaseException:
        zf.close()
        raise


def _member(zf: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limit:
        raise ArchiveError([_("归档中的 %(name)s 过大。") % {"name": name}])
    return zf.read(info)


def _read(zf: zipfile.ZipFile) -> Archive:
    raw = _member(zf, MANIFEST, MAX_MANIFEST_BYTES)
    if raw is None:
        raise ArchiveError([_("归档中没有清单文件 manifest.json。")])
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise ArchiveError([_("清单文件 manifest.json 不是有效的 JSON。")]) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError([_("这不是信报的部门归档文件。")])
    if manifest.get("version") != VERSION:
        raise ArchiveError(
            [
                _("归档格式版本 %(found)s 不受支持(本系统读取版本 %(version)d)。")
                % {"found": manifest.get("version"), "version": VERSION}
            ]
        )
    # Nothing in the archive is trusted before its signature is.
    signing.verify(raw, _member(zf, signing.SIGNATURE, 4096))
    messages: list[str] = []
    listed_kinds = {k.get("name"): k for k in manifest.get("kinds", []) if isinstance(k, dict)}
    expected = {k.name for k in KINDS}
    if set(listed_kinds) != expected:
        missing = sorted(expected - set(listed_kinds))
        extra = sorted(str(k) for k in set(listed_kinds) - expected)
        raise ArchiveError(
            [
                _("清单所列数据种类与格式不符(缺少:%(missing)s;多出:%(extra)s)。")
                % {"missing": "、".join(missing) or "无", "extra": "、".join(extra) or "无"}
            ]
        )
    files: dict[str, dict[str, Any]] = {
        str(f.get("name")): f for f in manifest.get("files", []) if isinstance(f, dict)
    }
    members = set(zf.namelist())
    listed = {MANIFEST, signing.SIGNATURE} | {k.file for k in KINDS} | set(files)
    for name in sorted(members - listed):
        messages.append(_("归档中有清单未列出的文件:%(name)s。") % {"name": name})
    for name in sorted(listed - members):
        messages.append(_("清单列出的文件 %(name)s 不在归档中。") % {"name": name})
    if messages:
        raise ArchiveError(messages)
    archive = Archive(manifest=manifest, zip=zf, digest=sm3_hex(raw))
    for kind in KINDS:
        messages.extend(_read_kind(archive, kind, listed_kinds[kind.name]))
    for name, entry in sorted(files.items()):
        sm3, size = _file_digest(zf, name)
        if (
            not name.startswith(FILES_DIR)
            or sm3 != entry.get("sm3")
            or name != FILES_DIR + str(entry.get("sm3"))
            or size != entry.get("size")
        ):
            messages.append(_TAMPERED % {"name": name})
    if messages:
        raise ArchiveError(messages)
    return archive


def _read_kind(archive: Archive, kind: Kind, entry: dict[str, Any]) -> list[str]:
    """One kind's member, line by line: its digest, count and JSON, and the keys it defines."""
    digest = hashlib.new("sm3")
    problems: list[str] = []
    count = 0
    keep: list[dict[str, Any]] | None = [] if kind.name in SMALL_KINDS else None
    natural = NATURAL_MODELS.get(kind.model)
    keys: set[Any] = set()
    with archive.zip.open(kind.file) as member:
        for count, line in enumerate(member, 1):
            digest.update(line)
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if not isinstance(row, dict):
                if len(problems) < ArchiveError.MAX_SHOWN:
                    problems.append(
                        _("%(name)s 第 %(line)d 行不是有效的 JSON 对象。")
                        % {"name": kind.file, "line": count}
                    )
                continue
            if natural is not None:
                keys.add(str(row.get(natural)))
            elif kind.name in REFERENCED:
                keys.add(row.get("ref"))
            if keep is not None:
                keep.append(row)
    if digest.hexdigest() != entry.get("sm3"):
        return [_TAMPERED % {"name": kind.file}]  # what the lines say does not matter then
    if count != entry.get("count"):
        problems.append(
            _("%(name)s 有 %(found)d 行,清单记为 %(count)s 行。")
            % {"name": kind.file, "found": count, "count": entry.get("count")}
        )
    if natural is not None:
        archive.names[kind.model] = keys
    elif kind.name in REFERENCED:
        archive.refs[kind.name] = keys
    if keep is not None:
        archive.small[kind.name] = keep
    return problems


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _file_digest(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.new("sm3"), 0
    with zf.open(name) as member:
        while chunk := member.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class _VerifiedCopy(File[bytes]):
    """A file of the archive as storage reads it: in chunks, its SM3 digest computed on the way;
    ``check`` after the copy says whether the bytes were the ones the manifest names."""

    def __init__(self, member: IO[bytes], sm3: str, size: int, name: str) -> None:
        super().__init__(member, name)
        self.member = member
        self.expected = sm3
        self.digest = hashlib.new("sm3")
        self.copied = 0
        self.size = size

    def read(self, n: int = -1) -> bytes:
        data = self.member.read(n)
        self.digest.update(data)
        self.copied += len(data)
        return data

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        while data := self.read(chunk_size or CHUNK_BYTES):
            yield data

    def check(self) -> bool:
        return self.copied == self.size and self.digest.hexdigest() == self.expected


_TAMPERED = _("文件 %(name)s 与清单记录的 SM3 摘要或大小不符:归档已被改动或损坏,未导入任何数据。")


def department_import(
    *,
    path: Path,
    actor: User | None = None,
    progress: Progress | None = None,
    archive: Archive | None = None,
) -> ImportResult:
    """Steps 1 to 3 (module docstring). ``progress(kind, rows)`` is called as rows are written.
    ``archive``: ``path`` already read by ``archive_read`` (the command reads it first for its
    progress bar). Raises ``ArchiveError`` with every problem found; then nothing was written."""
    archive = archive or archive_read(path)
    with archive.zip:
        _Checker(archive).check()
        loader = _Loader(archive, progress)
        try:
            with transaction.atomic(), _timestamps_as_recorded():
                result = loader.load()
                audit_record(
                    actor=actor,
                    action="department.import",
                    obj=result.department,
                    changes={"archive_sm3": archive.digest, "counts": result.counts},
                )
        except BaseException as exc:
            loader.remove_stored_files()
            if isinstance(exc, (DatabaseError, ValidationError)):
                raise ArchiveError(
                    [_("归档内容与本系统的数据约束冲突,未导入任何数据:%(error)s") % {"error": exc}]
                ) from exc
            raise
    return result


# --- step 2 -----------------------------------------------------------------------------------


class _Checker:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.messages: list[str] = []
        self.names = archive.names
        self.refs = archive.refs
        self.files = {f["sm3"] for f in archive.manifest.get("files", [])}

    def bad(self, kind: Kind, number: int, text: str) -> None:
        self.messages.append(
            _("%(name)s 第 %(line)d 行:%(text)s")
            % {"name": kind.file, "line": number, "text": text}
        )

    def check(self) -> None:
        for kind in KINDS:
            fields = exported_fields(kind)
            for number, row in self.archive.lines(kind):
                self.check_row(kind, fields, number, row)
                if len(self.messages) > 200:
                    break
            if len(self.messages) > 200:
                break
        if not self.messages:
            self.check_target()
        if self.messages:
            raise ArchiveError(self.messages)

    def check_row(
        self, kind: Kind, fields: list[models.Field[Any, Any]], number: int, row: dict[str, Any]
    ) -> None:
        if kind.has_ref and not isinstance(row.get("ref"), int):
            self.bad(kind, number, _("缺少编号 ref。"))
        for f in fields:
            if f.name not in row:
                self.bad(kind, number, _("缺少字段 %(field)s。") % {"field": f.name})
                continue
            value = row[f.name]
            if value is None:
                if not f.null and not isinstance(f, models.FileField):
                    self.bad(kind, number, _("字段 %(field)s 不能为空。") % {"field": f.name})
                continue
            if f.is_relation:
                related = f.related_model
                known = (
                    self.names[related]  # type: ignore[index]
                    if related in NATURAL_MODELS
                    else self.refs[KIND_OF_MODEL[related].name]  # type: ignore[index]
                )
                if (str(value) if related in NATURAL_MODELS else value) not in known:
                    self.bad(
                        kind,
                        number,
                        _("字段 %(field)s 引用的“%(value)s”不在归档中。")
                        % {"field": f.name, "value": value},
                    )
            elif isinstance(f, models.FileField):
                if not isinstance(value, dict) or value.get("sm3") not in self.files:
                    self.bad(kind, number, _("文件 %(field)s 不在归档中。") % {"field": f.name})
                elif kind.model is Attachment and row.get("sm3") not in ("", value["sm3"]):
                    self.bad(kind, number, _("附件内容与其 SM3 摘要不符。"))
            else:
                try:
                    decode_value(f, value)
                except (ValidationError, ValueError, TypeError):
                    self.bad(
                        kind,
                        number,
                        _("字段 %(field)s 的值“%(value)s”无效。")
                        % {"field": f.name, "value": value},
                    )
        for name in kind.m2m:
            related = kind.model._meta.get_field(name).related_model
            values = row.get(name)
            if not isinstance(values, list) or not set(map(str, values)) <= self.names[related]:  # type: ignore[index]
                self.bad(
                    kind, number, _("字段 %(field)s 引用了归档中没有的对象。") % {"field": name}
                )

    def check_target(self) -> None:
        """What this installation already holds: the department's own units and people must
        be new here; context units and people are matched."""
        code = self.archive.manifest.get("department", {}).get("code")
        owned_units = [r["code"] for r in self.archive.small["units"] if not r.get("context")]
        if code not in owned_units:
            self.messages.append(_("清单所写的组织部门不在归档的单位中。"))
            return
        existing = Unit.objects.filter(code=code).first()
        if existing is not None:
            self.messages.append(
                _(
                    "组织部门 %(code)s(%(name)s)已在本系统中:同一部门的归档只能导入一次,"
                    "本次未导入任何数据。"
                )
                % {"code": code, "name": existing.name}
            )
            return
        taken = list(
            Unit.objects.filter(code__in=owned_units)
            .order_by("code")
            .values_list("code", flat=True)
        )
        if taken:
            self.messages.append(
                _("单位代码已被本系统的其他单位使用:%(codes)s。") % {"codes": "、".join(taken[:20])}
            )
        owned_users = [r["username"] for r in self.archive.small["users"] if not r.get("context")]
        clash = sorted(
            User.objects.annotate(key=Lower("username"))
            .filter(key__in=sorted({u.lower() for u in owned_users}))
            .values_list("username", flat=True)
        )
        if clash:
            self.messages.append(
                _("用户名已被本系统的其他账号使用:%(names)s。") % {"names": "、".join(clash[:20])}
            )


# --- step 3 -----------------------------------------------------------------------------------


@contextmanager
def _timestamps_as_recorded() -> Iterator[None]:
    """Creation and modification times are written as recorded, not as now. (Switches the
    fields' ``auto_now``/``auto_now_add`` off for the block: for the import command, which runs
    alone in its process.)"""
    patched: list[tuple[models.DateField, bool, bool]] = []
    for kind in KINDS:
        for f in kind.model._meta.concrete_fields:
            if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add):
                patched.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in patched:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class _Loader:
    def __init__(self, archive: Archive, progress: Progress | None) -> None:
        self.archive = archive
        self.progress = progress
        self.unit_pk: dict[str, int] = {}
        self.units: dict[str, Unit] = {}
        self.user_pk: dict[str, int] = {}
        self.category_pk: dict[str, int] = {}
        # Source ref → new pk, only for the kinds other rows refer to (not for events, say).
        self.refs: dict[str, dict[int, Any]] = {name: {} for name in REFERENCED}
        self.sizes = {f["sm3"]: f["size"] for f in archive.manifest.get("files", [])}
        self.stored: list[tuple[Storage, str]] = []
        self.counts: dict[str, int] = {}
        self.stats = {
            "created_units": 0,
            "matched_units": 0,
            "created_users": 0,
            "matched_users": 0,
        }

    def remove_stored_files(self) -> None:
        for storage, name in self.stored:
            storage.delete(name)

    def load(self) -> ImportResult:
        for kind in KINDS:
            if kind.name in self.archive.small:
                rows = self.archive.small[kind.name]
                if kind.model is Unit:
                    self.load_units(rows)
                elif kind.model is User:
                    self.load_users(rows)
                else:
                    self.load_categories(rows)
                if self.progress is not None:
                    self.progress(kind.name, len(rows))
            else:
                self.load_kind(kind)
            self.counts[kind.name] = self.archive.count(kind)
        department = self.units[self.archive.manifest["department"]["code"]]
        self.rebuild_derived(department)
        return ImportResult(
            department=department,
            counts=self.counts,
            files=len(self.archive.manifest.get("files", [])),
            **self.stats,
        )

    # values

    def values(self, kind: Kind, row: dict[str, Any]) -> dict[str, Any]:
        """Model attribute → value for a row, references mapped to this installation's ids."""
        values: dict[str, Any] = {}
        for f in exported_fields(kind):
            value = row[f.name]
            if f.is_relation:
                values[f.attname] = self.mapped(f, value)
            elif isinstance(f, models.FileField):
                continue  # stored once the row's relations are set (file names use them)
            else:
                values[f.attname] = decode_value(f, value)
        return values

    def mapped(self, f: models.Field[Any, Any], value: Any) -> Any:
        if value is None:
            return None
        related = f.related_model
        if related is Unit:
            return self.unit_pk[value]
        if related is User:
            return self.user_pk[value.lower()]
        if related is Category:
            return self.category_pk[value]
        return self.refs[KIND_OF_MODEL[related].name][value]  # type: ignore[index]

    def store_files(self, kind: Kind, obj: models.Model, row: dict[str, Any]) -> None:
        for f in exported_fields(kind):
            if not isinstance(f, models.FileField) or not row[f.name]:
                continue
            sm3 = row[f.name]["sm3"]
            name = f.generate_filename(obj, row[f.name].get("name") or "file")
            with self.archive.open_file(sm3) as member:
                copy = _VerifiedCopy(member, sm3, self.sizes[sm3], name)
                saved = f.storage.save(name, copy)
            self.stored.append((f.storage, saved))
            if not copy.check():  # changed since it was read: refuse, as the reading would have
                raise ArchiveError([_TAMPERED % {"name": FILES_DIR + sm3}])
            setattr(obj, f.attname, saved)

    # natural kinds

    def load_units(self, rows: list[dict[str, Any]]) -> None:
        kind = KIND_OF_MODEL[Unit]
        pending = list(rows)
        while pending:  # parents first (the exporter writes them so; this does not rely on it)
            ready = [r for r in pending if r["parent"] is None or r["parent"] in self.unit_pk]
            if not ready:
                raise ArchiveError([_("单位的上下级关系有环,无法导入。")])
            for row in ready:
                existing = (
                    Unit.objects.filter(code=row["code"]).first() if row.get("context") else None
                )
                if existing is None:
                    unit = Unit(**self.values(kind, row))
                    unit.parent = self.units[row["parent"]] if row["parent"] else None
                    derive_tree_fields(unit)
                    Unit.objects.bulk_create([unit])
                    self.stats["created_units"] += 1
                else:
                    unit = existing
                    self.stats["matched_units"] += 1
                self.units[row["code"]] = unit
                self.unit_pk[row["code"]] = unit.pk
            pending = [r for r in pending if r["code"] not in self.unit_pk]

    def load_users(self, rows: list[dict[str, Any]]) -> None:
        kind = KIND_OF_MODEL[User]
        context = {r["username"].lower() for r in rows if r.get("context")}
        existing = dict(
            User.objects.annotate(key=Lower("username"))
            .filter(key__in=sorted(context))
            .values_list("key", "pk")
        )
        new: list[User] = []
        unusable = make_password(None)
        for row in rows:
            key = row["username"].lower()
            if row.get("context") and key in existing:
                self.user_pk[key] = existing[key]
                self.stats["matched_users"] += 1
                continue
            user = User(**self.values(kind, row))
            user.password = unusable  # no hash travels: the administrator sets a first password
            user.must_change_password = True
            if row.get("context"):
                user.is_active = False  # someone of another department, here only as a name
            new.append(user)
        User.objects.bulk_create(new, batch_size=BATCH)
        for user in new:
            self.user_pk[user.username.lower()] = user.pk
        self.stats["created_users"] = len(new)

    def load_categories(self, rows: list[dict[str, Any]]) -> None:
        kind = KIND_OF_MODEL[Category]
        existing = dict(Category.objects.values_list("name", "pk"))
        for row in rows:
            if row["name"] in existing:
                self.category_pk[row["name"]] = existing[row["name"]]
                continue
            category = Category(**self.values(kind, row))
            Category.objects.bulk_create([category])
            self.category_pk[row["name"]] = category.pk

    # the other kinds

    def load_kind(self, kind: Kind) -> None:
        """The kind's rows in batches as they are read. A row naming a parent of its own kind
        that is not written yet waits until it is (``pending``: only such rows are held)."""
        self_refs = [
            f for f in exported_fields(kind) if f.is_relation and f.related_model is kind.model
        ]
        parent = self_refs[0].name if self_refs else None
        done = self.refs.get(kind.name, {})
        pending: list[dict[str, Any]] = []
        for batch in _batches(row for _number, row in self.archive.lines(kind)):
            if parent is None:
                self.create(kind, batch)
            else:
                pending = self.create_in_order(kind, pending + batch, parent, done)
            if self.progress is not None:
                self.progress(kind.name, len(batch))
        if pending:
            raise ArchiveError([_("%(name)s 的引用关系有环,无法导入。") % {"name": kind.file}])

    def create_in_order(
        self, kind: Kind, rows: list[dict[str, Any]], parent: str, done: dict[int, Any]
    ) -> list[dict[str, Any]]:
        """Writes every row whose parent is written (or none), parents first; returns the rest."""
        pending = rows
        while pending:
            ready = [r for r in pending if r[parent] is None or r[parent] in done]
            if not ready:
                break
            self.create(kind, ready)
            pending = [r for r in pending if r["ref"] not in done]
        return pending

    def create(self, kind: Kind, rows: list[dict[str, Any]]) -> None:
        new: list[tuple[dict[str, Any], models.Model]] = []
        for row in rows:
            obj = kind.model(**self.values(kind, row))
            if kind.natural and (match := self.match(kind, obj)) is not None:
                self.refs.setdefault(kind.name, {})[row["ref"]] = match
                continue
            self.store_files(kind, obj, row)
            new.append((row, obj))
        kind.model._default_manager.bulk_create([obj for _, obj in new])
        if kind.name in self.refs:
            for row, obj in new:
                self.refs[kind.name][row["ref"]] = obj.pk
        for name in kind.m2m:
            self.link(kind, name, new)

    def match(self, kind: Kind, obj: models.Model) -> Any:
        """The pk of the row of this installation with the same natural key, if any (an upper
        department's publication or issue that is here already)."""
        key = {}
        for name in kind.natural:
            f = kind.model._meta.get_field(name)
            key[f.attname] = getattr(obj, f.attname)  # type: ignore[union-attr]
        if any(value is None for value in key.values()):
            return None
        return kind.model._default_manager.filter(**key).values_list("pk", flat=True).first()

    def link(self, kind: Kind, name: str, new: list[tuple[dict[str, Any], models.Model]]) -> None:
        f = cast("models.ManyToManyField[Any, Any]", kind.model._meta.get_field(name))
        through = cast("type[models.Model]", f.remote_field.through)
        source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
        related = f.related_model
        links = []
        for row, obj in new:
            for value in row[name]:
                other = self.unit_pk[value] if related is Unit else self.user_pk[value.lower()]
                links.append(through(**{f"{source}_id": obj.pk, f"{target}_id": other}))
        through._default_manager.bulk_create(links, batch_size=BATCH)

    # derived data

    def rebuild_derived(self, department: Unit) -> None:
        """The indexes and the ledger, from what was imported (``QuerySet.bulk_create`` sends no
        signals, so nothing was derived along the way)."""
        items = Item.objects.filter(pk__in=list(self.refs["items"].values())).order_by(
            "submitted_at", "pk"
        )
        for item in items.iterator(chunk_size=BATCH):
            search_index.index_item(item)
            duplicates.index_item(item)
        for year in RuleSet.objects.filter(department=department).values_list("year", flat=True):
            ledger.rebuild(department, year)
        # The dashboards' monthly cells (UnitMonth) read the ledger rebuilt just above.
        dashboard_aggregates.department_build(department.pk)
        transaction.on_commit(lambda: dashboard_cache.bump(department.pk))
