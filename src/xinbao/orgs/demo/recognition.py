"""Recognition from above for the demo county's best items: adoptions by upper-level outlets and
leaders' instructions. The last part of ``PublishingGenerator.run``; these functions take the
generator, whose random draws, clock and tally they share.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from xinbao.orgs.demo import content
from xinbao.orgs.demo.adopted import Adopted, weighted_sample
from xinbao.orgs.demo.clock import workday
from xinbao.orgs.models import Unit
from xinbao.publishing.models import ExternalAdoption, Forwarding, Instruction
from xinbao.publishing.services import external_adoption_record, instruction_record

if TYPE_CHECKING:
    from xinbao.orgs.demo.publishing import PublishingGenerator


def record_adoptions(
    generator: PublishingGenerator, adopted: list[Adopted], forwarded: list[Adopted]
) -> None:
    """About a dozen adoptions by upper-level outlets and half a dozen instructions.

    Items the city adopted go on to the province's 《组工信息》 (the best one even to
    中组部); the media pick up carried items; leaders write on items in 《组工信息》 or
    on the ones that went up."""
    rng = generator.rng
    by_city = sorted(
        (a for a in forwarded if a.forwarding and a.forwarding.state == Forwarding.State.ADOPTED),
        key=lambda a: -a.merit,
    )
    carried = [a for a in adopted if a.carried_on is not None]
    adoptions: list[tuple[datetime.date, Adopted, content.Outlet]] = []
    instructions: list[tuple[datetime.date, Adopted, content.Leader]] = []

    def after(base: datetime.date, lo: int, hi: int) -> datetime.date:
        day = base + datetime.timedelta(days=rng.randint(lo, hi))
        return max(base, min(day, generator.today - datetime.timedelta(days=1)))

    province: list[tuple[datetime.date, Adopted]] = []
    for item in by_city[:5]:
        day = after(generator.city_decided(item).date(), 10, 35)
        province.append((day, item))
        adoptions.append((day, item, content.PROVINCE_ZUGONG))
    if len(province) >= 3:
        day, item = province[0]
        adoptions.append((after(day, 15, 40), item, content.CENTRAL_ZUGONG))
    if carried:
        emergencies = [a for a in carried if a.kind == content.EMERGENCY] or carried
        best = max(emergencies, key=lambda a: a.merit)
        adoptions.append((after(best.carried_day, 2, 10), best, content.PARTY_WEBSITE))
    taken = {a for _, a, _ in adoptions}
    media_pool = [a for a in carried if a not in taken and a.kind != content.PROBLEM]
    paper, city_paper, city_tv, province_tv = content.MEDIA
    outlets = (paper, city_paper, city_tv, city_paper, province_tv)
    picked = weighted_sample(rng, media_pool, [a.merit for a in media_pool], len(outlets))
    for item, outlet in zip(picked, outlets, strict=False):
        adoptions.append((after(item.carried_day, 1, 12), item, outlet))

    went_up = [a for _, a in province]
    in_zugong = [a for p in generator.published if p.spec is content.ZUGONG for a in p.entries]
    county_pool = sorted((a for a in in_zugong if a not in went_up), key=lambda a: -a.merit)
    problems = [a for a in county_pool if a.kind in (content.PROBLEM, content.RESEARCH)]
    county_picks = county_pool[:2] + [a for a in problems if a not in county_pool[:2]][:1]
    for item, leader in zip(
        county_picks,
        (content.COUNTY_SECRETARY, content.COUNTY_SECRETARY, content.COUNTY_DEPUTY),
        strict=False,
    ):
        instructions.append((after(item.carried_day, 1, 6), item, leader))
    for item, leader in zip(
        by_city[1:3], (content.CITY_DEPUTY, content.CITY_ORG_HEAD), strict=False
    ):
        instructions.append((after(generator.city_decided(item).date(), 3, 15), item, leader))
    if province:
        day, item = province[min(1, len(province) - 1)]
        instructions.append((after(day, 3, 20), item, content.PROVINCE_ORG_HEAD))

    for day, item, outlet in sorted(adoptions, key=lambda entry: entry[0]):
        if outlet.kind == ExternalAdoption.Kind.PUBLICATION:  # these come out on weekdays
            day = workday(day)
        adoption = external_adoption_record(
            item=item.item,
            actor=generator.editor,
            kind=outlet.kind,
            level=outlet.level,
            outlet=outlet.name,
            issue_label=issue_label(generator, outlet, day),
            adopted_on=day,
        )
        at = recorded_at(generator, day)
        ExternalAdoption.objects.filter(pk=adoption.pk).update(recorded_at=at)
        generator.date_notices(at)
        generator.made.adoptions += 1
    for day, item, leader in sorted(instructions, key=lambda entry: entry[0]):
        kind = item.kind
        if kind not in (content.EMERGENCY, content.PROBLEM):
            kind = content.PROBLEM if kind == content.RESEARCH else content.EXPERIENCE
        unit = item.item.unit
        instruction = instruction_record(
            item=item.item,
            actor=generator.editor,
            level=leader.level,
            leader_title=leader.title,
            leader_name=leader.name,
            instructed_on=day,
            text=rng.choice(content.INSTRUCTIONS[(leader.level, kind)]).format(
                unit=unit.display_name if leader.level == "county" else full_name(unit),
                county=content.COUNTY_NAME,
            ),
        )
        at = recorded_at(generator, day)
        Instruction.objects.filter(pk=instruction.pk).update(recorded_at=at)
        generator.date_notices(at)
        generator.made.instructions += 1


def issue_label(generator: PublishingGenerator, outlet: content.Outlet, day: datetime.date) -> str:
    if outlet is content.PROVINCE_ZUGONG:  # weekly
        number = (day.timetuple().tm_yday - 1) // 7 + 1
    else:  # twice a month
        number = 2 * (day.month - 1) + (1 if day.day <= 15 else 2)
    page = generator.rng.choice((1, 3, 4, 4, 5, 6))
    return outlet.label.format(
        year=day.year, month=day.month, day=day.day, number=number, page=page
    )


def recorded_at(generator: PublishingGenerator, day: datetime.date) -> datetime.datetime:
    """When the editor learnt of it and recorded it: within a few working days."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8)))
    return generator.when(day + datetime.timedelta(days=generator.rng.randint(0, 3)), after=start)


def full_name(unit: Unit) -> str:
    """The unit as people above the county name it: 云溪县城关镇, 中共云溪县委办公室."""
    if content.COUNTY_NAME in unit.name:
        return unit.name
    return content.COUNTY_NAME + unit.name
