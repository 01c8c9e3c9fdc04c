"""Loading the demo county: ``demo_load``, what the ``xinbao demo_data`` command calls, and the
report it prints (see the package docstring for what is built and how a re-run behaves).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from xinbao.items.errors import ItemError
from xinbao.items.models import Category, Item, ItemEvent, Revision, State
from xinbao.notify.demo import seed_demo_notices
from xinbao.orgs.demo import content
from xinbao.orgs.demo.accounts import DEMO_PASSWORD, DemoCounty, build_county
from xinbao.orgs.demo.adopted import PublishingSummary
from xinbao.orgs.demo.items import CATEGORY_WEIGHTS, SHOWCASE, ItemGenerator
from xinbao.orgs.demo.publishing import PublishingGenerator
from xinbao.orgs.demo.roster import build_roster
from xinbao.publishing.models import (
    ExternalAdoption,
    Forwarding,
    Instruction,
    Level,
    Publication,
    PublicationIssue,
)
from xinbao.scoring.ledger import rebuild
from xinbao.scoring.models import RuleSet
from xinbao.scoring.rules import DEMO_RULES
from xinbao.scoring.services import ruleset_save
from xinbao.topics.key_work_seed import seed_key_work
from xinbao.topics.services import do_targets_rebuild
from xinbao.topics.timeliness import timeliness_rebuild

Write = Callable[[str], object]  # a line of the report: ``BaseCommand.stdout.write``

DEFAULT_ITEMS = 520
SEED = 2026  # the items; the publishing side draws from its own generator, seeded SEED + 1


def demo_load(*, items: int = DEFAULT_ITEMS, write: Write) -> None:
    """Build what is missing of the demo county, with ``items`` items if the county department
    has none yet, in one transaction; then report what there is through ``write``. Raises
    ``CommandError`` (and keeps nothing) when the demo cannot be built."""
    if items < len(SHOWCASE):
        raise CommandError(f"--items 不能少于 {len(SHOWCASE)}。")
    categories = Category.objects.in_bulk(list(CATEGORY_WEIGHTS), field_name="name")
    if len(categories) != len(CATEGORY_WEIGHTS):
        raise CommandError("缺少默认的信息类别，请先运行 xinbao migrate。")
    with transaction.atomic():
        county = build_county(DEMO_PASSWORD)
        generated = 0
        if not Item.objects.filter(department=county.dept).exists():
            generated = ItemGenerator(county, categories, random.Random(SEED)).run(items)
        made = None
        if not Publication.objects.filter(department=county.dept).exists():
            try:
                made = PublishingGenerator(county, random.Random(SEED + 1)).run()
            except ItemError as error:  # a refusal by a publishing service: nothing is kept
                raise CommandError(f"生成刊物数据时出错，未做任何改动：{error}") from error
        # The generators backdate events with bulk updates, which send no signals: derive what
        # the topics app keeps from the events, and seed this year's key-work areas.
        year = timezone.localdate().year
        areas, _tags = seed_key_work(county.dept, year)
        if generated:
            timeliness_rebuild()
            do_targets_rebuild()
        if not RuleSet.objects.filter(department=county.dept, year=year).exists():
            ruleset_save(
                department=county.dept,
                year=year,
                rules=DEMO_RULES,
                actor=None,
                name=f"{county.dept.name}{year}年度组工信息工作考核办法",
            )
        scored = rebuild(county.dept, year)
        roster = build_roster(county)
        notices = seed_demo_notices(county.dept)
    report(county, generated, write)
    report_publishing(county, made, write)
    write(f"  工作要点 {areas} 项(本次新建)" if areas else "  工作要点已存在")
    write(f"  考核计分 {scored.entries} 条(本次变动 {scored.changed} 条)")
    write(
        f"  信息员队伍（本次新建）：任命 {roster.appointed} 人、原信息员 {roster.former} 人，"
        f"培训 {roster.trainings} 次，优秀信息范文 {roster.exemplary} 篇"
    )
    write(f"  通知与学习资料 {notices} 条(本次新建)" if notices else "  通知与学习资料已存在")


def report(county: DemoCounty, generated: int, write: Write) -> None:
    items = Item.objects.filter(department=county.dept)
    by_state = Counter(items.values_list("state", flat=True))
    states = "、".join(f"{State(s).label}{by_state[s]}" for s in State if by_state[s])
    write(f"演示数据已就绪：{county.dept.name}")
    write(
        f"  单位 {len(county.units) + 2} 个（本次新建 {county.created_units} 个），"
        f"其中乡镇 {len(content.TOWNSHIPS)} 个、县直部门 {len(content.DEPARTMENTS)} 个"
    )
    write(
        f"  演示账号 {county.accounts} 个（本次新建 {county.created_users} 个），"
        f"密码均为 {DEMO_PASSWORD}"
    )
    if generated:
        write(f"  信息 {items.count()} 条（本次生成 {generated} 条）：{states}")
    else:
        write(f"  县委组织部已有信息 {items.count()} 条，本次未生成信息")
    write(
        f"  流转记录 {ItemEvent.objects.filter(item__department=county.dept).count()} 条，"
        f"修改稿 {Revision.objects.filter(item__department=county.dept).count()} 条"
    )


def report_publishing(county: DemoCounty, made: PublishingSummary | None, write: Write) -> None:
    publications = Publication.objects.filter(department__in=[county.dept, county.city])
    ordered = sorted(publications, key=lambda p: (p.department_id != county.dept.pk, p.pk))
    names = "、".join(f"《{p.name}》" for p in ordered)
    created = f"本次新建 {made.publications} 种" if made else "本次未生成刊物"
    write(f"  刊物 {publications.count()} 种（{created}）：{names}")
    issues = PublicationIssue.objects.filter(publication__in=publications)
    by_state = Counter(issues.values_list("state", flat=True))
    own = issues.filter(publication__department=county.dept)
    write(
        f"  已发布 {by_state[PublicationIssue.State.PUBLISHED]} 期"
        f"（其中县委组织部 {own.exclude(state=PublicationIssue.State.DRAFT).count()} 期），"
        f"编辑中 {by_state[PublicationIssue.State.DRAFT]} 期"
    )
    forwardings = Forwarding.objects.filter(from_department=county.dept)
    by_state = Counter(forwardings.values_list("state", flat=True))
    decisions = "、".join(
        f"{Forwarding.State(s).label}{by_state[s]}" for s in Forwarding.State if by_state[s]
    )
    adoptions = ExternalAdoption.objects.filter(item__department=county.dept)
    levels = Counter(adoptions.values_list("level", flat=True))
    by_level = "、".join(f"{Level(v).label}{levels[v]}" for v in reversed(Level) if levels[v])
    instructions = Instruction.objects.filter(item__department=county.dept).count()
    write(
        f"  转报 {forwardings.count()} 条（{decisions or '无'}），"
        f"上级采用 {adoptions.count()} 次（{by_level or '无'}），领导批示 {instructions} 条"
    )
