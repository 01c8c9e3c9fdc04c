"""How the demo county's officers write and revise their information items: the text of an item
is composed from the templates in ``content`` (see its docstring), and changed the way officers
answer a return and editors polish before adopting. Every choice is drawn from the
``random.Random`` the caller passes in, so a fixed seed gives the same texts every time.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from xinbao.orgs.demo.content import (
    BODY_EDITS,
    BOTH,
    CONSEQUENCES,
    DEPARTMENT,
    EMERGENCIES,
    EMERGENCY_KEYWORD,
    EMERGENCY_POINTS,
    EMERGENCY_TITLES,
    EXPERIENCE,
    EXPERIENCE_TITLES,
    NEWS,
    ORDINALS,
    OTHER,
    OTHER_TITLES,
    PROBLEM,
    PROBLEM_TITLES,
    RESEARCH,
    RESEARCH_TITLES,
    SUPPLEMENTS,
    THEMES,
    TITLE_EDITS,
    TOWNSHIP,
    TOWNSHIPS,
    VILLAGES,
    Practice,
    Theme,
    UnitSpec,
)


@dataclass(frozen=True)
class Draft:
    """An item's text as its officer first writes it."""

    title: str
    body: str
    keywords: str
    event_date: datetime.date | None


def themes_for(spec: UnitSpec) -> tuple[Theme, ...]:
    """The themes a unit writes about, without 组工信息 itself (that one is for 其他)."""
    where = TOWNSHIP if spec.is_township else DEPARTMENT
    return tuple(t for t in THEMES if t.key != "info" and t.where in (where, BOTH))


def compose(
    rng: random.Random, *, category: str, theme: Theme, spec: UnitSpec, day: datetime.date
) -> Draft:
    """One item of ``category`` about ``theme`` by ``spec``, written on ``day``."""
    practice = rng.choice(theme.practices)
    fill = _numbers(rng) | {
        "unit": spec.text_name,
        "scope": spec.scope,
        "name": theme.name,
        "focus": theme.focus,
        "puzzle": theme.puzzle,
        "practice": practice.name,
        "year": day.year,
    }
    event_date: datetime.date | None = None
    if category == NEWS:
        event_date = day - datetime.timedelta(days=rng.choice((0, 0, 1, 1, 2, 3)))
        title, paragraphs = _news(rng, theme, spec, fill, event_date)
    elif category == PROBLEM:
        title, paragraphs = _problems(rng, theme, spec, fill, day)
    elif category == RESEARCH:
        title, paragraphs = _research(rng, theme, spec, fill)
    else:
        templates = OTHER_TITLES if category == OTHER else EXPERIENCE_TITLES
        title = rng.choice(templates).format(**fill)
        paragraphs = _experience(rng, theme, spec, practice, fill, day)
        if rng.random() < 0.2:
            event_date = day - datetime.timedelta(days=rng.randint(3, 40))
    keywords = f"{theme.keyword} {practice.name}" if category != NEWS else theme.keyword
    return Draft(title, "\n".join(paragraphs), keywords, event_date)


def _numbers(rng: random.Random) -> dict[str, int]:
    return {
        "a": rng.randint(6, 38),
        "a2": rng.randint(12, 96),
        "b": rng.randint(80, 680),
        "b2": rng.randint(700, 4800),
        "c": rng.randint(2, 9),
        "c2": rng.randint(1, 4),
        "pct": rng.randint(88, 99),
        "pct2": rng.randint(12, 38),
        "pct3": rng.randint(36, 72),
        "pct4": rng.randint(30, 65),
        "money": rng.randint(18, 260),
        "age": rng.randint(41, 46),
        "area": rng.randint(160, 420),
        "days": rng.choice((10, 12, 15)),
        "times": rng.choice((2, 3, 4)),
    }


def _time_lead(rng: random.Random, day: datetime.date) -> str:
    choices = ["近年来", "近期"]
    if day.month >= 3:
        choices += ["今年以来", "今年以来", f"{rng.randint(1, day.month - 1)}月份以来"]
    return rng.choice(choices)


def _points(rng: random.Random, theme: Theme, fill: dict[str, object], k: int) -> list[str]:
    picked = rng.sample(theme.points, k)
    return [f"{ORDINALS[i]}是{point.format(**fill)}。" for i, point in enumerate(picked)]


def _experience(
    rng: random.Random,
    theme: Theme,
    spec: UnitSpec,
    practice: Practice,
    fill: dict[str, object],
    day: datetime.date,
) -> list[str]:
    lead = _time_lead(rng, day)
    way = rng.choice(("积极探索推行", "创新推行", "在全面调研的基础上推行"))
    effect = rng.choice(
        (
            f"有效推动了{theme.focus}制度化、规范化",
            "取得了较好成效",
            f"为{theme.focus}注入了新的活力",
        )
    )
    paragraphs = [
        f"{lead}，{spec.text_name}坚持{theme.goal}，{way}“{practice.name}”工作法，"
        f"{practice.gist}，{effect}。",
        *_points(rng, theme, fill, 3),
        rng.choice(theme.results).format(**fill),
    ]
    if rng.random() < 0.5:
        paragraphs.append(f"下一步，{spec.text_name}将{theme.outlook}。")
    return paragraphs


def _news(
    rng: random.Random,
    theme: Theme,
    spec: UnitSpec,
    fill: dict[str, object],
    event_date: datetime.date,
) -> tuple[str, list[str]]:
    event = rng.choice(theme.events).format(**fill)
    title = f"{spec.text_name}{event}"
    when = f"{event_date.month}月{event_date.day}日"
    people = rng.choice(("班子成员、各支部书记", "各村党组织书记和驻村干部", "党员干部代表"))
    if not spec.is_township:
        people = rng.choice(("班子成员、各支部书记", "机关全体党员干部", "各科室负责人"))
    head = f"{spec.name[-1]}党委书记" if spec.is_township else "主要负责同志"
    demands = "；".join(
        "要" + point.format(**fill).replace("。", "，", 1) for point in rng.sample(theme.points, 3)
    )
    paragraphs = [
        f"{when}，{spec.text_name}{event}，{people}共{rng.randint(18, 120)}人参加。",
        f"会上，{head}就进一步做好{theme.focus}作了具体部署。会议要求，{demands}。",
        rng.choice(theme.results).format(**fill)
        if rng.random() < 0.5
        else f"会议强调，要{theme.outlook}。",
    ]
    return title, paragraphs


def _problems(
    rng: random.Random,
    theme: Theme,
    spec: UnitSpec,
    fill: dict[str, object],
    day: datetime.date,
) -> tuple[str, list[str]]:
    title = rng.choice(PROBLEM_TITLES).format(**fill)
    whom = "村干部、党员群众" if spec.is_township else "基层党员干部"
    problems = rng.sample(theme.problems, min(3, len(theme.problems)))
    suggestions = rng.sample(theme.suggestions, 3)
    numbered = "；".join(f"{ORDINALS[i]}是{s}" for i, s in enumerate(suggestions))
    paragraphs = [
        f"{_time_lead(rng, day)}，{spec.text_name}围绕{theme.focus}开展专题调研，"
        f"通过走访{whom}、查阅资料、召开座谈会等方式了解情况，发现当前{theme.focus}还存在一些不容忽视的问题。"
        "现将有关情况报告如下。",
        *(
            f"{ORDINALS[i]}是{p}"
            + (f"，{rng.choice(CONSEQUENCES)}。" if rng.random() < 0.6 else "。")
            for i, p in enumerate(problems)
        ),
        f"为此建议：{numbered}。",
    ]
    return title, paragraphs


def _research(
    rng: random.Random, theme: Theme, spec: UnitSpec, fill: dict[str, object]
) -> tuple[str, list[str]]:
    title = rng.choice(RESEARCH_TITLES).format(**fill)
    objects = f"{rng.randint(6, 13)}个村" if spec.is_township else f"{rng.randint(4, 11)}个基层单位"
    problems = rng.sample(theme.problems, min(3, len(theme.problems)))
    suggestions = rng.sample(theme.suggestions, 3)
    paragraphs = [
        f"为全面掌握{theme.focus}情况，近期，{spec.text_name}采取个别访谈、问卷调查、"
        f"实地查看等方式，对{objects}进行了专题调研。",
        f"从调研情况看，{spec.scope}{theme.focus}总体情况良好。"
        + rng.choice(theme.results).format(**fill),
        "调研中也发现，还存在一些薄弱环节："
        + "；".join(f"{ORDINALS[i]}是{p}" for i, p in enumerate(problems))
        + "。",
        "对此，建议：" + "；".join(f"{ORDINALS[i]}是{s}" for i, s in enumerate(suggestions)) + "。",
    ]
    if rng.random() < 0.4:
        paragraphs.append(f"下一步，{spec.text_name}将{theme.outlook}。")
    return title, paragraphs


def compose_emergency(rng: random.Random, *, spec: UnitSpec, day: datetime.date) -> Draft:
    """An urgent 动态: the unit's party members in the season's emergency, reported that day."""
    fitting = [e for e in EMERGENCIES if day.month in e.months] or list(EMERGENCIES)
    emergency = rng.choice(fitting)
    fill = _numbers(rng) | {"unit": spec.text_name, "work": emergency.work}
    fill["b"] = rng.randint(40, 360)
    village = rng.choice(VILLAGES)
    if not spec.is_township:
        village = rng.choice(TOWNSHIPS).name + village
    situation = emergency.situation.format(village=village)
    points = [rng.choice(EMERGENCY_POINTS), *rng.sample(emergency.points, 2)]
    paragraphs = [
        f"{day.month}月{day.day}日，受{emergency.cause}影响，{situation}。"
        f"险情发生后，{spec.text_name}{spec.party}第一时间启动应急预案，"
        f"组织党员干部迅速投入{emergency.work}一线。",
        *(f"{ORDINALS[i]}是{point.format(**fill)}。" for i, point in enumerate(points)),
        f"目前，{spec.scope}未发生人员伤亡，各项{emergency.work}工作正在有序开展。",
    ]
    return Draft(
        title=rng.choice(EMERGENCY_TITLES).format(**fill),
        body="\n".join(paragraphs),
        keywords=f"{emergency.work} {EMERGENCY_KEYWORD}",
        event_date=day,
    )


def editor_polish(title: str, body: str) -> tuple[str, str]:
    """An editor's pass: a sharper title word, and a dropped outlook paragraph or a tighter
    phrase."""
    for old, new in TITLE_EDITS:
        if old in title:
            title = title.replace(old, new, 1)
            break
    paragraphs = body.split("\n")
    trimmed = [p for p in paragraphs if not p.startswith("下一步")]
    if trimmed != paragraphs and len(trimmed) >= 4 and len("".join(trimmed)) >= 220:
        return title, "\n".join(trimmed)
    for old, new in BODY_EDITS:
        if old in body:
            return title, body.replace(old, new, 1)
    return title, body


def officer_revise(rng: random.Random, body: str, *, kind: str) -> str:
    """The officer's answer to a return: one more sentence of figures. ``kind`` is the item's
    category, or ``EMERGENCY``; survey-like kinds put it in the opening paragraph, the others in
    the last paragraph that is not the outlook."""
    pool = SUPPLEMENTS.get(kind) or (
        SUPPLEMENTS[PROBLEM] if kind == RESEARCH else SUPPLEMENTS[EXPERIENCE]
    )
    sentence = rng.choice(pool).format(
        n=rng.randint(3, 18),
        m=rng.randint(120, 900),
        p=rng.randint(90, 98),
        r=rng.randint(2, 9) * 100,
    )
    paragraphs = body.split("\n")
    if len(body) + len(sentence) > 590 and len(paragraphs) > 3:
        paragraphs = [p for p in paragraphs if not p.startswith("下一步")] or paragraphs
    if kind in (PROBLEM, RESEARCH):
        closing = "现将有关情况报告如下。"
        first = paragraphs[0].removesuffix(closing)
        paragraphs[0] = first + sentence + (closing if first != paragraphs[0] else "")
    else:
        at = max(i for i, p in enumerate(paragraphs) if i == 0 or not p.startswith("下一步"))
        paragraphs[at] += sentence
    return "\n".join(paragraphs)
