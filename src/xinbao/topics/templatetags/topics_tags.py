"""Clocks and the key-work card, for any page: ``{% load topics_tags %}``.

- ``{{ topic.deadline|countdown }}``: "剩 2 天 3 小时" / "已逾期 1 天";
- ``{{ item|urgency_clock }}``: the editor's clock of an urgent item waiting for its first action
  (a ``Clock`` with ``text`` and ``overdue``), or ``None``; reads the row only, no query;
- ``{{ duration|duration }}``: "3 小时 5 分钟";
- ``{% key_work_card item %}``: the item's key-work areas, as a form for those who may tag.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from xinbao.items.models import Item
from xinbao.orgs.models import User
from xinbao.topics.queries import item_key_work
from xinbao.topics.services import may_tag
from xinbao.topics.timeliness import Clock, duration_text, editor_clock, remaining_text

register = template.Library()


@register.filter
def countdown(deadline: datetime.datetime | None) -> str:
    if deadline is None:
        return ""
    return remaining_text(deadline, timezone.now(), late=_("已逾期"))


@register.filter
def urgency_clock(item: Item) -> Clock | None:
    return editor_clock(item, timezone.now())


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    return duration_text(value)


@register.filter
def indent(depth: int) -> str:
    """Full-width spaces for a tree level (plain text, safe everywhere)."""
    return "\u3000" * int(depth or 0)


def key_work_context(user: User, item: Item, **extra: Any) -> dict[str, Any]:
    tree, tagged = item_key_work(item)
    editable = may_tag(user, item)
    return {
        "item": item,
        "areas": [(area, depth, area.pk in tagged) for area, depth in tree],
        "tagged_names": [area.name for area, _depth in tree if area.pk in tagged],
        "editable": editable and bool(tree),
        "show": bool(tree) and (editable or bool(tagged)),
        **extra,
    }


@register.inclusion_tag("topics/_key_work_card.html", takes_context=True)
def key_work_card(context: template.Context, item: Item) -> dict[str, Any]:
    request = context.get("request")
    return {
        **key_work_context(context["user"], item),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
