"""The full-text entries' copy of the item fields visibility reads (unit, department, state):
it agrees with the item after every workflow move, an edit and a rebuild, and search applies
visibility through it exactly as the lists do (``items.permissions.visible_parts``)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.conftest import County
from tests.factories import category, make_item, make_user
from tests.search.conftest import found
from xinbao.items.models import Item, State
from xinbao.items.queries import items_visible_to
from xinbao.items.services import ItemData, item_update, transition
from xinbao.orgs.models import Role, User
from xinbao.publishing import services as publishing
from xinbao.search import fulltext, index
from xinbao.search.models import SearchDocument


def copied(item: Item) -> tuple[object, ...]:
    return SearchDocument.objects.values_list("unit_id", "department_id", "state").get(item=item)


def current(item: Item) -> tuple[object, ...]:
    item.refresh_from_db()
    return (item.unit_id, item.department_id, item.state)


def move(item: Item, actor: User, action: str, comment: str = "") -> None:
    transition(item=item, actor=actor, action=action, comment=comment)
    assert copied(item) == current(item), action


def test_the_copy_follows_every_move(county: County) -> None:
    signed = make_item(officer=county.officer_b, title="乙镇换届", body="换届正文。")
    assert copied(signed) == current(signed)
    move(signed, county.officer_b, "submit")
    move(signed, county.leader_b, "reject_signoff", "请补充")
    move(signed, county.officer_b, "submit")
    move(signed, county.leader_b, "approve")
    move(signed, county.editor, "start_review")
    move(signed, county.editor, "return", "请修改")
    move(signed, county.officer_b, "resubmit")
    move(signed, county.leader_b, "approve")
    move(signed, county.editor, "decline", "不采用")

    direct = make_item(officer=county.officer_a, title="甲镇换届", body="换届正文。")
    move(direct, county.officer_a, "submit")
    move(direct, county.officer_a, "withdraw")
    move(direct, county.officer_a, "submit")
    move(direct, county.editor, "adopt")
    move(direct, county.editor, "archive")


def test_an_edit_and_a_rebuild_keep_the_copy(county: County) -> None:
    item = make_item(officer=county.officer_a, title="换届", body="换届正文。")
    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="return", comment="请修改")
    item.refresh_from_db()
    data = ItemData(title="换届新稿", body="新正文。", category=category())
    item_update(item=item, actor=county.officer_a, data=data, version=item.version)
    assert copied(item) == current(item)
    # A bulk write sends no signal: the copy is stale until the rebuild puts it right.
    Item.objects.filter(pk=item.pk).update(state=State.DRAFT)
    assert copied(item) != current(item)
    assert index.reindex().written == 1
    assert copied(item) == current(item)
    assert found(county.editor, "换届") == []


@pytest.mark.parametrize("order", ["newest", "relevance"])
def test_search_sees_what_the_lists_see(county: County, order: str) -> None:
    """Every kind of user finds, among items that all match, exactly their visible ones."""
    items = [make_item(officer=county.officer_a, title=f"换届{i}") for i in range(2)]
    items += [make_item(officer=county.officer_b, title=f"换届{i}") for i in range(3)]
    transition(item=items[1], actor=county.officer_a, action="submit")  # to the editor
    transition(item=items[3], actor=county.officer_b, action="submit")  # to the sign-off leader
    transition(item=items[4], actor=county.officer_b, action="submit")
    transition(item=items[4], actor=county.leader_b, action="approve")
    make_item(officer=county.other_officer, title="换届邻县")
    users = [
        county.officer_a,
        county.officer_b,
        county.leader_a,
        county.leader_b,
        county.editor,
        county.dept_leader,
        county.other_editor,
        county.other_officer,
        county.sysadmin,
    ]
    for user in users:
        listed = set(items_visible_to(user).values_list("pk", flat=True))
        assert set(found(user, "换届", order=order)) == listed, user.username
    # An officer never finds another unit's drafts; an editor only what reached the department.
    assert set(found(county.officer_a, "换届")) == {items[0].pk, items[1].pk}
    assert set(found(county.editor, "换届")) == {items[1].pk, items[4].pk}


def test_a_forwarded_item_is_found_by_the_department_above(county: County) -> None:
    city = county.dept.parent
    assert city is not None
    city_editor = make_user(role=Role.EDITOR, unit=city, username="city_ed")
    item = make_item(officer=county.officer_a, title="村级换届经验", body="换届正文。")
    transition(item=item, actor=county.officer_a, action="submit")
    transition(item=item, actor=county.editor, action="adopt")
    assert found(city_editor, "换届") == []
    item.refresh_from_db()
    publishing.item_forward(item=item, actor=county.editor)
    assert found(city_editor, "换届") == [item.pk]
    assert found(city_editor, '"村级换届"') == [item.pk]
    assert found(city_editor, "换届 -单位:甲镇") == []


def test_entries_from_before_the_upgrade_are_found_once_backfilled(county: County) -> None:
    """``search/0005`` adds the columns empty; until ``xinbao backfill`` (part ``scope``) has
    copied the fields, such an entry matches no search; after it, exactly what the lists show.
    The backfill goes in batches and a second run writes nothing."""
    items = [make_item(officer=county.officer_a, title=f"升级前换届{n}") for n in range(3)]
    for item in items:
        transition(item=item, actor=county.officer_a, action="submit")
    SearchDocument.objects.update(unit_id=None, department_id=None, state=None)
    assert fulltext.scope_pending() == 3
    assert found(county.editor, "升级前换届") == []
    out = io.StringIO()
    call_command("backfill", "--only", "scope", "--batch-size", "2", "--no-progress", stdout=out)
    assert "处理 3 条" in out.getvalue()
    assert all(copied(item) == current(item) for item in items)
    assert sorted(found(county.editor, "升级前换届")) == sorted(item.pk for item in items)
    assert fulltext.scope_pending() == 0
    assert fulltext.scope_backfill(batch_size=2) == 0
