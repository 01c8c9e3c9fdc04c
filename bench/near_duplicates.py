"""A generator of realistic Chinese items and of near-duplicates made from them by edits, shared
by ``bench/bench_duplicates.py`` and ``tests/search/test_duplicates.py`` (no Django setup here).

Distinct items are written clause by clause from the demo county's vocabulary
(``xinbao.orgs.demo.content``: each theme's practices, points, results, problems, suggestions
and events, cut into clauses), half from the item's theme and half from all themes, with
villages, people, dates and figures filled in: items on one theme share many set phrases (the
"merely same-topic" items that must not be flagged) but not whole passages.

Each edit takes an item's title and paragraphs and returns the edited pair:
``reorder`` (paragraphs shuffled), ``insert`` (new sentences, about 15 % more text),
``delete`` (about 15 % of the sentences removed), ``dates_names`` (every date, village and
person's name changed), ``traditional`` (OpenCC s2t), ``mixed`` (a lighter insert, delete and
date change together), and ``copied_paragraph``: a new distinct item with one paragraph of at
least 150 characters of the source copied into it.
"""

from __future__ import annotations

import datetime
import functools
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from xinbao.orgs.demo import content

Text = tuple[str, list[str]]  # title, body paragraphs
_SPLIT = re.compile(r"[，；。：、！？]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
ENDINGS = ("共{n}人参加", "覆盖{n}个村(社区)", "累计投入资金{n}万元", "惠及群众{n}户")
OPENERS = (
    "{month}月{day}日，",
    "今年以来，",
    "近日，",
    "{village}",
    "{name}同志介绍，",
    "据统计，",
    "在{village}，",
    "",
)


@functools.cache
def _pools() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    by_theme: dict[str, tuple[str, ...]] = {}
    every: set[str] = set()
    for theme in content.THEMES:
        texts = [theme.goal, theme.outlook, theme.focus]
        texts += [p.gist for p in theme.practices] + [p.name for p in theme.practices]
        texts += [*theme.points, *theme.results, *theme.problems, *theme.suggestions]
        texts += list(theme.events)
        clauses = set()
        for text in texts:
            for clause in _SPLIT.split(text):
                clause = clause.strip("“”《》 ")
                if len(clause) >= 4 and _CJK.search(clause) and "{" not in clause:
                    clauses.add(clause)
        by_theme[theme.key] = tuple(sorted(clauses))
        every |= clauses
    return by_theme, tuple(sorted(every))


def themes() -> list[str]:
    return sorted(_pools()[0])


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        n=rng.randint(3, 480),
        month=rng.randint(1, 12),
        day=rng.randint(1, 28),
        village=rng.choice(content.VILLAGES),
        name=content.person_name(rng.randrange(1300)),
    )


def sentence(rng: random.Random, theme: str) -> str:
    by_theme, every = _pools()
    clauses = [
        rng.choice(by_theme[theme]) if rng.random() < 0.5 else rng.choice(every)
        for _ in range(rng.randint(2, 4))
    ]
    text = _fill(rng, rng.choice(OPENERS)) + "，".join(clauses)
    if rng.random() < 0.5:
        text += "，" + _fill(rng, rng.choice(ENDINGS))
    return text + "。"


def paragraph(rng: random.Random, theme: str, *, min_chars: int = 0) -> str:
    sentences = [sentence(rng, theme) for _ in range(rng.randint(2, 4))]
    while sum(map(len, sentences)) < min_chars:
        sentences.append(sentence(rng, theme))
    return "".join(sentences)


def item_text(rng: random.Random, theme: str, unit: str = "城关镇") -> Text:
    """A distinct item of about 500–900 characters on ``theme``."""
    by_theme, _every = _pools()
    ending = rng.choice(("取得实效", "见行见效", "扎实推进", "有序开展"))
    title = f"{unit}{rng.choice(by_theme[theme])}{ending}"
    paragraphs = [paragraph(rng, theme) for _ in range(rng.randint(4, 6))]
    return title[:60], paragraphs


# --- edits ------------------------------------------------------------------------------------


def _sentences(paragraph_text: str) -> list[str]:
    return [s + "。" for s in paragraph_text.split("。") if s]


def reorder(rng: random.Random, text: Text, theme: str) -> Text:
    title, paragraphs = text
    shuffled = paragraphs[:]
    while len(shuffled) > 1 and shuffled == paragraphs:
        rng.shuffle(shuffled)
    return title, shuffled


def insert(rng: random.Random, text: Text, theme: str, share: float = 0.15) -> Text:
    title, paragraphs = text
    out = [_sentences(p) for p in paragraphs]
    target = share * sum(map(len, paragraphs))
    added = 0
    while added < target:
        new = sentence(rng, theme)
        sentences = rng.choice(out)
        sentences.insert(rng.randint(0, len(sentences)), new)
        added += len(new)
    return title, ["".join(s) for s in out]


def delete(rng: random.Random, text: Text, theme: str, share: float = 0.15) -> Text:
    title, paragraphs = text
    out = [_sentences(p) for p in paragraphs]
    target = share * sum(map(len, paragraphs))
    removed = 0
    while removed < target:
        candidates = [s for s in out if len(s) > 1]
        if not candidates:
            break
        sentences = rng.choice(candidates)
        removed += len(sentences.pop(rng.randrange(len(sentences))))
    return title, ["".join(s) for s in out]


def dates_names(rng: random.Random, text: Text, theme: str) -> Text:
    """Every date (年, 月, 日), village and person's name changed; other figures kept."""
    villages = "|".join(map(re.escape, content.VILLAGES))

    def change(value: str) -> str:
        value = re.sub(r"\d+(?=[年月日])", lambda m: str(rng.randint(1, 28)), value)
        value = re.sub(villages, lambda m: rng.choice(content.VILLAGES), value)
        return re.sub(
            r"[\u4e00-\u9fff]{2,3}(?=同志)",
            lambda m: content.person_name(rng.randrange(1300)),
            value,
        )

    title, paragraphs = text
    return change(title), [change(p) for p in paragraphs]


@functools.cache
def _s2t() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("s2t").convert  # type: ignore[no-any-return]


def traditional(rng: random.Random, text: Text, theme: str) -> Text:
    title, paragraphs = text
    convert = _s2t()
    return convert(title), [convert(p) for p in paragraphs]


def mixed(rng: random.Random, text: Text, theme: str) -> Text:
    """About 20 % edited: 7 % inserted, 7 % deleted, dates and names changed."""
    text = insert(rng, text, theme, share=0.07)
    text = delete(rng, text, theme, share=0.07)
    return dates_names(rng, text, theme)


def copied_paragraph(rng: random.Random, text: Text, theme: str) -> Text:
    """A new distinct item with one ≥150-character paragraph of ``text`` copied into it (the
    source's longest paragraph; the generator makes every item have one that long)."""
    _title, paragraphs = text
    copied = max(paragraphs, key=len)
    title, fresh = item_text(rng, theme, unit="新建单位")
    fresh.insert(rng.randint(1, len(fresh)), copied)
    return title, fresh


EDITS: dict[str, Callable[[random.Random, Text, str], Text]] = {
    "reorder": reorder,
    "insert": insert,
    "delete": delete,
    "dates_names": dates_names,
    "traditional": traditional,
    "mixed": mixed,
    "copied_paragraph": copied_paragraph,
}


@dataclass
class Source:
    """A distinct item of the corpus; sources always have one paragraph ≥ 150 characters."""

    theme: str
    title: str
    paragraphs: list[str]

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


def source(rng: random.Random, theme: str, unit: str = "城关镇") -> Source:
    title, paragraphs = item_text(rng, theme, unit)
    if max(map(len, paragraphs)) < 150:
        paragraphs[rng.randrange(len(paragraphs))] = paragraph(rng, theme, min_chars=150)
    return Source(theme, title, paragraphs)


def variant(rng: random.Random, src: Source, edit: str) -> Source:
    title, paragraphs = EDITS[edit](rng, (src.title, src.paragraphs), src.theme)
    return Source(src.theme, title, paragraphs)


U = TypeVar("U")


def reported_at(now: datetime.datetime, position: int, n_items: int) -> datetime.datetime:
    """When the corpus's item at ``position`` was reported: two years of reports, in order (a
    county gets a few dozen a day at most)."""
    return now - datetime.timedelta(minutes=(n_items - position) * 2 * 525600 / n_items)


@dataclass
class Generated(Generic[U]):
    """One item of a generated corpus: its text and unit, the position of the distinct item it
    descends from (its own position for a distinct item) and the edit that made it ("")."""

    text: Source
    unit: U
    root: int
    edit: str


def corpus(
    rng: random.Random,
    n_items: int,
    units: Sequence[U],
    *,
    county_of: Callable[[U], object],
    name_of: Callable[[U], str],
    dup_share: float,
) -> Iterator[Generated[U]]:
    """``n_items`` items in order: with probability ``dup_share`` (once there is one) a
    near-duplicate of an earlier item's distinct root, by the edits in turn, from another unit
    of the root's county; otherwise a distinct item on a random theme from a random unit, one
    in ten in Traditional script."""
    by_county: dict[object, list[U]] = {}
    for unit in units:
        by_county.setdefault(county_of(unit), []).append(unit)
    all_themes = themes()
    edits = list(EDITS)
    made: list[Generated[U]] = []
    for i in range(n_items):
        if made and rng.random() < dup_share:
            root = made[rng.randrange(len(made))].root
            src = made[root]
            edit = edits[i % len(edits)]
            text = variant(rng, src.text, edit)
            same_county = by_county[county_of(src.unit)]
            unit = rng.choice([u for u in same_county if u != src.unit])
            item = Generated(text, unit, root, edit)
        else:
            unit = rng.choice(units)
            text = source(rng, rng.choice(all_themes), name_of(unit))
            if rng.random() < 0.1:
                s2t = _s2t()
                text = Source(text.theme, s2t(text.title), [s2t(p) for p in text.paragraphs])
            item = Generated(text, unit, i, "")
        made.append(item)
        yield item
