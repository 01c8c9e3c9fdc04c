"""Builders for test data. Each returns saved objects; defaults make a small valid county."""

from __future__ import annotations

import itertools
from typing import Any

from xinbao.items.models import Category, Item
from xinbao.items.services import ItemData, item_create
from xinbao.orgs.models import Role, Unit, User
from xinbao.orgs.services import unit_save

PASSWORD = "Xinbao@2026-test"
_seq = itertools.count(1)


def make_unit(
    *,
    name: str | None = None,
    kind: str = Unit.Kind.TOWNSHIP,
    parent: Unit | None = None,
    code: str | None = None,
    **fields: Any,
) -> Unit:
    n = next(_seq)
    if kind == Unit.Kind.ORG_DEPT:
        fields.setdefault("level", Unit.Level.COUNTY)
    unit = Unit(
        code=code or f"U{n:05d}", name=name or f"测试单位{n}", kind=kind, parent=parent, **fields
    )
    return unit_save(unit=unit, actor=None)


def make_user(
    *, role: str, unit: Unit | None = None, username: str | None = None, **fields: Any
) -> User:
    n = next(_seq)
    if role == Role.OFFICER:
        fields.setdefault("officer_rank", User.OfficerRank.PRIMARY)
    user = User(
        username=username or f"user{n}",
        role=role,
        unit=unit,
        full_name=fields.pop("full_name", f"测试{n}"),
        must_change_password=False,
        **fields,
    )
    user.set_password(PASSWORD)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def category(name: str = "动态") -> Category:
    return Category.objects.get(name=name)


def make_item(
    *, officer: User, title: str = "某镇创新党员教育方式", body: str | None = None, **fields: Any
) -> Item:
    data = ItemData(
        title=title,
        body=body or "今年以来,某镇坚持把党员教育作为基层组织建设的基础工程。\n一是创新方式。",
        category=fields.pop("category", None) or category(),
        **fields,
    )
    return item_create(actor=officer, data=data)
