"""The page of the Word export (GB/T 9704-2012; see the package docstring): fonts, page, type
area and grid, the document set-up (defaults, font table, page numbers), and the helpers that
put runs and paragraphs on the grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Length, Mm, Pt, RGBColor, Twips

from xinbao.publishing.docx.labels import issue_line

if TYPE_CHECKING:
    from xinbao.publishing.models import PublicationIssue


# Font roles, most wanted first; see the module docstring for how the fallbacks are used.
XIAOBIAOSONG = ("方正小标宋简体", "方正小标宋_GBK", "华文中宋", "宋体", "SimSun")
FANGSONG = ("仿宋_GB2312", "仿宋", "FangSong", "华文仿宋")
KAITI = ("楷体_GB2312", "楷体", "KaiTi", "华文楷体")
HEITI = ("黑体", "SimHei", "微软雅黑")
SONGTI = ("宋体", "SimSun", "华文宋体")
LATIN = "Times New Roman"
FONT_ROLES = (XIAOBIAOSONG, FANGSONG, KAITI, HEITI, SONGTI)

RED = RGBColor(0xFF, 0x00, 0x00)
RED_HEX = "FF0000"

# GB/T 9704-2012 page, type area and grid.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
TOP_MARGIN, BOTTOM_MARGIN = Mm(37), Mm(35)
LEFT_MARGIN, RIGHT_MARGIN = Mm(28), Mm(26)
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
BODY_SIZE = Pt(16)  # 三号
HEADLINE_SIZE = Pt(22)  # 二号
FOOTER_SIZE = Pt(14)  # 四号
DISTRIBUTION_SIZE = Pt(14)  # 四号
MASTHEAD_MAX_SIZE = Pt(60)
PAGE_NUMBER_GAP = Mm(7)  # from the bottom of the type area to the page-number line

TYPE_WIDTH = Emu(PAGE_WIDTH - LEFT_MARGIN - RIGHT_MARGIN)
TYPE_HEIGHT = Emu(PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN)
LINE_PITCH = Twips(math.floor(TYPE_HEIGHT.twips / LINES_PER_PAGE))
# Tracking of body-size runs so that CHARS_PER_LINE characters fit a line (w:spacing is in
# twentieths of a point), and the resulting character pitch.
TRACKING = Twips(math.floor((TYPE_WIDTH.pt / CHARS_PER_LINE - BODY_SIZE.pt) * 20))
CHAR_PITCH = Emu(BODY_SIZE + TRACKING)

# Where elements we add by hand go among their siblings (the schema fixes the order).
_PPR_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_PPR_AFTER_SNAP = _PPR_AFTER_PBDR[_PPR_AFTER_PBDR.index("w:snapToGrid") + 1 :]
_RPR_AFTER_SPACING = (
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)
_RPR_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
_SECTPR_AFTER_DOCGRID = ("w:printerSettings", "w:sectPrChange")


# --- document set-up ---------------------------------------------------------------------------


def set_up_document(document: Any, issue: PublicationIssue) -> None:
    set_up_page(document)
    properties = document.core_properties
    properties.title = f"{issue.publication.name} {issue_line(issue)}"
    properties.author = issue.publication.department.name
    properties.subject = issue.title
    properties.keywords = ""
    properties.comments = ""
    properties.last_modified_by = issue.compiler or issue.publication.department.name
    properties.created = properties.modified = issue.published_at or timezone.now()
    properties.revision = issue.revision + 1


def set_up_page(document: Any) -> None:
    """The GB/T 9704 page of any official document: A4, margins, line grid, default fonts and
    font table, compatibility settings and the “— N —” page numbers (no document properties)."""
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = TOP_MARGIN, BOTTOM_MARGIN
    section.left_margin, section.right_margin = LEFT_MARGIN, RIGHT_MARGIN
    section.gutter = 0
    section.header_distance = Mm(15)
    # The footer's line sits PAGE_NUMBER_GAP below the type area; footer_distance is measured
    # from the page's bottom edge to the bottom of that line.
    section.footer_distance = Emu(BOTTOM_MARGIN - PAGE_NUMBER_GAP - FOOTER_SIZE)
    _set_doc_grid(section._sectPr)

    _set_defaults(document)
    _declare_fonts(document)
    document.settings.odd_and_even_pages_header_footer = True
    _set_compatibility(document)
    _add_page_numbers(section)


def _set_doc_grid(sect_pr: Any) -> None:
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.insert_element_before(grid, *_SECTPR_AFTER_DOCGRID)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH.twips))
    grid.attrib.pop(qn("w:charSpace"), None)


def _set_defaults(document: Any) -> None:
    """Document defaults: body font and size, Chinese language, no space after paragraphs."""
    styles = document.styles.element
    r_pr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(r_pr):
        r_pr.remove(child)
    r_pr.append(
        parse_xml(
            f'<w:rFonts {nsdecls("w")} w:ascii="{LATIN}" w:hAnsi="{LATIN}" '
            f'w:eastAsia="{FANGSONG[0]}" w:cs="{LATIN}" w:hint="eastAsia"/>'
        )
    )
    size = str(int(BODY_SIZE.pt * 2))
    r_pr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="{size}"/>'))
    r_pr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="{size}"/>'))
    r_pr.append(
        parse_xml(f'<w:lang {nsdecls("w")} w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>')
    )
    p_pr = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for child in list(p_pr):
        p_pr.remove(child)
    # overflowPunct on is Word's own default (punctuation may hang past the line end). Said
    # explicitly, LibreOffice (7.4) imports it as *no* hanging punctuation, which it needs:
    # in justified paragraphs it hangs a line-final comma and then does not print it.
    p_pr.append(parse_xml(f'<w:overflowPunct {nsdecls("w")} w:val="1"/>'))
    p_pr.append(
        parse_xml(f'<w:spacing {nsdecls("w")} w:after="0" w:line="240" w:lineRule="auto"/>')
    )
    # The template's Normal style repeats Latin theme fonts; let it inherit the defaults.
    normal = document.styles["Normal"]
    normal_r_pr = normal.element.find(qn("w:rPr"))
    if normal_r_pr is not None:
        normal.element.remove(normal_r_pr)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.widow_control = True


def _declare_fonts(document: Any) -> None:
    """Add each role's first font to the font table with the rest as alternate names."""
    part = next(
        p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"
    )
    fonts = parse_xml(part.blob)
    declared = {f.get(qn("w:name")) for f in fonts.findall(qn("w:font"))}
    for role in FONT_ROLES:
        if role[0] in declared:
            continue
        family = "modern" if role in (FANGSONG, HEITI) else "roman"
        alternates = ",".join(role[1:])
        fonts.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{role[0]}">'
                f'<w:altName w:val="{alternates}"/>'
                f'<w:charset w:val="86"/>'
                f'<w:family w:val="{family}"/>'
                f'<w:pitch w:val="variable"/>'
                f"</w:font>"
            )
        )
        declared.add(role[0])
    part._blob = serialize_part_xml(fonts)


def _set_compatibility(document: Any) -> None:
    settings = document.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    # A justified line that ends in a line break (before a source line) is not stretched.
    compat = settings.find(qn("w:compat"))
    if compat is not None and compat.find(qn("w:doNotExpandShiftReturn")) is None:
        compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))


def _add_page_numbers(section: Any) -> None:
    """“— N —” in 宋体 四号: odd pages at the right, even pages at the left, one character in."""
    for footer, alignment in (
        (section.footer, WD_PARAGRAPH_ALIGNMENT.RIGHT),
        (section.even_page_footer, WD_PARAGRAPH_ALIGNMENT.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = alignment
        fmt = paragraph.paragraph_format
        if alignment == WD_PARAGRAPH_ALIGNMENT.RIGHT:
            fmt.right_indent = FOOTER_SIZE
        else:
            fmt.left_indent = FOOTER_SIZE
        exact_spacing(paragraph, FOOTER_SIZE)
        no_grid(paragraph)
        add_run(paragraph, "— ", SONGTI, FOOTER_SIZE, latin=SONGTI[0])
        _add_page_field(paragraph)
        add_run(paragraph, " —", SONGTI, FOOTER_SIZE, latin=SONGTI[0])


def _add_page_field(paragraph: Any) -> None:
    def field_run(kind: str | None, text: str | None = None) -> None:
        run = add_run(paragraph, "", SONGTI, FOOTER_SIZE, latin=SONGTI[0])
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
        if text is not None:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)

    field_run("begin")
    field_run(None, " PAGE ")
    field_run("separate")
    add_run(paragraph, "1", SONGTI, FOOTER_SIZE, latin=SONGTI[0])
    field_run("end")


# --- run and paragraph helpers -----------------------------------------------------------------


def add_run(
    paragraph: Any,
    text: str,
    role: Sequence[str],
    size: Length,
    *,
    latin: str = LATIN,
) -> Any:
    """A run in the role's first font (East Asian slot) and ``latin`` for Latin text; runs in
    the body size are tracked to the character pitch."""
    run = paragraph.add_run(text)
    if size == BODY_SIZE:
        letter_spacing(run, TRACKING)
    run.font.size = size
    run.font.name = latin  # sets w:ascii and w:hAnsi only
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), role[0])
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")
    return run


def letter_spacing(run: Any, amount: Length) -> None:
    r_pr = run._element.get_or_add_rPr()
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(amount.twips))
    r_pr.insert_element_before(spacing, *_RPR_AFTER_SPACING)


def exact_spacing(paragraph: Any, pitch: Length) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = pitch


def no_grid(paragraph: Any) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p_pr.insert_element_before(snap, *_PPR_AFTER_SNAP)


def border(paragraph: Any, edge: str, *, size_eighths: int, color: str, space: int) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.insert_element_before(borders, *_PPR_AFTER_PBDR)
    line = OxmlElement(f"w:{edge}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    borders.append(line)
