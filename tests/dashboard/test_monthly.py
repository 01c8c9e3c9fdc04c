"""The monthly report: the first working day, once per person and month (inbox and e-mail),
the Word file from the command, and the cache following the facts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from docx import Document
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.oxml.ns import qn

from tests.dashboard.conftest import YEAR, Month, at, reported
from xinbao.dashboard import queries
from xinbao.dashboard.periods import month_period
from xinbao.dashboard.report import monthly_report, report_docx
from xinbao.dashboard.tasks import first_working_day, monthly_reports_send
from xinbao.notify.models import Notification
from xinbao.topics.reminders import run_due_jobs

pytestmark = pytest.mark.django_db


def moment(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_first_working_day_skips_weekends_and_holidays(settings: object) -> None:
    assert first_working_day(2026, 11) == datetime.date(2026, 11, 2)  # 1 Nov is a Sunday
    settings.XINBAO_HOLIDAYS = ("2026-10-01", "2026-10-02", "2026-10-05")  # type: ignore[attr-defined]
    assert first_working_day(2026, 10) == datetime.date(2026, 10, 6)


def test_report_is_sent_once_on_the_first_working_day(
    month: Month, django_capture_on_commit_callbacks: object
) -> None:
    c = month.county
    c.dept_leader.email = "leader@example.org"
    c.dept_leader.save()
    assert monthly_reports_send(moment(datetime.date(2026, 11, 1))) == 0  # Sunday: not yet
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        sent = monthly_reports_send(moment(datetime.date(2026, 11, 2)))
    assert sent == 3  # the county's editor and leader, and the neighbouring county's editor
    inbox = Notification.objects.get(recipient=c.dept_leader)
    assert inbox.text.startswith("2026年10月信息工作月报:报送4条,采用2条")
    assert "未报送单位1个" in inbox.text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["leader@example.org"]
    assert "丙镇" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert monthly_reports_send(moment(datetime.date(2026, 11, 3))) == 0
    assert Notification.objects.filter(recipient=c.dept_leader).count() == 1
    assert len(mail.outbox) == 1
    assert not Notification.objects.filter(recipient=c.officer_a).exists()
    neighbour = Notification.objects.get(recipient=c.other_editor)
    assert "报送0条" in neighbour.text  # its own department's figures, not the county's


def test_schedule_runs_the_monthly_report_job(month: Month) -> None:
    done = run_due_jobs(moment(datetime.date(2026, 11, 2)))
    assert done["monthly_report"] == 3
    assert run_due_jobs(moment(datetime.date(2026, 11, 2), 15))["monthly_report"] == 0


def test_command_writes_the_word_file(month: Month, tmp_path: object) -> None:
    out = tmp_path / "report.docx"  # type: ignore[operator]
    call_command(
        "monthly_report",
        "--month",
        f"{YEAR}-10",
        "--department",
        month.county.dept.code,
        "--out",
        str(out),
    )
    document = Document(io.BytesIO(out.read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "一、总体情况" in text
    assert "甲镇:报送3条,采用2条,市级以上采用2条。" in text


def test_command_refuses_a_bad_month(month: Month, tmp_path: object) -> None:
    with pytest.raises(CommandError, match="月份格式"):
        call_command("monthly_report", "--month", "2026/10", "--out", str(tmp_path))


def test_cached_figures_follow_a_new_fact_after_commit(
    month: Month, django_capture_on_commit_callbacks: object
) -> None:
    c = month.county
    october = month_period(YEAR, 10)

    def trend() -> list:
        figures = queries.department_dashboard(c.dept, october)
        return next(f for f in figures if f.key == "trend").rows

    assert trend() == [["2026-10", 4, 2]]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        reported(c.officer_b, c.editor, submitted=at(10, 30))
    assert trend() == [["2026-10", 5, 2]]


def test_rebuilt_timeliness_makes_cached_figures_stale(
    month: Month, django_capture_on_commit_callbacks: object
) -> None:
    from xinbao.topics.timeliness import timeliness_refresh

    c = month.county
    october = month_period(YEAR, 10)

    def speed() -> list:
        figures = queries.department_dashboard(c.dept, october)
        return next(f for f in figures if f.key == "timeliness").rows

    before = speed()
    c.town_b.refresh_from_db()
    month.town_b_item.event_date = datetime.date(YEAR, 10, 12)
    month.town_b_item.save(update_fields=["event_date"])  # a workflow-style save: no bump
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        timeliness_refresh(month.town_b_item)
    after = speed()
    assert before[1][:3] == ["乙镇", 1, 34.0]
    assert after[1][:3] == ["乙镇", 1, 10.0]


def test_report_word_file_numbers_its_pages_like_the_publications(month: Month) -> None:
    report = monthly_report(month.county.dept, month_period(YEAR, 10))
    document = Document(io.BytesIO(report_docx(report)))
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer
    for footer, alignment in (
        (section.footer, WD_PARAGRAPH_ALIGNMENT.RIGHT),
        (section.even_page_footer, WD_PARAGRAPH_ALIGNMENT.LEFT),
    ):
        assert not footer.is_linked_to_previous
        (paragraph,) = footer.paragraphs
        instructions = [t.text.strip() for t in footer._element.iter(qn("w:instrText"))]
        kinds = [c.get(qn("w:fldCharType")) for c in footer._element.iter(qn("w:fldChar"))]
        assert instructions == ["PAGE"]
        assert kinds == ["begin", "separate", "end"]
        assert paragraph.text == "— 1 —"
        assert paragraph.alignment == alignment
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
