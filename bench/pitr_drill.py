"""PITR drill (R33): restore PostgreSQL to a point in time from a base backup plus the WAL
archive, and prove it: a row inserted before the target exists, one inserted after it does not.

On a private cluster (``bench/pg_cluster.py``) with ``archive_mode=on``:
1. ``pg_basebackup`` (with its manifest, checked by ``pg_verifybackup``);
2. a marker row, then the target time T, then another marker row; the WAL segment is switched
   and archived (``archive_command`` copies and syncs each segment and refuses to overwrite);
3. the cluster is killed with SIGKILL (the disaster);
4. the base backup is restored into a new data directory with ``restore_command`` reading the
   archive and ``recovery_target_time = T``; the restored server is started and promoted;
5. the markers are checked, and a restore record (恢复测试记录) is written as JSON: the times,
   RTO (restore start to accepting connections), the recovery target and the verdict.

    python bench/pitr_drill.py [--records DIR]     # exits 1 unless the drill passes
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pg_cluster import PG_BIN, PrivateCluster, free_port, own


def _archive_settings(archive: Path) -> dict[str, str]:
    return {
        "wal_level": "replica",
        "archive_mode": "on",
        # returns 0 only once the segment is stored and synced; never overwrites one
        "archive_command": f"test ! -f {archive}/%f && cp %p {archive}/%f.tmp"
        f" && sync {archive}/%f.tmp && mv {archive}/%f.tmp {archive}/%f && sync {archive}",
    }


def _wait_archived(cluster: PrivateCluster, segment: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = cluster.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
        if last and last >= segment:
            return
        time.sleep(0.2)
    raise RuntimeError(f"WAL segment {segment} was not archived in {timeout} s")


def drill(records: Path) -> dict[str, Any]:
    began = datetime.datetime.now(datetime.UTC)
    root = Path(tempfile.mkdtemp(prefix="xinbao-pitr-"))
    archive = root / "archive"
    archive.mkdir()
    own(root)
    own(archive)
    source = PrivateCluster.create(settings=_archive_settings(archive), root=root / "source")
    restored: PrivateCluster | None = None
    record: dict[str, Any] = {
        "kind": "PITR 恢复演练",
        "host": socket.gethostname(),
        "started_at": began.isoformat(),
        "postgresql": source.psql("SHOW server_version"),
    }
    try:
        source.psql("CREATE DATABASE drill")
        source.psql(
            "CREATE TABLE marker (id serial PRIMARY KEY, label text NOT NULL,"
            " at timestamptz NOT NULL DEFAULT clock_timestamp())",
            "drill",
        )
        base = root / "base"
        source.run(
            PG_BIN / "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            source.port,
            "-U",
            "postgres",
            "-D",
            base,
            "-X",
            "stream",
            "--checkpoint=fast",
        )
        source.run(PG_BIN / "pg_verifybackup", base)
        record["base_backup"] = "pg_basebackup -X stream; pg_verifybackup ok"
        source.psql("INSERT INTO marker (label) VALUES ('before')", "drill")
        time.sleep(1.1)
        target = source.psql("SELECT clock_timestamp()")
        time.sleep(1.1)
        source.psql("INSERT INTO marker (label) VALUES ('after')", "drill")
        segment = source.psql("SELECT pg_walfile_name(pg_switch_wal())")
        _wait_archived(source, segment)
        record.update(recovery_target_time=target, last_archived_segment=segment)
        source.kill()  # the disaster: the server dies and its data directory is given up

        restore_began = time.monotonic()
        new_root = root / "restored"
        new_root.mkdir()
        shutil.copytree(base, new_root / "data")
        restored = PrivateCluster(new_root, free_port())
        for path in [new_root, *new_root.rglob("*")]:
            own(path)
        (new_root / "data").chmod(0o700)
        with (new_root / "data" / "postgresql.auto.conf").open("a") as conf:
            conf.write(
                f"restore_command = 'cp {archive}/%f %p'\n"
                f"recovery_target_time = '{target}'\n"
                "recovery_target_action = 'promote'\n"
            )
        (new_root / "data" / "recovery.signal").touch()
        own(new_root / "data" / "recovery.signal")
        restored.start(timeout=120)
        deadline = time.monotonic() + 60
        while restored.psql("SELECT pg_is_in_recovery()") != "f":
            if time.monotonic() > deadline:
                raise RuntimeError("the restored server was not promoted")
            time.sleep(0.2)
        rto = time.monotonic() - restore_began
        labels = restored.psql("SELECT string_agg(label, ',' ORDER BY id) FROM marker", "drill")
        record.update(
            markers=labels,
            rto_seconds=round(rto, 2),
            rpo="恢复到指定时刻;该时刻之前已归档的提交全部恢复",
        )
        record["result"] = "通过" if labels == "before" else "未通过"
    except Exception as exc:
        record["result"] = "未通过"
        record["error"] = f"{exc.__class__.__name__}: {exc}"
        raise
    finally:
        record["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat()
        records.mkdir(parents=True, exist_ok=True)
        name = f"pitr-{began.strftime('%Y%m%dT%H%M%SZ')}.json"
        (records / name).write_text(json.dumps(record, ensure_ascii=False, indent=2))
        record["record_file"] = str(records / name)
        for cluster in (source, restored):
            if cluster is not None:
                cluster.stop()
        if record.get("result") == "通过":
            shutil.rmtree(root, ignore_errors=True)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=Path("var/restore_records"))
    args = parser.parse_args(argv)
    record = drill(args.records)
    print(json.dumps(record, ensure_ascii=False))
    print(f"pitr={'ok' if record['result'] == '通过' else 'failed'} markers={record['markers']}")
    return 0 if record["result"] == "通过" else 1


if __name__ == "__main__":
    sys.exit(main())
