"""Backups that are taken while the system writes, restored only into an empty database, and
proven by restoring them (R32, R33).

A backup directory holds:
- ``db.sqlite3`` (SQLite's online backup API: a consistent snapshot while writers go on; never a
  file copy) or ``db.dump`` (``pg_dump -Fc`` inside an exported snapshot, so that the row counts
  in the manifest are those of the dump);
- ``media/``: the attachments, copied after the database snapshot (attachments are written before
  the commit that references them, so every file the snapshot names is there);
- ``manifest.json``: engine, time, row count of every table, the audit chain's head, and the size,
  SHA-256 and SM3 of every file; ``manifest.json.sha256`` guards the manifest itself.

Keys (``var/secret_key``, ``var/audit_key``) are not in the backup: keep them apart.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.utils import load_backend
from django.utils import timezone

from xinbao.audit.chain import file_digests, verify_chain
from xinbao.audit.services import audit_record

MANIFEST = "manifest.json"
SQLITE_FILE = "db.sqlite3"
PG_FILE = "db.dump"
MEDIA = "media"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (Chinese, for the operator)."""


def model_tables() -> list[str]:
    """Every table the project's models own (m2m tables included)."""
    return sorted(
        {
            m._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy
        }
    )


def _count(cursor: Any, tables: list[str], quote: Any) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - model table names
        counts[table] = int(cursor.fetchone()[0])
    return counts


def table_counts(using: str = "default") -> dict[str, int]:
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        return _count(
            cursor, [t for t in model_tables() if t in existing], connection.ops.quote_name
        )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _head(cursor: Any) -> dict[str, Any]:
    cursor.execute("SELECT seq, mac FROM audit_auditchainhead WHERE id = 1")
    row = cursor.fetchone()
    return {"seq": int(row[0]), "mac": row[1]} if row else {"seq": 0, "mac": ""}


def backup_create(*, out: Path, using: str = "default", actor: Any = None) -> dict[str, Any]:
    """Write a backup into ``out`` (absent or empty) and return its manifest."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"备份目录 {out} 不是空目录。")
    out.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    started = timezone.now()
    if connection.vendor == "sqlite":
        db_file = out / SQLITE_FILE
        # A connection of its own: the snapshot is of what is committed, whatever transaction
        # the caller is in; writers in other processes go on (WAL) while it is read.
        name = str(connection.settings_dict["NAME"])
        source = sqlite3.connect(name, uri=name.startswith("file:"), timeout=20)
        target = sqlite3.connect(db_file)
        try:
            source.backup(target)  # all pages in one step: a consistent snapshot
            counts = _count(target.cursor(), _present(target), lambda t: f'"{t}"')
            head = _head(target.cursor())
            if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("备份的数据库未通过完整性检查。")
        finally:
            source.close()
            target.close()
    elif connection.vendor == "postgresql":
        db_file = out / PG_FILE
        counts, head = _pg_dump(connection.settings_dict, db_file)
    else:
        raise BackupError(f"不支持的数据库:{connection.vendor}")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists():
        shutil.copytree(media_root, out / MEDIA)
    else:
        (out / MEDIA).mkdir()
    files = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        _fsync(path)
        files[path.relative_to(out).as_posix()] = {
            "size": path.stat().st_size,
            **file_digests(path),
        }
    manifest = {
        "format": FORMAT,
        "engine": connection.vendor,
        "database": str(connection.settings_dict["NAME"]),
        "started_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "counts": counts,
        "audit_head": head,
        "files": files,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
    (out / MANIFEST).write_text(text, encoding="utf-8")
    (out / f"{MANIFEST}.sha256").write_text(hashlib.sha256(text.encode()).hexdigest() + "\n")
    for name in (MANIFEST, f"{MANIFEST}.sha256"):
        _fsync(out / name)
    _fsync(out)
    with transaction.atomic(using=using):
        audit_record(
            actor=actor,
            action="ops.backup",
            changes={
                "out": str(out),
                "manifest_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "files": len(files),
                "rows": sum(counts.values()),
            },
        )
    return manifest


def _present(db: sqlite3.Connection) -> list[str]:
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [t for t in model_tables() if t in names]


def _pg_dump(db: dict[str, Any], out: Path) -> tuple[dict[str, int], dict[str, Any]]:
    """``pg_dump`` of an exported snapshot; the counts are read in that same snapshot."""
    import psycopg

    params = {
        k.lower(): v for k, v in db.items() if k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")
    }
    params["dbname"] = params.pop("name")
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        cursor = conn.cursor()
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        present = {r[0] for r in cursor.fetchall()}
        counts = _count(cursor, [t for t in model_tables() if t in present], lambda t: f'"{t}"')
        head = _head(cursor)
        subprocess.run(  # noqa: S603 - pg tools from PATH, arguments from settings
            ["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(out), db["NAME"]],  # noqa: S607
            env=_pg_env(db),
            check=True,
            capture_output=True,
        )
        conn.rollback()
    return counts, head


def backup_verify(src: Path) -> dict[str, Any]:
    """The manifest, after checking its own digest and every file's size, SHA-256 and SM3."""
    src = Path(src)
    try:
        text = (src / MANIFEST).read_text(encoding="utf-8")
        expected = (src / f"{MANIFEST}.sha256").read_text().strip()
    except OSError as exc:
        raise BackupError(f"{src} 不是完整的备份(缺少清单)。") from exc
    if hashlib.sha256(text.encode()).hexdigest() != expected:
        raise BackupError("备份清单的摘要不符:清单已损坏或被改动。")
    manifest: dict[str, Any] = json.loads(text)
    for name, want in manifest["files"].items():
        path = src / name
        if not path.is_file():
            raise BackupError(f"备份缺少文件 {name}。")
        got = {"size": path.stat().st_size, **file_digests(path)}
        if got != want:
            raise BackupError(f"备份文件 {name} 的摘要不符:文件已损坏或被改动。")
    return manifest


@dataclass
class RestoreResult:
    counts: dict[str, int]
    audit: str
    seconds: float
    notes: list[str] = field(default_factory=list)


def restore_into(*, src: Path, alias: str, media_root: Path) -> RestoreResult:
    """Restore the verified backup ``src`` into the empty database of connection ``alias`` and
    the empty ``media_root``; then check integrity, row counts against the manifest and the
    audit chain. Refuses a database that already has tables, and a corrupted backup."""
    began = time.monotonic()
    manifest = backup_verify(src)
    connection = connections[alias]
    if connection.vendor != manifest["engine"]:
        raise BackupError(f"备份来自 {manifest['engine']},目标是 {connection.vendor}。")
    if connection.introspection.table_names():
        raise BackupError("目标数据库不是空库,拒绝恢复(请先建一个空库)。")
    media_root = Path(media_root)
    if media_root.exists() and any(p.is_file() for p in media_root.rglob("*")):
        raise BackupError(f"附件目录 {media_root} 不是空的,拒绝恢复。")
    connection.close()
    if connection.vendor == "sqlite":
        source = sqlite3.connect(Path(src) / SQLITE_FILE)
        target = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
            if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("恢复后的数据库未通过完整性检查。")
        finally:
            source.close()
            target.close()
    else:
        db = connection.settings_dict
        subprocess.run(  # noqa: S603 - pg tools from PATH, arguments from settings
            [  # noqa: S607 - pg_restore from PATH
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "-d",
                db["NAME"],
                str(src / PG_FILE),
            ],
            env=_pg_env(db),
            check=True,
            capture_output=True,
        )
    media = Path(src) / MEDIA
    if media.exists():
        shutil.copytree(media, media_root, dirs_exist_ok=True)
    for name, want in manifest["files"].items():
        if name.startswith(f"{MEDIA}/"):
            path = media_root / name.removeprefix(f"{MEDIA}/")
            if file_digests(path) != {k: want[k] for k in ("sha256", "sm3")}:
                raise BackupError(f"恢复后的附件 {name} 摘要不符。")
    counts = table_counts(alias)
    if counts != manifest["counts"]:
        diff = {t: (manifest["counts"].get(t), n) for t, n in counts.items()}
        diff = {t: v for t, v in diff.items() if v[0] != v[1]}
        raise BackupError(f"恢复后的行数与备份清单不符:{diff}")
    verdict = verify_chain(alias)
    if not verdict.ok:
        raise BackupError(f"恢复后的审计链校验未通过:{verdict.message}")
    return RestoreResult(counts=counts, audit=verdict.message, seconds=time.monotonic() - began)


@contextmanager
def scratch_database(alias: str = "restore_drill") -> Iterator[tuple[str, Path]]:
    """A new, empty database of the default's engine under a temporary connection alias, and an
    empty attachments directory; both removed afterwards."""
    base = dict(connections.settings["default"])
    workdir = Path(tempfile.mkdtemp(prefix="xinbao-drill-"))
    stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    if base["ENGINE"].endswith("sqlite3"):
        base["NAME"] = str(workdir / "drill.sqlite3")
        base["OPTIONS"] = {k: v for k, v in base.get("OPTIONS", {}).items() if k != "init_command"}
    else:
        base["NAME"] = f"{base['NAME']}_drill_{stamp}_{os.getpid()}"[:63]
        _pg_admin(f'CREATE DATABASE "{base["NAME"]}"')
    base["TEST"] = {}
    # A connection object of its own under ``alias`` (not added to the settings): the ORM can
    # use it, and nothing else learns about the scratch database.
    wrapper = load_backend(base["ENGINE"]).DatabaseWrapper(base, alias)
    connections[alias] = wrapper
    try:
        yield alias, workdir / "media"
    finally:
        wrapper.close()
        del connections[alias]
        if not base["ENGINE"].endswith("sqlite3"):
            _pg_admin(f'DROP DATABASE IF EXISTS "{base["NAME"]}"')
        shutil.rmtree(workdir, ignore_errors=True)


def _pg_admin(sql: str) -> None:
    """CREATE/DROP DATABASE need autocommit, hence a connection of their own."""
    import psycopg

    db = connections.settings["default"]
    params = {k.lower(): db[k] for k in ("USER", "PASSWORD", "HOST", "PORT") if db.get(k)}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(sql)


def restore_drill(*, record_dir: Path, actor: Any = None) -> dict[str, Any]:
    """Back up now, restore into a scratch database, compare, and write the restore record
    (恢复测试记录) as JSON into ``record_dir``. Returns the record; its ``result`` is
    ``"passed"`` or ``"failed"`` with the reason."""
    began = time.monotonic()
    started = timezone.now()
    work = Path(tempfile.mkdtemp(prefix="xinbao-backup-"))
    record: dict[str, Any] = {
        "title": "恢复测试记录",
        "started_at": started.isoformat(),
        "host": os.uname().nodename,
        "source_database": str(connections["default"].settings_dict["NAME"]),
        "engine": connections["default"].vendor,
        "backup_dir": str(work / "backup"),
    }
    try:
        manifest = backup_create(out=work / "backup", actor=actor)
        record["backup_manifest_sha256"] = (
            (work / "backup" / f"{MANIFEST}.sha256").read_text().strip()
        )
        record["backup_files"] = {
            name: {"sha256": f["sha256"], "sm3": f["sm3"]} for name, f in manifest["files"].items()
        }
        record["source_counts"] = manifest["counts"]
        record["source_audit_head"] = manifest["audit_head"]
        with scratch_database() as (alias, media_root):
            record["scratch_database"] = str(connections[alias].settings_dict["NAME"])
            result = restore_into(src=work / "backup", alias=alias, media_root=media_root)
            record["restored_counts"] = result.counts
            record["restored_audit"] = result.audit
            record["restore_seconds"] = round(result.seconds, 3)
        record["result"] = "passed"
    except (BackupError, subprocess.CalledProcessError, OSError) as exc:
        record["result"] = "failed"
        record["reason"] = str(exc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record["finished_at"] = timezone.now().isoformat()
    record["duration_seconds"] = round(time.monotonic() - began, 3)
    record_dir = Path(record_dir)
    record_dir.mkdir(parents=True, exist_ok=True)
    path = record_dir / f"restore-drill-{started:%Y%m%dT%H%M%S%f}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    record["record_file"] = str(path)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="ops.restore_drill",
            success=record["result"] == "passed",
            changes={"record": str(path), "result": record["result"]},
        )
    return record
