"""Word and PDF export of an issue (GB/T 9704-2012 layout) and the ``export_issue`` command."""

from __future__ import annotations

import datetime
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from tests.conftest import County
from tests.factories import make_item
from xinbao.items.models import Item
from xinbao.items.services import transition
from xinbao.publishing import pdf as pdf_module
from xinbao.publishing.docx import (
    FANGSONG,
    HEITI,
    KAITI,
    SONGTI,
    XIAOBIAOSONG,
    headline_lines,
    issue_docx,
)
from xinbao.publishing.docx.layout import LINE_PITCH, LINES_PER_PAGE
from xinbao.publishing.models import Publication, PublicationIssue
from xinbao.publishing.pdf import PdfConversionFailed, PdfUnavailable, docx_to_pdf, issue_pdf
from xinbao.publishing.services import (
    entry_update,
    issue_add_item,
    issue_correct,
    issue_create,
    issue_publish,
    issue_update_meta,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ISSUE_DATE = datetime.date(2026, 11, 28)
HALF_MM = Mm(0.5)

ENTRIES = [
    (
        "甲镇“党建+网格”打通服务群众“最后一公里”",
        "今年以来，甲镇坚持把党建引领基层治理作为抓基层、打基础的重要抓手，"
        "将全镇划分为48个网格，推动党员干部下沉网格、服务群众。\n"
        "一是织密组织体系。按照“镇党委—村党组织—网格党小组—党员中心户”四级架构，"
        "建立网格党小组126个，选派132名党员担任网格长，实现党的组织和工作全覆盖。\n"
        "二是健全运行机制。推行“网格员每日巡、网格长每周访、村党组织每月议”工作法，"
        "群众反映的问题分级办理、限时办结，今年以来共收集解决群众诉求1360余件。\n"
        "三是强化考评激励。把网格工作成效纳入党员积分管理和村干部年度考核，"
        "评选“红旗网格”12个，形成比学赶超的良好氛围。",
        "“党建+网格”是加强基层治理的有效途径。甲镇的做法值得各乡镇学习借鉴。",
    ),
    (
        "乙镇实施“头雁工程”锻造过硬村级带头人队伍",
        "乙镇聚焦村党组织书记队伍建设，实施“头雁工程”，着力打造一支政治过硬、"
        "本领高强、群众信赖的带头人队伍。\n"
        "该镇建立村级后备力量库，储备优秀年轻干部86名；采取“导师帮带+跟岗锻炼”方式，"
        "安排镇领导班子成员与后备干部结对，帮助其提升能力。\n"
        "截至目前，全镇已有9名后备干部进入村“两委”班子，村党组织书记平均年龄下降4.2岁。",
        "",
    ),
    (
        "丙乡探索“积分制”激发党员队伍活力",
        "丙乡在全乡农村党员中推行积分制管理，围绕政治学习、组织生活、志愿服务、"
        "带头致富等设置积分项目，每季度公示、年底评议，积分结果与评先评优挂钩。"
        "全乡党员参与组织生活的比例提高到96%以上。",
        "",
    ),
]


@pytest.fixture
def publication(county: County) -> Publication:
    # A running publication brought into xinbao: 2026年 11 issues, 344 in all, so far.
    return Publication.objects.create(
        department=county.dept,
        name="组工信息",
        kind=Publication.Kind.PERIODICAL,
        distribution="报送：市委组织部。",
        last_year=2026,
        last_number=11,
        last_total_number=344,
    )


def adopted_item(county: County, title: str, body: str) -> Item:
    item = make_item(officer=county.officer_a, title=title, body=body)
    item = transition(item=item, actor=county.officer_a, action="submit")
    return transition(item=item, actor=county.editor, action="adopt")


def publish_issue(county: County, publication: Publication) -> PublicationIssue:
    issue = issue_create(publication=publication, actor=county.editor)
    for headline, text, note in ENTRIES:
        entry = issue_add_item(
            issue=issue, item=adopted_item(county, headline, text), actor=county.editor
        )
        entry_update(
            entry=entry,
            actor=county.editor,
            headline=headline,
            text=text,
            editor_note=note,
            source_line="（甲镇党委供稿）",
        )
    issue_update_meta(
        issue=issue,
        actor=county.editor,
        title="",
        issue_date=ISSUE_DATE,
        compiler="王编辑",
        signer="李部长",
        distribution="报送：市委组织部。\n抄送：县委常委，县人大常委会、县政府、县政协党组。",
    )
    return issue_publish(issue=issue, actor=county.editor)


@pytest.fixture
def issue(county: County, publication: Publication) -> PublicationIssue:
    return publish_issue(county, publication)


@pytest.fixture
def document(issue: PublicationIssue) -> Any:
    return Document(io.BytesIO(issue_docx(issue)))


def east_asian_font(run: Any) -> str | None:
    fonts = run._element.rPr.rFonts
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def runs_with_text(document: Any, text: str) -> list[Any]:
    return [run for p in document.paragraphs for run in p.runs if text in run.text]


def paragraph_with(document: Any, text: str) -> Any:
    return next(p for p in document.paragraphs if text in p.text)


# --- page ---------------------------------------------------------------------------------------


def test_page_is_a4_with_the_standard_margins(document: Any) -> None:
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < HALF_MM
    assert abs(section.page_height - Mm(297)) < HALF_MM
    assert abs(section.top_margin - Mm(37)) < HALF_MM
    assert abs(section.bottom_margin - Mm(35)) < HALF_MM
    assert abs(section.left_margin - Mm(28)) < HALF_MM
    assert abs(section.right_margin - Mm(26)) < HALF_MM


def test_body_is_set_22_lines_of_28_characters(document: Any) -> None:
    grid = document.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    line_pitch = int(grid.get(qn("w:linePitch")))
    type_height = Mm(297 - 37 - 35).twips
    assert line_pitch * LINES_PER_PAGE <= type_height < line_pitch * (LINES_PER_PAGE + 1)
    assert line_pitch == LINE_PITCH.twips == 579
    run = paragraph_with(document, "一是织密组织体系").runs[0]
    tracking = int(run._element.rPr.find(qn("w:spacing")).get(qn("w:val"))) / 20  # points
    char_pitch = 16 + tracking
    type_width = Mm(210 - 28 - 26).pt
    assert char_pitch * 28 <= type_width < char_pitch * 29


# --- masthead -----------------------------------------------------------------------------------


def test_masthead_prints_the_publication_name_in_red(document: Any) -> None:
    first = document.paragraphs[0]
    assert first.text == "组工信息"
    assert first.alignment == 1  # centred
    run = first.runs[0]
    assert run.font.color.rgb in (RGBColor(0xC0, 0, 0), RGBColor(0xFF, 0, 0))
    assert east_asian_font(run) == XIAOBIAOSONG[0]
    assert run.font.size >= Pt(36)


def test_masthead_has_issue_line_department_date_and_red_rule(document: Any) -> None:
    line = document.paragraphs[1].text
    assert "2026年第12期" in line
    assert "总第345期" in line
    assert "更正版" not in line
    byline = paragraph_with(document, "测试县委组织部")
    assert "2026年11月28日" in byline.text
    rules = [
        p
        for p in document.paragraphs[:6]
        if p._p.pPr is not None and p._p.pPr.find(qn("w:pBdr")) is not None
    ]
    assert len(rules) == 1
    bottom = rules[0]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) in ("C00000", "FF0000")
    assert bottom.get(qn("w:val")) == "single"


def test_correction_is_marked_in_the_issue_line(
    county: County, issue: PublicationIssue, publication: Publication
) -> None:
    correction = issue_correct(issue=issue, actor=county.editor, reason="第二条标题有误")
    correction = issue_publish(issue=correction, actor=county.editor)
    document = Document(io.BytesIO(issue_docx(correction)))
    assert document.paragraphs[1].text == "2026年第12期（总第345期）（更正版）"


def test_issue_title_is_printed_under_the_issue_line(
    county: County, publication: Publication
) -> None:
    issue = issue_create(publication=publication, actor=county.editor)
    issue_add_item(issue=issue, item=adopted_item(county, "标题", "正文。"), actor=county.editor)
    issue = issue_update_meta(
        issue=issue,
        actor=county.editor,
        title="换届工作专刊",
        issue_date=ISSUE_DATE,
        compiler="王编辑",
        signer="",
        distribution="",
    )
    document = Document(io.BytesIO(issue_docx(issue)))  # a draft exports as well (preview)
    assert document.paragraphs[2].text == "换届工作专刊"
    # Nothing to send to and no signer: the distribution block holds the editor alone.
    (table,) = document.tables
    assert [row.cells[0].text for row in table.rows] == ["编辑：王编辑"]


# --- entries ------------------------------------------------------------------------------------


def test_headlines_are_centred_xiaobiaosong_22pt(document: Any) -> None:
    for headline, _text, _note in ENTRIES:
        paragraph = paragraph_with(document, headline_lines(headline)[0])
        assert paragraph.text.replace("\n", "") == headline
        assert paragraph.alignment == 1
        for run in paragraph.runs:
            assert east_asian_font(run) == XIAOBIAOSONG[0]
            assert run.font.size == Pt(22)


@pytest.mark.parametrize(
    ("headline", "lines"),
    [
        ("丙乡探索“积分制”激发党员队伍活力", ["丙乡探索“积分制”激发党员队伍活力"]),
        (
            "乙镇实施“头雁工程”锻造过硬村级带头人队伍",
            ["乙镇实施“头雁工程”", "锻造过硬村级带头人队伍"],
        ),
        (
            "甲镇“党建+网格”打通服务群众“最后一公里”",
            ["甲镇“党建+网格”", "打通服务群众“最后一公里”"],
        ),
        (
            "某县：推行党员积分管理激发农村党员队伍活力",
            ["某县：", "推行党员积分管理激发农村党员队伍活力"],
        ),
        (
            "某县推行党员积分管理激发农村党员队伍活力取得实效",
            ["某县推行党员积分管理激发农村党员队伍活力取得实效"],
        ),
    ],
)
def test_long_headline_breaks_at_punctuation_near_its_middle(
    headline: str, lines: list[str]
) -> None:
    assert headline_lines(headline) == lines


def test_headline_break_is_a_line_break_in_the_paragraph(document: Any) -> None:
    paragraph = paragraph_with(document, "乙镇实施“头雁工程”")
    assert paragraph.text == "乙镇实施“头雁工程”\n锻造过硬村级带头人队伍"


def test_body_is_fangsong_16pt_indented_two_characters(document: Any) -> None:
    body = paragraph_with(document, "一是织密组织体系")
    (run,) = body.runs
    assert east_asian_font(run) == FANGSONG[0] == "仿宋_GB2312"
    assert run.font.size == Pt(16)
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert body.paragraph_format.line_spacing == LINE_PITCH
    # Each line of the entry's text is a paragraph of its own.
    assert len([p for p in document.paragraphs if p.text.startswith(("一是", "二是", "三是"))]) == 3


def test_editor_note_has_heiti_label_and_kaiti_text(document: Any) -> None:
    note = paragraph_with(document, "编者按")
    label, text = note.runs
    assert label.text == "编者按："
    assert east_asian_font(label) == HEITI[0]
    assert text.text.startswith("“党建+网格”是加强基层治理")
    assert east_asian_font(text) == KAITI[0]
    # The note stands before the headline it belongs to.
    texts = [p.text.replace("\n", "") for p in document.paragraphs]
    assert texts.index(note.text) + 1 == texts.index(ENTRIES[0][0])


def test_source_line_is_set_at_the_right_under_the_last_body_line(document: Any) -> None:
    # A line of the last body paragraph, so that widow control keeps it with the body.
    lasts = [p for p in document.paragraphs if p.text.endswith("\n\t（甲镇党委供稿）")]
    assert len(lasts) == len(ENTRIES)
    for paragraph, (_headline, text, _note) in zip(lasts, ENTRIES, strict=True):
        assert paragraph.text.startswith(text.splitlines()[-1])
        (stop,) = paragraph.paragraph_format.tab_stops
        assert stop.alignment == WD_TAB_ALIGNMENT.RIGHT
        assert abs(stop.position - Mm(210 - 28 - 26)) < HALF_MM
        assert east_asian_font(paragraph.runs[-1]) == KAITI[0]
    settings = document.settings.element
    assert settings.find(qn("w:compat")).find(qn("w:doNotExpandShiftReturn")) is not None


def test_fallback_fonts_are_declared_in_the_font_table(document: Any) -> None:
    part = next(
        p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"
    )
    table = part.blob.decode()
    assert 'w:name="仿宋_GB2312"' in table
    assert 'w:altName w:val="仿宋,FangSong' in table


# --- footer and distribution --------------------------------------------------------------------


def test_footer_has_page_field_between_em_dashes(document: Any) -> None:
    section = document.sections[0]
    for footer in (section.footer, section.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in "".join(t.text for t in footer._element.iter(qn("w:instrText")))
        assert 'w:fldCharType="begin"' in xml
        (paragraph,) = footer.paragraphs
        assert paragraph.text.startswith("— ")
        assert paragraph.text.endswith(" —")
        assert all(run.font.size == Pt(14) for run in paragraph.runs)
        assert east_asian_font(paragraph.runs[0]) == SONGTI[0]


def test_distribution_block_ends_the_document(document: Any) -> None:
    body = document.element.body
    last_block = [child for child in body if child.tag != qn("w:sectPr")][-1]
    assert last_block.tag == qn("w:tbl")
    (table,) = document.tables
    lines = [row.cells[0].text for row in table.rows]
    assert lines == [
        "报送：市委组织部。",
        "抄送：县委常委，县人大常委会、县政府、县政协党组。",
        "编辑：王编辑\u3000\u3000签发：李部长",
    ]
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders.find(qn("w:top")).get(qn("w:val")) == "single"
    assert borders.find(qn("w:bottom")).get(qn("w:val")) == "single"


# --- PDF ----------------------------------------------------------------------------------------


def require(*names: str) -> str:
    """The path of the first of ``names`` installed. Missing, the test is skipped, except in CI,
    which installs it (``make system-deps``) and must not skip silently."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    reason = f"{' / '.join(names)} is not installed (make system-deps installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must have it: {reason}")
    pytest.skip(reason)


def test_issue_converts_to_pdf_and_first_page_is_saved_as_png(issue: PublicationIssue) -> None:
    require("libreoffice", "soffice")
    pdftoppm = require("pdftoppm")
    pdf = issue_pdf(issue)
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "issue.pdf").write_bytes(pdf)
    prefix = ARTIFACTS / "issue_page1"
    subprocess.run(  # noqa: S603 - fixed arguments and an absolute path found above
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", "-", str(prefix)],
        input=pdf,
        check=True,
        timeout=60,
    )
    png = prefix.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pdf_unavailable_without_libreoffice(
    issue: PublicationIssue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    with pytest.raises(PdfUnavailable) as raised:
        issue_pdf(issue)
    assert str(raised.value) == "本机未安装 LibreOffice,无法生成 PDF;请下载 Word 文件。"


def fake_renderer(tmp_path: Path, script: str) -> str:
    path = tmp_path / "soffice"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return str(path)


def test_failed_conversion_is_reported_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    binary = fake_renderer(tmp_path, "echo 'source file could not be loaded' >&2; exit 1")
    with pytest.raises(PdfConversionFailed, match="PDF 生成失败"):
        docx_to_pdf(b"not a docx", binary=binary, label="7")
    assert "source file could not be loaded" in caplog.text


def test_conversion_past_its_time_limit_is_stopped(tmp_path: Path) -> None:
    binary = fake_renderer(tmp_path, "sleep 30")
    with pytest.raises(PdfConversionFailed):
        docx_to_pdf(b"", binary=binary, timeout=0.5)


# --- command ------------------------------------------------------------------------------------


def test_export_issue_writes_the_word_file(issue: PublicationIssue, tmp_path: Path) -> None:
    out = tmp_path / "12.docx"
    call_command(
        "export_issue",
        "--publication",
        "组工信息",
        "--year",
        "2026",
        "--number",
        "12",
        "--out",
        str(out),
        stdout=io.StringIO(),
    )
    assert Document(str(out)).paragraphs[0].text == "组工信息"


def test_export_issue_latest_takes_the_newest_published_issue(
    county: County, publication: Publication, issue: PublicationIssue, tmp_path: Path
) -> None:
    newer = publish_issue(county, publication)
    assert newer.number == 13
    out = tmp_path / "latest.docx"
    stdout = io.StringIO()
    call_command(
        "export_issue", "--publication", "组工信息", "--latest", "--out", str(out), stdout=stdout
    )
    assert "2026年第13期" in Document(str(out)).paragraphs[1].text
    assert str(out) in stdout.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--publication", "不存在的刊物", "--latest"], "找不到名为“不存在的刊物”的刊物"),
        (["--publication", "组工信息", "--year", "2026", "--number", "30"], "尚未发布"),
        (["--publication", "组工信息", "--year", "2026", "--number", "3"], "找不到"),
        (["--publication", "组工信息"], "--latest"),
        (["--publication", "组工信息", "--latest", "--year", "2026"], "--latest"),
    ],
)
def test_export_issue_refuses_with_a_clear_message(
    issue: PublicationIssue, tmp_path: Path, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("export_issue", *args, "--out", str(tmp_path / "x.docx"))
    assert not (tmp_path / "x.docx").exists()


def test_export_issue_refuses_a_publication_with_nothing_published(
    county: County, publication: Publication, tmp_path: Path
) -> None:
    issue_create(publication=publication, actor=county.editor)  # a draft only
    with pytest.raises(CommandError, match="还没有已发布的期"):
        call_command("export_issue", "--publication", "组工信息", "--latest")


def test_export_issue_pdf_without_renderer_keeps_the_word_file(
    issue: PublicationIssue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    out = tmp_path / "12.docx"
    with pytest.raises(CommandError, match="本机未安装 LibreOffice"):
        call_command(
            "export_issue", "--publication", "组工信息", "--latest", "--out", str(out), "--pdf"
        )
    assert out.exists()
    assert not out.with_suffix(".pdf").exists()


def test_export_issue_pdf_is_written_next_to_the_word_file(
    issue: PublicationIssue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "xinbao.publishing.management.commands.export_issue.issue_pdf",
        lambda issue: b"%PDF-1.7 stand-in",
    )
    out = tmp_path / "12.docx"
    call_command(
        "export_issue",
        "--publication",
        "组工信息",
        "--latest",
        "--out",
        str(out),
        "--pdf",
        stdout=io.StringIO(),
    )
    assert out.with_suffix(".pdf").read_bytes() == b"%PDF-1.7 stand-in"
