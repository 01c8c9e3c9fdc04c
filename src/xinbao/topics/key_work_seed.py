"""The key-work tree the county speech names for the year: "坚持一个统领,实现五大目标,抓好六项
工作" (seed/000: 组工信息员培训会讲话), used by ``xinbao seed_key_work``."""

from __future__ import annotations

from django.db import transaction

from xinbao.orgs.models import Unit
from xinbao.topics.models import KeyWorkArea

# (name, description, children)
TREE: list[tuple[str, str, list[str]]] = [
    ("一个统领", "坚持用科学发展观统领组织工作全局", []),
    (
        "五大目标",
        "",
        [
            "干部教育培训要有新进展",
            "领导班子建设要有新加强",
            "先进性教育活动要有新成效",
            "基层组织建设要有新提高",
            "组织部门自身建设要有新气象",
        ],
    ),
    (
        "六项工作",
        "",
        [
            "扎实抓好先进性教育活动,全面推进基层组织和党员队伍建设",
            "以乡镇换届为契机,加强领导班子和干部队伍建设",
            "学习贯彻全会精神,全面落实干部培训任务",
            "深化干部人事制度改革,贯彻实施公务员法",
            "严格执行《干部任用条例》,加强对干部选拔任用工作的监督",
            "坚持公道正派、永葆先进性,加强组织部门自身建设",
        ],
    ),
]


def seed_key_work(department: Unit, year: int) -> tuple[int, int]:
    """Create the tree for ``department`` and ``year`` where missing (matched by name under the
    same parent, so running it again adds nothing). Returns (created, kept)."""
    created = kept = 0

    def ensure(
        name: str, parent: KeyWorkArea | None, order: int, description: str = ""
    ) -> KeyWorkArea:
        nonlocal created, kept
        area, made = KeyWorkArea.objects.get_or_create(
            department=department,
            year=year,
            parent=parent,
            name=name,
            defaults={"sort_order": order, "description": description},
        )
        created += made
        kept += not made
        return area

    with transaction.atomic():
        for order, (name, description, children) in enumerate(TREE, start=1):
            root = ensure(name, None, order * 10, description)
            for child_order, child in enumerate(children, start=1):
                ensure(child, root, child_order * 10)
    return created, kept
