"""Writes of the search app that people make: merging the reports of one event (撞车).

The indexes themselves are written by ``search.index`` and ``search.duplicates`` (called by the
signals and by ``xinbao reindex``), not by people.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from xinbao.audit.services import audit_record
from xinbao.items import permissions
from xinbao.items.errors import InvalidInput, NotAllowed
from xinbao.items.models import Item, State
from xinbao.items.services import lock_item, transition
from xinbao.items.workflow import EDITOR_OPEN, Part
from xinbao.search.models import ItemMerge

if TYPE_CHECKING:
    from xinbao.orgs.models import User


def cluster_merge(*, actor: User, into: Item, others: Sequence[Item]) -> Item:
    """Merge ``others`` (reports of the same event from other units) into ``into``.

    ``into`` is adopted (through ``items.services.transition``) unless it already is; each of
    ``others`` is declined through ``transition`` with a comment naming ``into``, recorded as
    merged (``ItemMerge``), and its unit (with its own co-reporting units) becomes a
    co-reporting unit of ``into``: the assessment's joint split (``scoring.ledger``) reads
    ``Item.co_units`` and so gives each merged unit its share. All in one transaction with one
    audit record; anything refused changes nothing.
    """
    other_ids = sorted({item.pk for item in others} - {into.pk})
    if not other_ids:
        raise InvalidInput(_("请至少选择一条要并入的其他信息。"))
    with transaction.atomic():
        target = lock_item(into.pk)
        if not permissions.plays(actor, target, Part.EDITOR):
            raise NotAllowed(_("只有收稿部门的编辑可以合并信息。"))
        if target.state not in EDITOR_OPEN | {State.ADOPTED}:
            raise InvalidInput(_("保留的信息须在审核中或已采用。"))
        merging = list(
            Item.objects.select_for_update(no_key=True, of=("self",))
            .filter(pk__in=other_ids)
            .select_related("unit")
            .prefetch_related("co_units")
            .order_by("pk")
        )
        if len(merging) != len(other_ids):
            raise InvalidInput(_("要并入的信息不存在。"))
        for item in merging:
            if not permissions.plays(actor, item, Part.EDITOR):
                raise NotAllowed(_("只有收稿部门的编辑可以合并信息。"))
            if item.state not in EDITOR_OPEN:
                raise InvalidInput(_("《%(title)s》已处理,不能再并入。") % {"title": item.title})
        if target.state != State.ADOPTED:
            target = transition(item=target, actor=actor, action="adopt")
        comment = _("与《%(title)s》报送的是同一事件,已合并采用,计为联合报送。") % {
            "title": target.title
        }
        before = set(target.co_units.values_list("pk", flat=True))
        added: set[int] = set()
        for item in merging:
            transition(item=item, actor=actor, action="decline", comment=comment)
            ItemMerge.objects.create(item=item, into=target, merged_by=actor)
            added |= {item.unit_id, *(unit.pk for unit in item.co_units.all())}
        added -= before | {target.unit_id}
        target.co_units.add(*added)
        audit_record(
            actor=actor,
            action="item.merge",
            obj=target,
            changes={"merged": other_ids, "co_units_added": sorted(added)},
        )
    return target
