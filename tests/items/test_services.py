"""Item writes: validation, lost-update protection, editor revisions, the diff shown to officers,
and the audit trail they leave (which nothing can rewrite)."""

from __future__ import annotations

import dataclasses
import datetime
import re
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.conftest import County
from tests.factories import category, make_item, make_unit, make_user, put_in_state
from xinbao.audit.models import AuditLogIsAppendOnly, AuditRecord
from xinbao.items.diff import body_diff, inline_diff, revision_pairs
from xinbao.items.errors import InvalidInput, NotAllowed, StaleVersion
from xinbao.items.models import Category, Item, ItemEvent, Revision, State, Urgency
from xinbao.items.services import ItemData, item_create, item_update, transition
from xinbao.orgs.models import Role, Unit

BODY = "今年以来,某镇坚持把党员教育作为基层组织建设的基础工程。\n一是创新方式。"


def good_data(**changes: Any) -> ItemData:
    data = ItemData(title="甲镇开展党员积分管理", body=BODY, category=category())
    return dataclasses.replace(data, **changes)


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


# (what is wrong, how to break good data, the Chinese message expected)
INVALID: list[tuple[str, Any, str]] = [
    ("empty title", lambda c: {"title": "   "}, "请填写标题"),
    ("title too long", lambda c: {"title": "长" * 201}, "标题不能超过 200 个字"),
    ("empty body", lambda c: {"body": "\n  \n"}, "请填写正文"),
    ("body too long", lambda c: {"body": "长" * 20001}, "正文不能超过 20000 个字"),
    ("no category", lambda c: {"category": None}, "请选择信息类别"),
    ("bad urgency", lambda c: {"urgency": 7}, "紧急程度无效"),
    ("future event date", lambda c: {"event_date": tomorrow()}, "事件日期不能晚于今天"),
    ("author of another unit", lambda c: {"authors": [c.officer_b]}, "作者必须是本单位的信息员"),
    ("author not an officer", lambda c: {"authors": [c.leader_a]}, "作者必须是本单位的信息员"),
    ("co-unit is own unit", lambda c: {"co_units": [c.town_a]}, "联合报送单位不能是本单位"),
    ("co-unit is a department", lambda c: {"co_units": [c.dept]}, "联合报送单位不能是本单位"),
]
INVALID_IDS = [case[0] for case in INVALID]


@pytest.mark.parametrize(("what", "breaks", "message"), INVALID, ids=INVALID_IDS)
def test_item_create_refuses_invalid_data_and_changes_nothing(
    county: County, what: str, breaks: Any, message: str
) -> None:
    audits = AuditRecord.objects.count()
    with pytest.raises(InvalidInput, match=message):
        item_create(actor=county.officer_a, data=good_data(**breaks(county)))
    assert not Item.objects.exists()
    assert AuditRecord.objects.count() == audits


@pytest.mark.parametrize(("what", "breaks", "message"), INVALID, ids=INVALID_IDS)
def test_item_update_refuses_invalid_data_and_changes_nothing(
    county: County, what: str, breaks: Any, message: str
) -> None:
    item = make_item(officer=county.officer_a, title="原标题")
    before = Item.objects.values().get(pk=item.pk)
    audits = AuditRecord.objects.count()
    with pytest.raises(InvalidInput, match=message):
        item_update(
            item=item,
            actor=county.officer_a,
            data=good_data(**{"title": "新标题", **breaks(county)}),
            version=item.version,
        )
    assert Item.objects.values().get(pk=item.pk) == before
    assert list(item.authors.all()) == [county.officer_a]
    assert not item.co_units.exists()
    assert AuditRecord.objects.count() == audits


def test_every_problem_is_reported_at_once(county: County) -> None:
    with pytest.raises(InvalidInput) as refused:
        item_create(actor=county.officer_a, data=good_data(title="", body="", category=None))
    assert all(
        text in str(refused.value) for text in ("请填写标题", "请填写正文", "请选择信息类别")
    )


def test_inactive_category_is_refused(county: County) -> None:
    retired = Category.objects.create(name="已停用类别", is_active=False)
    with pytest.raises(InvalidInput, match="请选择信息类别"):
        item_create(actor=county.officer_a, data=good_data(category=retired))


def test_text_is_normalized_on_save(county: County) -> None:
    item = item_create(
        actor=county.officer_a,
        data=good_data(
            title="  甲镇   开展\t积分管理 ",
            body="\n\n  第一段。  \r\n\r\n\n第二段。\n   ",
            keywords=" 党建\uff0c网格\u3001积分\uff1b示范, 创新; 党校 ",
            urgency=Urgency.URGENT,
            event_date=timezone.localdate(),
            authors=[county.officer_a, county.officer_a2],
            co_units=[county.town_b],
        ),
    )
    item.refresh_from_db()
    assert item.title == "甲镇 开展 积分管理"
    assert item.body == "第一段。\n第二段。"
    assert item.keywords == "党建 网格 积分 示范 创新 党校"
    assert item.department == county.dept
    assert item.created_by == county.officer_a
    assert set(item.authors.all()) == {county.officer_a, county.officer_a2}
    assert list(item.co_units.all()) == [county.town_b]
    assert item.state == State.DRAFT
    assert item.version == 1


def test_author_defaults_to_the_writer(county: County) -> None:
    item = item_create(actor=county.officer_a2, data=good_data())
    assert list(item.authors.all()) == [county.officer_a2]


@pytest.mark.parametrize("who", ["leader_a", "editor", "dept_leader", "sysadmin"])
def test_only_officers_create_items(county: County, who: str) -> None:
    with pytest.raises(NotAllowed, match="只有信息员可以撰写信息"):
        item_create(actor=getattr(county, who), data=good_data())
    assert not Item.objects.exists()


def test_unit_without_a_department_cannot_create(county: County) -> None:
    orphan = make_unit(name="无上级单位")
    officer = make_user(role=Role.OFFICER, unit=orphan)
    assert orphan.department_id is None
    with pytest.raises(InvalidInput, match="尚未设置上级组织部门"):
        item_create(actor=officer, data=good_data())
    assert not Item.objects.exists()


def test_stale_version_is_refused_and_nothing_saved(county: County) -> None:
    item = make_item(officer=county.officer_a, title="原标题")
    loaded = item.version
    item_update(
        item=item, actor=county.officer_a2, data=good_data(title="后备信息员改的"), version=loaded
    )
    audits = AuditRecord.objects.count()
    with pytest.raises(StaleVersion, match=re.escape("已被他人修改(第 2 版)")):
        item_update(
            item=item, actor=county.officer_a, data=good_data(title="我改的"), version=loaded
        )
    item.refresh_from_db()
    assert (item.title, item.version) == ("后备信息员改的", 2)
    assert AuditRecord.objects.count() == audits


def test_stale_editor_save_does_not_start_the_review(county: County) -> None:
    item = make_item(officer=county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    item.refresh_from_db()
    with pytest.raises(StaleVersion):
        item_update(item=item, actor=county.editor, data=good_data(title="编辑改的"), version=0)
    item.refresh_from_db()
    assert item.state == State.SUBMITTED
    assert not item.events.filter(action="start_review").exists()
    assert not item.revisions.filter(kind=Revision.Kind.EDITOR).exists()


def test_editor_edit_starts_review_and_records_an_editor_revision(county: County) -> None:
    item = make_item(officer=county.officer_a, title="原标题")
    transition(item=item, actor=county.officer_a, action="submit")
    item.refresh_from_db()
    saved = item_update(
        item=item,
        actor=county.editor,
        data=good_data(
            title="编辑改的标题", body=BODY + "\n编辑补充一段。", urgency=Urgency.URGENT
        ),
        version=item.version,
    )
    saved.refresh_from_db()
    assert saved.state == State.IN_REVIEW
    assert saved.version == item.version + 1
    assert saved.urgency == Urgency.URGENT
    event = saved.events.latest("id")
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "start_review",
        State.SUBMITTED,
        State.IN_REVIEW,
        county.editor,
    )
    assert list(saved.revisions.values_list("number", "kind", "title", "author")) == [
        (1, Revision.Kind.OFFICER, "原标题", county.officer_a.pk),
        (2, Revision.Kind.EDITOR, "编辑改的标题", county.editor.pk),
    ]
    # The editor changes the text, never the authorship.
    assert list(saved.authors.all()) == [county.officer_a]
    records = list(AuditRecord.objects.order_by("-id")[:2])
    assert [r.action for r in records] == ["item.edit_by_editor", "item.start_review"]
    assert records[0].actor == county.editor
    assert records[0].changes["title"] == ["原标题", "编辑改的标题"]


def test_editor_change_without_text_change_adds_no_revision(county: County) -> None:
    item = make_item(officer=county.officer_a)
    transition(item=item, actor=county.officer_a, action="submit")
    item = put_in_state(item, State.IN_REVIEW)
    item_update(
        item=item,
        actor=county.editor,
        data=good_data(title=item.title, body=item.body, category=category("经验做法")),
        version=item.version,
    )
    item.refresh_from_db()
    assert item.category == category("经验做法")
    assert not item.revisions.filter(kind=Revision.Kind.EDITOR).exists()
    assert not item.events.filter(action="start_review").exists()  # already in review


def test_audit_records_for_create_update_and_moves(county: County) -> None:
    item = make_item(officer=county.officer_a, title="原标题")
    created = AuditRecord.objects.latest("id")
    assert (created.action, created.actor, created.actor_name) == (
        "item.create",
        county.officer_a,
        county.officer_a.username,
    )
    assert (created.object_type, created.object_id) == ("items.item", str(item.pk))
    assert created.changes["title"] == "原标题"
    assert created.changes["state"] == State.DRAFT

    item_update(item=item, actor=county.officer_a2, data=good_data(title="新标题"), version=1)
    updated = AuditRecord.objects.latest("id")
    assert (updated.action, updated.actor) == ("item.update", county.officer_a2)
    assert updated.changes == {"title": ["原标题", "新标题"]}

    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="return", comment="请补充数据")
    submitted, returned = AuditRecord.objects.order_by("-id")[:2][::-1]
    assert (submitted.action, submitted.actor, submitted.changes) == (
        "item.submit",
        county.officer_a,
        {"state": [State.DRAFT, State.SUBMITTED]},
    )
    assert (returned.action, returned.actor, returned.changes) == (
        "item.return",
        county.editor,
        {"state": [State.SUBMITTED, State.RETURNED], "comment": "请补充数据"},
    )


def test_long_texts_are_summarized_in_the_audit_record(county: County) -> None:
    item = make_item(officer=county.officer_a)
    item_update(item=item, actor=county.officer_a, data=good_data(body="长" * 500), version=1)
    old, new = AuditRecord.objects.latest("id").changes["body"]
    assert old == item.body
    assert new.startswith("长" * 80) and new.endswith("(500字)")


# The diff.


def test_inline_diff_escapes_and_marks_changes() -> None:
    html = inline_diff("<b>甲镇</b>开展活动", "<b>乙镇</b>开展<script>活动")
    assert "<b>" not in html and "<script>" not in html
    assert "&lt;b&gt;" in html
    assert "<del>甲</del><ins>乙</ins>" in html
    assert "<ins>&lt;script&gt;</ins>" in html


def test_body_diff_aligns_paragraphs() -> None:
    old = "第一段不变。\n第二段有<改动>。\n第三段删除。"
    new = "第一段不变。\n第二段有<修改>。\n新增的<i>一段</i>。"
    html = body_diff(old, new)
    assert html.startswith("<p>第一段不变。</p>")
    assert "<p>第二段有&lt;<ins>修</ins>改<del>动</del>&gt;。</p>" in html
    assert "<i>" not in html
    assert body_diff("甲。\n乙。", "甲。\n乙。\n丙<x>。").endswith(
        '<p class="ins"><ins>丙&lt;x&gt;。</ins></p>'
    )
    assert body_diff("甲。\n乙。\n丙。", "甲。").endswith(
        '<p class="del"><del>乙。</del></p><p class="del"><del>丙。</del></p>'
    )


def test_revision_pairs_are_newest_first(county: County) -> None:
    item = make_item(officer=county.officer_a, title="第一稿")
    transition(item=item, actor=county.officer_a, action="submit")
    item.refresh_from_db()
    item_update(
        item=item, actor=county.editor, data=good_data(title="第二稿"), version=item.version
    )
    item.refresh_from_db()
    item_update(
        item=item, actor=county.editor, data=good_data(title="第三稿"), version=item.version
    )
    pairs = revision_pairs(list(item.revisions.order_by("number")))
    assert [(p.old.number, p.new.number) for p in pairs] == [(2, 3), (1, 2)]
    assert all(p.changed for p in pairs)
    assert "<del>三</del>" not in pairs[0].title_html
    assert pairs[0].title_html == "第<del>二</del><ins>三</ins>稿"


# The audit log is append-only.


@pytest.fixture
def record(county: County) -> AuditRecord:
    make_item(officer=county.officer_a)
    return AuditRecord.objects.filter(action="item.create").latest("id")


def test_audit_record_cannot_be_saved_again_or_deleted(record: AuditRecord) -> None:
    record.action = "item.tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        record.save()
    with pytest.raises(AuditLogIsAppendOnly):
        record.delete()
    assert AuditRecord.objects.get(pk=record.pk).action == "item.create"


def test_audit_queryset_refuses_bulk_update_and_delete(record: AuditRecord) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        AuditRecord.objects.filter(pk=record.pk).update(action="item.tampered")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=record.pk).action == "item.create"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditrecord SET action = 'item.tampered' WHERE id = %s",
        "DELETE FROM audit_auditrecord WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_database_trigger_refuses_raw_sql_changes(record: AuditRecord, sql: str) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [record.pk])
    assert AuditRecord.objects.get(pk=record.pk).action == "item.create"


def test_audit_records_are_still_appended(record: AuditRecord) -> None:
    """The triggers refuse changes, not inserts."""
    before = AuditRecord.objects.count()
    make_item(officer=Item.objects.get().created_by)
    assert AuditRecord.objects.count() == before + 1


def test_events_of_refused_moves_are_not_written(county: County) -> None:
    item = make_item(officer=county.officer_a)
    with pytest.raises(NotAllowed):
        transition(item=item, actor=county.officer_b, action="submit")
    assert not ItemEvent.objects.exists()


def test_unit_lookup_is_by_the_item_not_the_actor(county: County) -> None:
    """An officer moved to another unit no longer edits their old unit's drafts."""
    item = make_item(officer=county.officer_a)
    officer = county.officer_a
    officer.unit = county.town_b
    officer.save()
    with pytest.raises(NotAllowed):
        item_update(item=item, actor=officer, data=good_data(title="调走后改的"), version=1)
    assert Unit.objects.get(pk=county.town_a.pk).items.get().title != "调走后改的"
