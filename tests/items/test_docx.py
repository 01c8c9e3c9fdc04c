"""Starting an item from a Word file: ``extract_docx`` and the /items/new/from-docx/ page."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from docx import Document

from tests.conftest import County
from tests.factories import docx_bytes
from xinbao.items import docx_extract
from xinbao.items.docx_extract import (
    MAX_DOCX_BYTES,
    MAX_DOCX_UNPACKED_BYTES,
    extract_docx,
    unpacked_size,
)
from xinbao.items.errors import InvalidInput
from xinbao.items.models import Item

BODY_1 = "今年以来,某镇坚持把党员教育作为基层组织建设的基础工程。"
BODY_2 = "一是创新方式,开设“田间课堂”。"


def save(document: object) -> bytes:
    out = io.BytesIO()
    document.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def test_title_styled_as_title() -> None:
    extracted = extract_docx(docx_bytes(("乙镇换届工作平稳有序", "Title"), BODY_1, BODY_2))
    assert extracted.title == "乙镇换届工作平稳有序"
    assert extracted.paragraphs == [BODY_1, BODY_2]
    assert extracted.body == f"{BODY_1}\n{BODY_2}"


def test_title_styled_as_heading_after_blank_paragraphs() -> None:
    extracted = extract_docx(docx_bytes("", "   ", ("甲镇开展党员积分管理", "Heading 1"), BODY_1))
    assert extracted.title == "甲镇开展党员积分管理"
    assert extracted.paragraphs == [BODY_1]


def test_styled_title_wins_over_a_short_first_paragraph() -> None:
    extracted = extract_docx(docx_bytes("组工信息第3期", ("真正的标题", "Title"), BODY_1))
    assert extracted.title == "真正的标题"
    assert extracted.paragraphs == ["组工信息第3期", BODY_1]


def test_title_is_the_first_short_paragraph_when_nothing_is_styled() -> None:
    extracted = extract_docx(docx_bytes("某镇推行“网格党建”", BODY_1, BODY_2))
    assert extracted.title == "某镇推行“网格党建”"
    assert extracted.paragraphs == [BODY_1, BODY_2]


@pytest.mark.parametrize(
    "first",
    [
        BODY_1,  # ends like a sentence
        "这样做为什么有效\uff1f",  # full-width question mark
        "党员干部要冲在前\uff01",  # full-width exclamation mark
        "这是一个没有句号但是非常非常长的段落" * 4,  # longer than a title can be
    ],
)
def test_no_title_when_the_first_paragraph_is_a_sentence_or_long(first: str) -> None:
    extracted = extract_docx(docx_bytes(first, BODY_2))
    assert extracted.title == ""
    assert extracted.paragraphs == [first, BODY_2]


def test_whitespace_inside_paragraphs_is_collapsed() -> None:
    extracted = extract_docx(docx_bytes(("  甲镇  信息 ", "Title"), "一是\t创新   方式。"))
    assert extracted.title == "甲镇 信息"
    assert extracted.paragraphs == ["一是 创新 方式。"]


def test_table_paragraphs_keep_their_place_in_the_document() -> None:
    document = Document()
    document.add_paragraph("乡村振兴工作队成效明显", style="Title")
    document.add_paragraph("全镇工作队情况如下:")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "队数"
    table.cell(0, 1).text = "12个"
    table.cell(1, 0).text = "队员"
    table.cell(1, 1).paragraphs[0].text = "36人"
    table.cell(1, 1).add_paragraph("其中党员30人")
    document.add_paragraph("下一步,将继续加强管理。")
    extracted = extract_docx(save(document))
    assert extracted.title == "乡村振兴工作队成效明显"
    assert extracted.paragraphs == [
        "全镇工作队情况如下:",
        "队数",
        "12个",
        "队员",
        "36人",
        "其中党员30人",
        "下一步,将继续加强管理。",
    ]


def test_merged_table_cell_is_read_once() -> None:
    document = Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "全镇党员教育情况表。"
    table.cell(1, 0).text = "甲"
    table.cell(1, 1).text = "乙"
    table.cell(1, 2).text = "丙"
    extracted = extract_docx(save(document))
    assert extracted.title == ""
    assert extracted.paragraphs == ["全镇党员教育情况表。", "甲", "乙", "丙"]


@pytest.mark.parametrize(
    "data",
    [docx_bytes(), docx_bytes("", "   ", "\t")],
    ids=["empty", "blank-paragraphs"],
)
def test_document_without_text_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput, match="没有文字"):
        extract_docx(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        "这是一段纯文本,不是 Word 文件。".encode(),
        # What an old binary .doc looks like: the OLE2 compound-file signature, then noise.
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4096),
        os.urandom(4096),
    ],
    ids=["empty-bytes", "text", "doc", "random"],
)
def test_bytes_that_are_not_a_zip_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput, match=r"不是 \.docx 格式"):
        extract_docx(data)


def test_zip_that_is_not_a_word_document_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InvalidInput, match="无法读取"):
        extract_docx(out.getvalue())


def test_oversize_file_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(InvalidInput, match="不能超过 10 MB"):
        extract_docx(b"PK\x03\x04" + b"\0" * MAX_DOCX_BYTES)


def test_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch: pytest.MonkeyPatch) -> None:
    data = docx_bytes("标题", BODY_1)
    monkeypatch.setattr(docx_extract, "MAX_DOCX_UNPACKED_BYTES", unpacked_size(data) - 1)
    with pytest.raises(InvalidInput, match="解压后过大"):
        extract_docx(data)


def test_real_zip_bomb_is_refused_quickly() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (MAX_DOCX_UNPACKED_BYTES + 1))
    assert len(out.getvalue()) < MAX_DOCX_BYTES
    with pytest.raises(InvalidInput, match="解压后过大"):
        extract_docx(out.getvalue())


def test_long_styled_title_is_cut_to_the_field_length() -> None:
    extracted = extract_docx(docx_bytes(("长" * 250, "Title"), BODY_1))
    assert extracted.title == "长" * 200


# The page.


def form_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else ""


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
    return match.group(1) if match else ""


def officer_client(county: County) -> Client:
    client = Client()
    client.force_login(county.officer_a)
    return client


def test_from_docx_page_renders(county: County) -> None:
    response = officer_client(county).get("/items/new/from-docx/")
    assert response.status_code == 200
    assert "从 Word 文件开始写信息" in response.content.decode()


def test_upload_fills_the_new_item_form_and_saves_nothing(county: County) -> None:
    upload = SimpleUploadedFile(
        "信息.docx", docx_bytes(("甲镇开展党员积分管理", "Title"), BODY_1, BODY_2)
    )
    response = officer_client(county).post("/items/new/from-docx/", {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "已从 Word 文件读取标题和正文" in page
    assert form_value(page, "title") == "甲镇开展党员积分管理"
    assert textarea(page, "body") == f"{BODY_1}\n{BODY_2}"
    # The filled form is saved by the ordinary new-item page, not posted back to the upload.
    assert 'action="/items/new/"' in page
    assert Item.objects.count() == 0


def test_filled_form_posted_to_new_saves_the_draft(county: County) -> None:
    client = officer_client(county)
    from tests.factories import category

    response = client.post(
        "/items/new/",
        {
            "title": "甲镇开展党员积分管理",
            "body": f"{BODY_1}\n{BODY_2}",
            "category": category().pk,
            "urgency": 0,
            "authors": [county.officer_a.pk],
        },
    )
    assert response.status_code == 302
    assert Item.objects.get().title == "甲镇开展党员积分管理"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(512), "不是 .docx 格式"),
        (docx_bytes(), "没有文字"),
    ],
    ids=["doc", "empty"],
)
def test_bad_upload_shows_a_chinese_error_and_saves_nothing(
    county: County, data: bytes, message: str
) -> None:
    upload = SimpleUploadedFile("旧文件.doc", data)
    response = officer_client(county).post("/items/new/from-docx/", {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "从 Word 文件开始写信息" in page
    assert Item.objects.count() == 0


def test_post_without_a_file_asks_for_one(county: County) -> None:
    response = officer_client(county).post("/items/new/from-docx/", {})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
