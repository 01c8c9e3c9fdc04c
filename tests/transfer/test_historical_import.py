"""Historical import: a folder of .docx files and a metadata table become items with their
recorded dates and adoptions; a bad table writes nothing; a second run skips what is there."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from docx import Document

from tests.conftest import County
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import NotAllowed
from xinbao.items.models import Item, State
from xinbao.publishing.models import ExternalAdoption
from xinbao.transfer import services
from xinbao.transfer.models import HistoricalImport, ImportedDocument

HEADER = "文件名,单位代码,报送日期,类别,采用级别,采用刊物,采用期次,采用日期"


def write_docx(folder: Path, name: str, title: str, paragraphs: list[str]) -> None:
    document = Document()
    document.add_heading(title, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(folder / name))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_docx(
        tmp_path, "a.docx", "甲镇推行党员积分制管理", ["甲镇今年以来推行积分制。", "效果明显。"]
    )
    write_docx(tmp_path, "b.docx", "乙镇开展村干部轮训", ["乙镇分三批轮训村干部。"])
    write_docx(tmp_path, "c.docx", "甲镇建立流动党员驿站", ["驿站服务外出党员。"])
    return tmp_path


def table(county: County, *extra: str) -> bytes:
    a, b = county.town_a.code, county.town_b.code
    rows = [
        HEADER,
        f"a.docx,{a},2019-03-04,经验做法,县级,组工信息,2019年第3期,2019-03-10",
        "a.docx,,,,市级,市组工信息,2019年第7期,2019-04-02",
        f"b.docx,{b},2019/05/20,动态,,,,",
        f"c.docx,{a},20190611,,省级,省组工信息,第12期,2019-07-01",
        *extra,
    ]
    return "\n".join(rows).encode("utf-8")


def run(county: County, folder: Path, metadata: bytes) -> HistoricalImport:
    return services.historical_import_run(actor=county.editor, folder=folder, metadata=metadata)


def test_documents_become_items_with_their_dates_states_and_adoptions(
    county: County, folder: Path
) -> None:
    job = run(county, folder, table(county))

    assert (job.status, job.total, job.done, job.skipped) == ("done", 3, 3, 0)
    a = Item.objects.get(title="甲镇推行党员积分制管理")
    b = Item.objects.get(title="乙镇开展村干部轮训")
    c = Item.objects.get(title="甲镇建立流动党员驿站")
    assert a.body == "甲镇今年以来推行积分制。\n效果明显。"
    assert (a.state, b.state, c.state) == (State.ADOPTED, State.DECLINED, State.ADOPTED)
    assert a.unit == county.town_a and b.unit == county.town_b
    assert a.category.name == "经验做法" and c.category.name == "动态"
    assert a.submitted_at is not None and a.submitted_at.date() == datetime.date(2019, 3, 4)
    assert b.created_at.date() == datetime.date(2019, 5, 20)
    assert {e.created_at.date() for e in a.events.all()} == {datetime.date(2019, 3, 4)}
    # 乙镇 requires sign-off: its leader signed it off, through the workflow.
    assert b.events.filter(action="approve", actor=county.leader_b).exists()
    adoptions = ExternalAdoption.objects.filter(item=a).order_by("adopted_on")
    assert [(x.level, x.outlet, x.issue_label) for x in adoptions] == [
        ("county", "组工信息", "2019年第3期"),
        ("city", "市组工信息", "2019年第7期"),
    ]
    assert ExternalAdoption.objects.get(item=c).level == "province"
    assert ImportedDocument.objects.filter(job=job).count() == 3
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"transfer.import_started", "transfer.document_imported"} <= actions


def test_running_again_skips_what_was_imported(county: County, folder: Path) -> None:
    run(county, folder, table(county))
    write_docx(folder, "d.docx", "甲镇新的一篇", ["新内容。"])
    again = run(county, folder, table(county, f"d.docx,{county.town_a.code},2020-01-02,,,,,"))
    assert (again.done, again.skipped) == (1, 3)
    assert Item.objects.count() == 4


def test_a_bad_row_names_row_and_column_and_writes_nothing(county: County, folder: Path) -> None:
    metadata = table(
        county,
        f"missing.docx,{county.town_a.code},2019-01-01,,,,,",
        "c2.docx,NOPE,2019-13-01,,市级,,,",
    )
    with pytest.raises(services.HistoricalImportError) as error:
        run(county, folder, metadata)
    text = "\n".join(error.value.messages)
    assert "第 6 行“文件名”:文件夹中没有这个文件。" in text
    assert "第 7 行“采用刊物”" in text
    assert Item.objects.count() == 0
    assert not HistoricalImport.objects.exists()


def test_an_other_departments_unit_is_refused(county: County, folder: Path) -> None:
    other_town = county.other_officer.unit
    assert other_town is not None
    metadata = f"{HEADER}\na.docx,{other_town.code},2019-03-04,,,,,".encode()
    with pytest.raises(services.HistoricalImportError, match="不是本部门的在用单位"):
        run(county, folder, metadata)


def test_only_an_editor_imports(county: County, folder: Path) -> None:
    with pytest.raises(NotAllowed):
        services.historical_import_run(
            actor=county.officer_a, folder=folder, metadata=table(county)
        )


def test_an_interrupted_run_resumes(county: County, folder: Path) -> None:
    real = services.import_document
    calls = {"n": 0}

    def crash_on_second(**kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real(**kwargs)

    with (
        mock.patch.object(services, "import_document", side_effect=crash_on_second),
        pytest.raises(RuntimeError),
    ):
        run(county, folder, table(county))
    failed = HistoricalImport.objects.get()
    assert (failed.status, failed.done) == ("failed", 1)
    assert Item.objects.count() == 1  # the second document's transaction rolled back whole

    resumed = run(county, folder, table(county))
    assert (resumed.done, resumed.skipped) == (2, 1)
    assert Item.objects.count() == 3


def test_command_dry_run_checks_and_writes_nothing(
    county: County, folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    metadata = tmp_path_factory.mktemp("meta") / "meta.csv"
    metadata.write_bytes(table(county))
    out = StringIO()
    call_command(
        "import_items", str(folder), metadata=str(metadata), username="ed", dry_run=True, stdout=out
    )
    assert "检查通过:3 个文件,3 条采用记录" in out.getvalue()
    assert Item.objects.count() == 0
    call_command("import_items", str(folder), metadata=str(metadata), username="ed", stdout=out)
    assert "新导入 3 篇" in out.getvalue()
    with pytest.raises(CommandError, match="只有组织部门的编辑"):
        call_command("import_items", str(folder), metadata=str(metadata), username="off_a")


def test_imports_page_shows_progress_to_the_department_only(
    county: County, folder: Path, client: Client, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    run(county, folder, table(county))
    client.force_login(county.editor)
    response = client.get("/transfer/imports/")
    assert response.status_code == 200
    assert "100%" in response.content.decode()
    client.force_login(county.other_editor)
    assert "100%" not in client.get("/transfer/imports/").content.decode()
    client.force_login(county.officer_a)
    assert client.get("/transfer/imports/").status_code == 404


class Terminal(StringIO):
    """Standard error as a terminal: the command's progress bar draws only on one."""

    def isatty(self) -> bool:
        return True


def test_command_shows_a_progress_bar_on_a_terminal(
    county: County,
    folder: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metadata = tmp_path_factory.mktemp("meta") / "meta.csv"
    metadata.write_bytes(table(county))
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    call_command(
        "import_items", str(folder), metadata=str(metadata), username="ed", stdout=StringIO()
    )
    drawn = terminal.getvalue()
    assert "导入" in drawn and "3/3" in drawn and "篇" in drawn
    piped = StringIO()  # not a terminal (a log file, cron): no bar
    monkeypatch.setattr("sys.stderr", piped)
    call_command(
        "import_items", str(folder), metadata=str(metadata), username="ed", stdout=StringIO()
    )
    assert piped.getvalue() == ""
