"""Near-duplicate pieces for the item pages: ``{% load search_tags %}``.

- ``{% similar_card item %}``: the editor's card of similar items (score, link to the passage
  view) and the item's novelty — two queries;
- ``{% similar_warning item %}``: the officer's warning before submitting, listing only the
  similar reported items they may see — two queries;
- ``{% event_clusters %}``: the inbox's same-event clusters (撞车) with the merge forms — two
  queries.
"""

from __future__ import annotations

from typing import Any

from django import template

from xinbao.items.models import Item
from xinbao.search import queries

register = template.Library()


@register.inclusion_tag("search/_similar_card.html", takes_context=True)
def similar_card(context: dict[str, Any], item: Item) -> dict[str, Any]:
    user = context["user"]
    return {
        "item": item,
        "pairs": queries.similar_items(user, item),
        "novelty": queries.novelty_of([item.pk]).get(item.pk),
    }


@register.inclusion_tag("search/_similar_warning.html", takes_context=True)
def similar_warning(context: dict[str, Any], item: Item | None) -> dict[str, Any]:
    if item is None:
        return {"show": False}
    pairs = queries.similar_items(context["user"], item, reported_only=True)
    return {
        "item": item,
        "pairs": pairs,
        "show": bool(pairs) or queries.reported_similar_exists(item),
    }


@register.inclusion_tag("search/_clusters.html", takes_context=True)
def event_clusters(context: dict[str, Any]) -> dict[str, Any]:
    user = context["user"]
    return {
        "clusters": queries.same_event_clusters(user),  # .shown, .total
        "may_merge": user.role == "editor",
        "csrf_token": context.get("csrf_token"),
    }
