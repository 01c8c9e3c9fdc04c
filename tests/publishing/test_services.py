"""Issues: compiling, numbering, freezing, corrections; forwarding up two levels; recognition."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.http import Http404
from django.utils import timezone

from tests.conftest import County
from tests.factories import make_item, make_unit, make_user
from xinbao.audit.models import AuditRecord
from xinbao.items.errors import IllegalMove, InvalidInput, NotAllowed
from xinbao.items.models import Item
from xinbao.items.queries import access_item
from xinbao.items.services import transition
from xinbao.notify.models import Notification
from xinbao.orgs.models import Role, Unit
from xinbao.publishing import services
from xinbao.publishing.models import Publication, PublicationIssue
from xinbao.publishing.queries import item_story

pytestmark = pytest.mark.django_db


def published(
    county: County, publication: Publication, items: list[Item], day: datetime.date | None = None
) -> PublicationIssue:
    issue = services.issue_create(publication=publication, actor=county.editor)
    for item in items:
        services.issue_add_item(issue=issue, item=item, actor=county.editor)
    if day is not None:
        PublicationIssue.objects.filter(pk=issue.pk).update(issue_date=day)
        issue.refresh_from_db()
    return services.issue_publish(issue=issue, actor=county.editor)


def test_numbering_continues_per_year_and_running_total(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> None:
    item = adopted()
    first = published(county, periodical, [item], datetime.date(2026, 11, 20))
    second = published(county, periodical, [item], datetime.date(2026, 11, 27))
    assert (first.year, first.number, first.total_number) == (2026, 12, 345)
    assert (second.number, second.total_number) == (13, 346)
    assert first.number_label == "2026年第12期"
    assert first.total_label == "总第345期"
    next_year = published(county, periodical, [item], datetime.date(2027, 1, 5))
    assert (next_year.year, next_year.number, next_year.total_number) == (2027, 1, 347)
    with pytest.raises(InvalidInput, match="出刊年份早于"):
        published(county, periodical, [item], datetime.date(2026, 12, 30))
    periodical.refresh_from_db()
    assert (periodical.last_year, periodical.last_number, periodical.last_total_number) == (
        2027,
        1,
        347,
    )


def test_a_refused_publish_uses_no_number(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> None:
    empty = services.issue_create(publication=periodical, actor=county.editor)
    with pytest.raises(InvalidInput, match="还没有编入"):
        services.issue_publish(issue=empty, actor=county.editor)
    issue = published(county, periodical, [adopted()])
    assert issue.number == 12


def test_published_issue_is_frozen_and_corrections_keep_the_number(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> None:
    item = adopted()
    issue = published(county, periodical, [item])
    entry = issue.entries.get()
    for attempt in (
        lambda: services.issue_add_item(issue=issue, item=adopted("另一条"), actor=county.editor),
        lambda: services.entry_update(
            entry=entry,
            actor=county.editor,
            headline="改",
            text="改",
            editor_note="",
            source_line="",
        ),
        lambda: services.issue_remove_entry(entry=entry, actor=county.editor),
        lambda: services.issue_publish(issue=issue, actor=county.editor),
    ):
        with pytest.raises(IllegalMove, match="已发布"):
            attempt()
    with pytest.raises(InvalidInput, match="更正原因"):
        services.issue_correct(issue=issue, actor=county.editor, reason=" ")
    correction = services.issue_correct(issue=issue, actor=county.editor, reason="第二篇数据有误")
    fixed = correction.entries.get()
    services.entry_update(
        entry=fixed,
        actor=county.editor,
        headline=fixed.headline,
        text="更正后的正文。",
        editor_note="",
        source_line=fixed.source_line,
    )
    services.issue_publish(issue=correction, actor=county.editor)
    issue.refresh_from_db()
    correction.refresh_from_db()
    assert issue.state == PublicationIssue.State.SUPERSEDED
    assert (correction.number, correction.total_number, correction.revision) == (
        issue.number,
        issue.total_number,
        1,
    )
    assert correction.revision_reason == "第二篇数据有误"
    periodical.refresh_from_db()
    assert periodical.last_total_number == 345  # the correction took no new number
    entry.refresh_from_db()
    assert entry.text != "更正后的正文。"  # the original issue's text is untouched


def test_entry_text_is_the_editors_copy_not_the_officers(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> None:
    item = adopted(title="原标题")
    issue = services.issue_create(publication=periodical, actor=county.editor)
    entry = services.issue_add_item(issue=issue, item=item, actor=county.editor)
    assert entry.source_line == "\uff08甲镇供稿\uff09"  # full-width brackets, as printed
    services.entry_update(
        entry=entry,
        actor=county.editor,
        headline="刊发标题",
        text="刊发正文第一段\n\n刊发正文第二段",
        editor_note="值得借鉴",
        source_line="(甲镇党委供稿)",
    )
    item.refresh_from_db()
    entry.refresh_from_db()
    assert item.title == "原标题"
    assert entry.text == "刊发正文第一段\n刊发正文第二段"


def test_only_adopted_items_of_the_department_can_be_carried(
    county: County, periodical: Publication
) -> None:
    issue = services.issue_create(publication=periodical, actor=county.editor)
    draft = make_item(officer=county.officer_a)
    with pytest.raises(InvalidInput, match="已采用"):
        services.issue_add_item(issue=issue, item=draft, actor=county.editor)
    with pytest.raises(NotAllowed):
        services.issue_add_item(issue=issue, item=draft, actor=county.other_editor)
    with pytest.raises(NotAllowed):
        services.issue_create(publication=periodical, actor=county.dept_leader)


def test_internal_item_cannot_enter_a_web_column(
    county: County, adopted: Callable[..., Item]
) -> None:
    column = Publication.objects.create(
        department=county.dept, name="组工信息专栏", kind=Publication.Kind.WEB_COLUMN
    )
    issue = services.issue_create(publication=column, actor=county.editor)
    with pytest.raises(InvalidInput, match="不宜公开"):
        services.issue_add_item(issue=issue, item=adopted(is_internal=True), actor=county.editor)
    assert issue.entries.count() == 0


def test_publishing_notifies_the_originating_unit(
    county: County, periodical: Publication, adopted: Callable[..., Item]
) -> None:
    published(county, periodical, [adopted()])
    texts = list(
        Notification.objects.filter(recipient=county.officer_a).values_list("text", flat=True)
    )
    assert any("组工信息" in t and "采用" in t for t in texts)
    assert not Notification.objects.filter(recipient=county.officer_b).exists()


def test_forwarding_across_two_levels_with_permissions_at_each(
    county: County, adopted: Callable[..., Item]
) -> None:
    city = county.dept.parent
    assert city is not None
    province = make_unit(name="测试省委组织部", kind=Unit.Kind.ORG_DEPT, level=Unit.Level.PROVINCE)
    city.parent = province
    from xinbao.orgs.services import unit_save

    unit_save(unit=city, actor=None)
    county.dept.refresh_from_db()
    city_editor = make_user(role=Role.EDITOR, unit=city, username="city_ed")
    province_editor = make_user(role=Role.EDITOR, unit=province, username="prov_ed")
    item = adopted()

    # The city sees nothing until the county forwards it; the province not even then.
    with pytest.raises(Http404):
        access_item(city_editor, item.pk)
    with pytest.raises(NotAllowed):
        services.item_forward(item=item, actor=county.other_editor)
    draft = make_item(officer=county.officer_a)
    with pytest.raises(NotAllowed):
        services.item_forward(item=draft, actor=county.editor)
    waiting = transition(
        item=make_item(officer=county.officer_a), actor=county.officer_a, action="submit"
    )
    with pytest.raises(InvalidInput, match="已采用"):
        services.item_forward(item=waiting, actor=county.editor)
    to_city = services.item_forward(item=item, actor=county.editor, note="典型经验")
    assert to_city.to_department == city
    with pytest.raises(InvalidInput, match="已转报"):
        services.item_forward(item=item, actor=county.editor)
    assert access_item(city_editor, item.pk) == item
    with pytest.raises(Http404):
        access_item(province_editor, item.pk)
    # The city may not forward before adopting; the county editor may not decide for the city.
    with pytest.raises(InvalidInput):
        services.item_forward(item=item, actor=city_editor)
    with pytest.raises(NotAllowed):
        services.forwarding_decide(forwarding=to_city, actor=county.editor, adopt=True)
    with pytest.raises(InvalidInput, match="不采用时"):
        services.forwarding_decide(forwarding=to_city, actor=city_editor, adopt=False)
    services.forwarding_decide(forwarding=to_city, actor=city_editor, adopt=True)
    with pytest.raises(IllegalMove):
        services.forwarding_decide(
            forwarding=to_city, actor=city_editor, adopt=False, comment="改主意"
        )
    # The city carries it in its own periodical and forwards it on to the province.
    city_pub = Publication.objects.create(
        department=city, name="市组工信息", kind=Publication.Kind.PERIODICAL
    )
    issue = services.issue_create(publication=city_pub, actor=city_editor)
    services.issue_add_item(issue=issue, item=item, actor=city_editor)
    services.issue_publish(issue=issue, actor=city_editor)
    to_province = services.item_forward(item=item, actor=city_editor)
    assert to_province.to_department == province
    assert access_item(province_editor, item.pk) == item
    services.forwarding_decide(forwarding=to_province, actor=province_editor, adopt=True)
    story = item_story(item)
    assert [line.kind for line in story].count("forwarding-adopted") == 2
    assert any("市组工信息" in line.text and line.level == "市级" for line in story)
    # The officer of the originating unit sees the same story on the item.
    assert access_item(county.officer_a, item.pk) == item


def test_recognition_is_recorded_validated_and_notified(
    county: County, adopted: Callable[..., Item]
) -> None:
    item = adopted()
    today = timezone.localdate()
    with pytest.raises(InvalidInput, match="不能晚于今天"):
        services.instruction_record(
            item=item,
            actor=county.editor,
            level="city",
            leader_title="市委书记",
            leader_name="",
            instructed_on=today + datetime.timedelta(days=1),
            text="此做法很好",
        )
    services.instruction_record(
        item=item,
        actor=county.editor,
        level="city",
        leader_title="市委书记",
        leader_name="",
        instructed_on=today,
        text="此做法很好,请总结推广。",
    )
    services.external_adoption_record(
        item=item,
        actor=county.editor,
        kind="publication",
        level="central",
        outlet="中组部《组工信息》",
        issue_label="2026年第88期",
        adopted_on=today,
    )
    with pytest.raises(NotAllowed):
        services.instruction_record(
            item=item,
            actor=county.other_editor,
            level="city",
            leader_title="市长",
            leader_name="",
            instructed_on=today,
            text="好",
        )
    kinds = [(line.kind, line.level) for line in item_story(item)]
    assert ("instruction", "市级") in kinds
    assert ("adoption", "中央") in kinds
    assert Notification.objects.filter(recipient=county.officer_a, text__contains="批示").exists()
    assert AuditRecord.objects.filter(action="item.instruction", object_id=str(item.pk)).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_publishing_never_skips_or_repeats_a_number(county: County) -> None:
    publication = Publication.objects.create(
        department=county.dept, name="并发测试刊", kind=Publication.Kind.PERIODICAL
    )
    items = []
    for n in range(8):
        item = make_item(officer=county.officer_a, title=f"并发{n}")
        transition(item=item, actor=county.officer_a, action="submit")
        items.append(transition(item=item, actor=county.editor, action="adopt"))
    issues = []
    for item in items:
        issue = services.issue_create(publication=publication, actor=county.editor)
        services.issue_add_item(issue=issue, item=item, actor=county.editor)
        issues.append(issue)
    barrier = threading.Barrier(len(issues))
    errors: list[BaseException] = []

    def publish(issue: PublicationIssue) -> None:
        try:
            barrier.wait()
            services.issue_publish(issue=issue, actor=county.editor)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(issue,)) for issue in issues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(
        PublicationIssue.objects.filter(publication=publication).values_list(
            "number", "total_number"
        )
    )
    assert numbers == [(n, n) for n in range(1, len(issues) + 1)]


def test_web_column_issue_with_an_item_marked_internal_later_is_not_published(
    county: County, adopted: Callable[..., Item]
) -> None:
    column = Publication.objects.create(
        department=county.dept, name="专栏", kind=Publication.Kind.WEB_COLUMN
    )
    item = adopted()
    issue = services.issue_create(publication=column, actor=county.editor)
    services.issue_add_item(issue=issue, item=item, actor=county.editor)
    Item.objects.filter(pk=item.pk).update(is_internal=True)
    with pytest.raises(InvalidInput, match="不宜公开"):
        services.issue_publish(issue=issue, actor=county.editor)
    issue.refresh_from_db()
    assert issue.state == PublicationIssue.State.DRAFT and issue.number is None


def test_adoption_scan_is_checked_by_content_and_stored_under_a_digest(
    county: County, adopted: Callable[..., Item], settings: object, tmp_path: object
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    item = adopted()
    fields = {
        "item": item,
        "actor": county.editor,
        "kind": "newspaper",
        "level": "province",
        "outlet": "《XX日报》",
        "issue_label": "第3版",
        "adopted_on": timezone.localdate(),
    }
    fake = SimpleUploadedFile("剪报.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(InvalidInput, match="PDF"):
        services.external_adoption_record(scan=fake, **fields)  # type: ignore[arg-type]
    assert not item.external_adoptions.exists()
    pdf = SimpleUploadedFile("../../剪报.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
    adoption = services.external_adoption_record(scan=pdf, **fields)  # type: ignore[arg-type]
    assert adoption.scan.name.startswith("adoption_scans/")
    assert adoption.scan.name.endswith(".pdf") and "剪报" not in adoption.scan.name
