from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xinbao.publishing.docx import issue_docx, issue_filename
from xinbao.publishing.models import Publication, PublicationIssue
from xinbao.publishing.pdf import PdfError, issue_pdf


class Command(BaseCommand):
    help = "导出已发布的一期刊物为 Word 文件(.docx),可同时生成 PDF(需本机安装 LibreOffice)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--publication", required=True, help="刊名,如“组工信息”。")
        parser.add_argument(
            "--department",
            help="主办组织部门的单位代码;多个部门有同名刊物时用来区分。",
        )
        parser.add_argument("--year", type=int, help="年份,如 2026。")
        parser.add_argument("--number", type=int, help="当年期号,如 12。")
        parser.add_argument("--latest", action="store_true", help="导出最近发布的一期。")
        parser.add_argument(
            "--out", help="输出的 Word 文件路径(.docx);缺省时按刊名和期号写到当前目录。"
        )
        parser.add_argument(
            "--pdf", action="store_true", help="同时在 Word 文件旁生成同名 PDF 文件。"
        )

    def handle(
        self,
        *args: Any,
        publication: str,
        department: str | None = None,
        year: int | None = None,
        number: int | None = None,
        latest: bool = False,
        out: str | None = None,
        pdf: bool = False,
        **options: Any,
    ) -> None:
        numbered = year is not None and number is not None
        if (latest and (year is not None or number is not None)) or not (latest or numbered):
            raise CommandError(_("请指定 --year 和 --number,或只使用 --latest。"))
        found = find_publication(publication, department)
        issue = latest_issue(found) if latest else numbered_issue(found, year or 0, number or 0)

        path = Path(out) if out else Path(issue_filename(issue))
        if path.suffix.lower() != ".docx":
            raise CommandError(_("输出文件应以 .docx 结尾:%(path)s") % {"path": path})
        write(path, issue_docx(issue))
        self.stdout.write(
            _("已导出《%(name)s》%(label)s:%(path)s")
            % {"name": found.name, "label": issue.number_label, "path": path}
        )
        if pdf:
            try:
                data = issue_pdf(issue)
            except PdfError as exc:
                raise CommandError(str(exc)) from exc
            pdf_path = path.with_suffix(".pdf")
            write(pdf_path, data)
            self.stdout.write(_("已生成 PDF:%(path)s") % {"path": pdf_path})


def find_publication(name: str, department: str | None) -> Publication:
    publications = Publication.objects.select_related("department").filter(name=name.strip())
    if department:
        publications = publications.filter(department__code=department.strip())
    found = list(publications[:2])
    if not found:
        raise CommandError(_("找不到名为“%(name)s”的刊物。") % {"name": name})
    if len(found) > 1:
        raise CommandError(
            _("有多个部门办有名为“%(name)s”的刊物,请用 --department 指定主办部门的单位代码。")
            % {"name": name}
        )
    return found[0]


def published(publication: Publication) -> Any:
    return PublicationIssue.objects.select_related("publication__department").filter(
        publication=publication, state=PublicationIssue.State.PUBLISHED
    )


def latest_issue(publication: Publication) -> PublicationIssue:
    issue = published(publication).order_by("-year", "-number", "-revision").first()
    if issue is None:
        raise CommandError(_("《%(name)s》还没有已发布的期。") % {"name": publication.name})
    return issue


def numbered_issue(publication: Publication, year: int, number: int) -> PublicationIssue:
    """The current (published) revision of the issue with that number."""
    issue = published(publication).filter(year=year, number=number).first()
    if issue is not None:
        return issue
    labels = {"name": publication.name, "year": year, "number": number}
    last = (publication.last_year or 0, publication.last_number)
    if (year, number) > last:
        raise CommandError(_("《%(name)s》%(year)d年第%(number)d期尚未发布。") % labels)
    # Numbers up to the last published one that xinbao does not hold were published before
    # the publication was brought into xinbao.
    raise CommandError(
        _("找不到《%(name)s》%(year)d年第%(number)d期(可能是在本系统启用之前出版的)。") % labels
    )


def write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CommandError(
            _("无法写入文件“%(path)s”:%(error)s") % {"path": path, "error": exc.strerror}
        ) from exc
