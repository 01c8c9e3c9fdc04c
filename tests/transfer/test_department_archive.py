"""The portable archive of a department (``xinbao export_department`` / ``import_department``):
the demo county, with an attachment, a topic, a review, a deduction and key-work tags added,
goes out and comes back into an emptied database with the same rankings; a changed, incomplete
or repeated archive is refused with a Chinese message and changes nothing."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import connection, transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from tests.factories import docx_bytes, make_attachment
from xinbao.audit import triggers
from xinbao.audit.models import AuditRecord
from xinbao.items.attachments import stored_digest_ok
from xinbao.items.models import Attachment, Item, State
from xinbao.orgs.demo import content as demo_content
from xinbao.orgs.demo.items import SHOWCASE
from xinbao.orgs.models import Role, Unit, User
from xinbao.publishing.models import ExternalAdoption, Level
from xinbao.scoring import ledger
from xinbao.scoring.models import ItemReview, ManualAdjustment, RuleSet, ScoreEntry
from xinbao.search.queries import search_items
from xinbao.topics.models import KeyWorkArea, KeyWorkTag, Topic, TopicTarget
from xinbao.transfer.archive import signing
from xinbao.transfer.archive.export import department_export
from xinbao.transfer.archive.format import KINDS, ArchiveError
from xinbao.transfer.archive.load import Archive, archive_read, department_import
from xinbao.uploads import sm3_hex

MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
COUNTY = demo_content.COUNTY.code
ATTACHMENT_TEXT = "附件正文:村级党组织换届工作总结"

pytestmark = pytest.mark.django_db


def rankings() -> dict[int, Any]:
    years = sorted(RuleSet.objects.filter(department__code=COUNTY).values_list("year", flat=True))
    result = {}
    for year in years:
        for officers in (False, True):
            out = StringIO()
            args = ["--year", str(year), "--department", COUNTY, "--format", "json"]
            call_command("ranking", *args, *(["--officers"] if officers else []), stdout=out)
            result[year * 10 + officers] = json.loads(out.getvalue())["rows"]
    return result


def counts(path: Path) -> dict[str, int]:
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    return {k["name"]: k["count"] for k in manifest["kinds"]}


def add_facts() -> None:
    """What the short demo lacks: an attachment, a topic answered, a review, a deduction and
    key-work tags, all on the county's items."""
    dept = Unit.objects.get(code=COUNTY)
    editor = User.objects.filter(role=Role.EDITOR, unit=dept).first()
    assert editor is not None
    submitted = Item.objects.filter(department=dept, submitted_at__isnull=False)
    items = sorted(submitted, key=lambda i: (i.state != State.ADOPTED, i.pk))[:3]
    assert items[0].state == State.ADOPTED
    make_attachment(item=items[0], data=b"\x89PNG fake but stored", name="现场照片.png")
    attachment = make_attachment(
        item=items[1],
        data=docx_bytes(ATTACHMENT_TEXT),
        name="总结.docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    for a in Attachment.objects.filter(item__department=dept):
        with a.file.open("rb") as handle:
            a.sm3 = sm3_hex(handle.read())
        a.save(update_fields=["sm3"])
    assert attachment.file.name
    year = items[0].submitted_at.year if items[0].submitted_at else timezone.now().year
    topic = Topic.objects.create(
        department=dept,
        title="约稿:基层党建创新做法",
        wanted="请报送创新做法。",
        deadline=timezone.make_aware(datetime.datetime(year, 12, 31, 18)),
        targeting=Topic.Targeting.LIST,
        created_by=editor,
    )
    TopicTarget.objects.create(
        topic=topic,
        unit=items[2].unit,
        outcome=TopicTarget.Outcome.ANSWERED_ON_TIME,
        answered_at=items[2].submitted_at,
    )
    Item.objects.filter(pk=items[2].pk).update(topic=topic)
    ItemReview.objects.create(
        item=items[0],
        kind=ItemReview.Kind.REFERENCE,
        rubric={"clear": 20, "accurate": 20, "timely": 20, "novel": 20},
        score=80,
        reviewed_by=editor,
    )
    ManualAdjustment.objects.create(
        department=dept,
        year=year,
        unit=items[1].unit,
        kind=ManualAdjustment.Kind.LATE_REPORT,
        occurred_on=datetime.date(year, 6, 1),
        reason="迟报一次",
        created_by=editor,
    )
    area = KeyWorkArea.objects.filter(department=dept).first()
    if area is not None:
        KeyWorkTag.objects.bulk_create(
            [KeyWorkTag(area=area, item=item, tagged_by=editor) for item in items]
        )
    # Recorded by the city's editor: a person of another department the archive must name.
    ExternalAdoption.objects.create(
        item=items[0],
        level=Level.CITY,
        outlet="《澜江组工》",
        issue_label="第 9 期",
        adopted_on=datetime.date(year, 6, 2),
        recorded_by=User.objects.get(username="city_editor"),
    )
    for rule_year in RuleSet.objects.filter(department=dept).values_list("year", flat=True):
        ledger.rebuild(dept, rule_year)


@pytest.fixture(scope="class")
def exported(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, tmp_path_factory: Any
) -> Iterator[dict[str, Any]]:
    """The short demo county plus ``add_facts``, exported once for the class (rolled back
    after it; each test runs in its own savepoint)."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=[MD5_HASHER], MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        call_command("demo_data", items=len(SHOWCASE), stdout=StringIO())
        add_facts()
        path = tmp_path_factory.mktemp("archive") / "county.zip"
        result = department_export(department=Unit.objects.get(code=COUNTY), out=path)
        yield {
            "path": path,
            "media": media,
            "result": result,
            "rankings": rankings(),
            "users": User.objects.filter(unit__department__code=COUNTY).count(),
        }
        transaction.set_rollback(True)


def empty_database() -> None:
    """Every table emptied, as on a new installation (the audit log's triggers lifted)."""
    if connection.vendor == "postgresql":  # TRUNCATE refuses while deferred checks are queued
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with triggers.lifted(connection):
        statements = sql_flush(no_style(), connection, allow_cascade=False)
        connection.ops.execute_sql_flush(statements)
    assert not Unit.objects.exists()


def rewrite(
    path: Path, out: Path, change: dict[str, bytes], *, fix_manifest: bool, resign: bool = True
) -> Path:
    """A copy of the archive with members replaced; with ``fix_manifest`` the manifest's
    digests and counts are made to match, as a careful forger would, and (``resign``) signed
    again as only a holder of the transfer key could."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members.update(change)
    if fix_manifest:
        manifest = json.loads(members["manifest.json"])
        for kind in manifest["kinds"]:
            data = members[kind["file"]]
            kind["sm3"] = sm3_hex(data)
            kind["count"] = len(data.splitlines())
        members["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()
        if resign:
            members[signing.SIGNATURE] = signing.sign(members["manifest.json"])
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def stored_files(media: Path) -> list[Path]:
    return sorted(p for p in Path(media).rglob("*") if p.is_file())


def table_counts() -> dict[str, int]:
    return {k.name: k.model._default_manager.count() for k in KINDS}


def changed_line(items: bytes) -> bytes:
    """``items.jsonl`` with one character added to the first body (still valid JSON): the
    demo's wording depends on the day, so no particular word is sure to be there to replace."""
    body = items.index(b'"body": "') + len(b'"body": "')
    return items[:body] + "改".encode() + items[body:]


@pytest.mark.usefixtures("exported")
class TestRoundTrip:
    def test_archive_holds_every_kind_with_digests(self, exported: dict[str, Any]) -> None:
        found = counts(exported["path"])
        assert found["items"] >= len(SHOWCASE)
        for kind in ("units", "users", "item_events", "revisions", "attachments", "topics"):
            assert found[kind] > 0, kind
        assert found["item_reviews"] == 1
        assert found["manual_adjustments"] == 1
        with zipfile.ZipFile(exported["path"]) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            assert manifest["format"] == "xinbao-department-archive"
            assert manifest["department"]["code"] == COUNTY
            assert len(manifest["files"]) == 2
            for entry in manifest["files"]:
                assert sm3_hex(zf.read(entry["name"])) == entry["sm3"]
            users = [json.loads(line) for line in zf.read("users.jsonl").splitlines()]
        assert all("password" not in row for row in users)
        # The city department's editor comes as a context row, the county's people do not.
        context = {row["username"] for row in users if row["context"]}
        assert context == {"city_editor"}
        assert AuditRecord.objects.filter(action="department.export").count() == 1

    def test_import_into_an_empty_database_gives_the_same_rankings(
        self, exported: dict[str, Any], tmp_path: Path
    ) -> None:
        empty_database()
        result = department_import(path=exported["path"])
        assert result.department.code == COUNTY
        assert rankings() == exported["rankings"]
        assert ScoreEntry.objects.exists()
        # The dashboards' monthly cells were built from the imported facts, in the import.
        from xinbao.dashboard.models import AggregateBuild, UnitMonth

        assert AggregateBuild.objects.filter(department=result.department).exists()
        cells = UnitMonth.objects.filter(department=result.department)
        assert (
            sum(cell.data.get("s", 0) for cell in cells)
            == Item.objects.exclude(submitted_at=None).filter(department=result.department).count()
        )
        # Everything came back: the archive of the imported department counts the same.
        again = department_export(department=result.department, out=tmp_path / "again.zip")
        assert again.counts == exported["result"].counts
        # Attachments verify against their SM3 digests, stored under new names.
        attachments = list(Attachment.objects.all())
        assert len(attachments) == 2
        for attachment in attachments:
            with attachment.file.open("rb") as handle:
                assert stored_digest_ok(attachment, handle.read())
        # The indexes were rebuilt: the attachment's text is searchable by an editor.
        editor = User.objects.get(username="editor")
        assert search_items(editor, "换届工作总结").count >= 1
        # Accounts: no password came across; the department's own are active, others disabled.
        people = User.objects.filter(unit__department__code=COUNTY)
        assert people.count() == exported["users"]
        assert not any(user.has_usable_password() for user in User.objects.all())
        assert all(user.must_change_password for user in User.objects.all())
        assert not User.objects.get(username="city_editor").is_active
        assert editor.is_active
        assert AuditRecord.objects.filter(action="department.import").count() == 1
        call_command("audit", "verify", stdout=StringIO())

    def test_a_second_import_is_refused_and_changes_nothing(self, exported: dict[str, Any]) -> None:
        before = table_counts()
        with pytest.raises(ArchiveError, match="已在本系统中"):
            department_import(path=exported["path"])
        assert table_counts() == before

    def test_a_changed_line_is_refused_and_nothing_is_written(
        self, exported: dict[str, Any], tmp_path: Path
    ) -> None:
        with zipfile.ZipFile(exported["path"]) as zf:
            items = zf.read("items.jsonl")
        changed = changed_line(items)
        tampered = rewrite(
            exported["path"], tmp_path / "t.zip", {"items.jsonl": changed}, fix_manifest=False
        )
        empty_database()
        media_before = stored_files(exported["media"])
        with pytest.raises(ArchiveError, match="SM3 摘要") as refused:
            department_import(path=tampered)
        assert "items.jsonl" in str(refused.value)
        assert not Unit.objects.exists() and not Item.objects.exists()
        assert stored_files(exported["media"]) == media_before

    def test_a_changed_attachment_is_refused(
        self, exported: dict[str, Any], tmp_path: Path
    ) -> None:
        with zipfile.ZipFile(exported["path"]) as zf:
            name = next(n for n in zf.namelist() if n.startswith("files/"))
        tampered = rewrite(
            exported["path"], tmp_path / "t.zip", {name: b"other bytes"}, fix_manifest=True
        )
        empty_database()
        with pytest.raises(ArchiveError, match="SM3 摘要"):
            department_import(path=tampered)
        assert not Unit.objects.exists()

    def test_a_forger_without_the_key_is_refused_and_nothing_is_written(
        self, exported: dict[str, Any], tmp_path: Path
    ) -> None:
        with zipfile.ZipFile(exported["path"]) as zf:
            items = zf.read("items.jsonl")
        changed = changed_line(items)
        tampered = rewrite(
            exported["path"],
            tmp_path / "t.zip",
            {"items.jsonl": changed},
            fix_manifest=True,
            resign=False,
        )
        empty_database()
        media_before = stored_files(exported["media"])
        with pytest.raises(ArchiveError, match="归档签名不符"):
            department_import(path=tampered)
        assert not Unit.objects.exists() and not Item.objects.exists()
        assert stored_files(exported["media"]) == media_before

    def test_an_unsigned_archive_is_refused(self, exported: dict[str, Any], tmp_path: Path) -> None:
        with zipfile.ZipFile(exported["path"]) as zf:
            members = {n: zf.read(n) for n in zf.namelist() if n != signing.SIGNATURE}
        with zipfile.ZipFile(tmp_path / "u.zip", "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        empty_database()
        with pytest.raises(ArchiveError, match="归档没有签名"):
            department_import(path=tmp_path / "u.zip")
        assert not Unit.objects.exists()

    def test_an_archive_signed_with_another_key_is_refused(
        self, exported: dict[str, Any], tmp_path: Path
    ) -> None:
        empty_database()
        with (
            override_settings(XINBAO_TRANSFER_KEY="another-installation-key-" + "x" * 32),
            pytest.raises(ArchiveError, match="另一把传输密钥"),
        ):
            department_import(path=exported["path"])
        assert not Unit.objects.exists()

    def test_a_file_changed_after_reading_is_caught_while_copying(
        self, exported: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The import reads members as streams: only the small kinds stay in memory, and each
        file's SM3 is computed again as it is copied into storage."""
        empty_database()
        media_before = stored_files(exported["media"])
        archive = archive_read(exported["path"])
        assert set(archive.small) == {"units", "users", "categories"}
        monkeypatch.setattr(Archive, "open_file", lambda self, sm3: io.BytesIO(b"swapped bytes"))
        with pytest.raises(ArchiveError, match="SM3 摘要"):
            department_import(path=exported["path"], archive=archive)
        assert not Unit.objects.exists() and not Attachment.objects.exists()
        assert stored_files(exported["media"]) == media_before

    def test_a_dangling_reference_is_named_even_with_a_matching_manifest(
        self, exported: dict[str, Any], tmp_path: Path
    ) -> None:
        with zipfile.ZipFile(exported["path"]) as zf:
            lines = zf.read("items.jsonl").splitlines()
        row = json.loads(lines[0])
        row["unit"] = "NOWHERE"
        lines[0] = json.dumps(row, ensure_ascii=False).encode()
        tampered = rewrite(
            exported["path"],
            tmp_path / "t.zip",
            {"items.jsonl": b"\n".join(lines) + b"\n"},
            fix_manifest=True,
        )
        empty_database()
        with pytest.raises(ArchiveError, match=r"items\.jsonl 第 1 行.*NOWHERE.*不在归档中"):
            department_import(path=tampered)
        assert not Unit.objects.exists()

    def test_a_failure_while_writing_rolls_back_rows_and_files(
        self, exported: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        empty_database()
        media_before = stored_files(exported["media"])

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("ledger failed")

        monkeypatch.setattr(ledger, "rebuild", broken)
        with pytest.raises(RuntimeError, match="ledger failed"):
            department_import(path=exported["path"])
        assert not Unit.objects.exists() and not User.objects.exists()
        assert stored_files(exported["media"]) == media_before

    def test_the_commands_show_progress_and_refuse_in_chinese(
        self, exported: dict[str, Any], tmp_path: Path
    ) -> None:
        out = StringIO()
        call_command(
            "export_department",
            "--department",
            COUNTY,
            "--out",
            str(tmp_path / "c.zip"),
            "--no-progress",
            stdout=out,
        )
        assert "已导出" in out.getvalue()
        assert counts(tmp_path / "c.zip") == counts(exported["path"])
        with pytest.raises(CommandError, match="已在本系统中"):
            call_command("import_department", str(tmp_path / "c.zip"), "--no-progress")
        (tmp_path / "bad.zip").write_bytes(b"not a zip")
        with pytest.raises(CommandError, match="无法打开归档文件"):
            call_command("import_department", str(tmp_path / "bad.zip"), "--no-progress")


def test_an_archive_of_another_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v9.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "manifest.json", json.dumps({"format": "xinbao-department-archive", "version": 9})
        )
    with pytest.raises(ArchiveError, match="归档格式版本 9 不受支持"):
        department_import(path=path)
    assert not Unit.objects.annotate(n=Count("pk")).exists()
